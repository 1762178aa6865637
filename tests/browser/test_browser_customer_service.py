"""Customer service and a manager in a real browser (issue 28), on SQLite and PostgreSQL.

Customer service finds an order by the caller's phone number, sees the contact and the items by name,
raises an exchange for a dearer SKU from the order page and sees the payment request for the difference.
A manager opens Analytics for last week and downloads the on-time CSV. Screenshots of each screen go to
test-artifacts/browser/.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.api.conftest import auth
from tests.api.test_returns import _delivered
from tests.browser.conftest import shot

pytestmark = pytest.mark.both_backends

CHEAP, DEAR = "SKU-0003", "SKU-0045"  # Rs 1,499 linen shirt -> Rs 2,099 running sneakers (the example)


def test_customer_service_finds_an_order_by_phone_and_exchanges_for_a_dearer_sku(open_as, live, keys, db_backend):
    _, app = live
    order = _delivered(app.test_client(), auth(keys["admin"]), "cs-browser", lines=[{"sku": CHEAP, "qty": 1}])
    cs = open_as(keys["channel"])
    cs.get_by_label(re.compile("^Find:")).fill("98000 00001")  # as the caller says it, without +91
    cs.get_by_role("button", name="Find").click()
    expect(cs.get_by_role("heading", level=1)).to_have_text("Find an order")
    expect(cs.get_by_role("status")).to_contain_text("1 order")
    shot(cs, f"cs-search-by-phone-{db_backend}")
    cs.get_by_role("link", name=order["id"]).click()

    expect(cs.get_by_role("heading", level=1)).to_contain_text("DELIVERED")
    customer = cs.locator("section", has=cs.get_by_role("heading", name="Customer"))
    expect(customer.get_by_role("link", name="+919800000001")).to_have_attribute("href", "tel:+919800000001")
    expect(customer.get_by_role("link", name="asha@example.com")).to_be_visible()
    expect(customer).to_contain_text("Linen Casual Shirt - Black S")
    expect(cs.get_by_role("button", name="Hold")).to_have_count(0)  # not offered on a delivered order
    expect(cs.get_by_role("link", name=order["shipments"][0]["awb"])).to_be_visible()
    shot(cs, f"cs-order-page-{db_backend}")

    cs.get_by_text("Create a return").click()
    cs.get_by_label("Quantity of line 1").fill("1")
    cs.get_by_label("Reason for line 1").select_option("size_fit")
    cs.get_by_label("Exchange SKU for line 1").fill(DEAR)
    cs.get_by_role("radio", name="Exchange").check()
    shot(cs, f"cs-return-form-{db_backend}")
    cs.get_by_role("button", name="Create return").click()

    expect(cs.locator(".flash.ok")).to_contain_text("payment request of 600.00 INR is pending")
    money = cs.locator("#money")
    expect(money.locator("tr.money-payment_request")).to_contain_text("pending")
    expect(money.locator("tr.money-payment_request")).to_contain_text("₹600.00")
    expect(money).to_contain_text("the customer owes ₹600.00")
    expect(cs.locator("#returns")).to_contain_text(DEAR)
    shot(cs, f"cs-payment-request-{db_backend}")

    cs.get_by_role("link", name=re.compile("All orders, returns and store credit")).click()
    expect(cs.get_by_role("heading", level=1)).to_contain_text("Customer Asha Raman")
    expect(cs.locator("main")).to_contain_text(order["id"])
    shot(cs, f"cs-customer-{db_backend}")


def test_a_manager_opens_last_weeks_analytics_and_downloads_the_on_time_csv(open_as, live, keys, db_backend, tmp_path):
    _, app = live
    client, admin = app.test_client(), auth(keys["admin"])
    delivered = [_delivered(client, admin, f"mgr-{i}", lines=[{"sku": CHEAP, "qty": 1}]) for i in range(2)]
    manager = open_as(keys["analyst"])
    manager.get_by_role("navigation", name="Screens").get_by_role("link", name="Analytics").click()
    today = datetime.now(UTC).date()
    manager.get_by_label("From").fill(str(today - timedelta(days=6)))
    manager.get_by_label("To").fill(str(today))
    manager.get_by_role("button", name="Show").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Analytics")
    expect(manager.get_by_role("list", name="Key figures")).to_contain_text("orders")
    expect(manager.locator("#on-time-rate")).to_have_text(re.compile(r"\d+\.\d%"))
    expect(manager.locator(".chart svg")).to_have_count(7)
    shot(manager, f"analytics-last-week-{db_backend}")

    with manager.expect_download() as info:
        manager.get_by_role("link", name=re.compile("Download CSV: On-time rate")).click()
    path = tmp_path / "on_time.csv"
    info.value.save_as(path)
    rows = list(csv.DictReader(path.open()))
    assert info.value.suggested_filename.startswith("on_time_")
    assert sum(int(r["delivered"]) for r in rows) == len(delivered)  # each order: one shipment, delivered today
    assert all(0 <= float(r["rate"]) <= 1 for r in rows)

    manager.get_by_role("navigation", name="Screens").get_by_role("link", name="Benchmarks").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Benchmarks")
    shot(manager, f"benchmarks-{db_backend}")

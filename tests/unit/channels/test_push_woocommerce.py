"""WooCommercePush against a local server that plays WooCommerce's REST API v3 as documented (fake_woocommerce.py)."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from fake_woocommerce import KEY, SECRET, FakeWooCommerce

from omnialloc.channels.push import (CancelReason, Outcome, ShipmentTracking, ShippedLine, StockLevel,
                                     WooCommerceCredentials, WooCommercePush)
from omnialloc.channels.push.woocommerce import shipment_mark
from omnialloc.edge.http import Timeouts

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def woo(server):
    fake = FakeWooCommerce(server)
    yield fake
    assert fake.unexpected == [], "requests outside the documented API"


def _push(server, key=KEY, secret=SECRET, **kw) -> WooCommercePush:
    base = server.url_for("/").rstrip("/")
    return WooCommercePush(WooCommerceCredentials(base, key, secret, auth=kw.pop("auth", "basic")),
                           timeouts=Timeouts.all(5), **kw)


def _parcel(ref="SHP-1", awb="XB100", notify=True):
    return ShipmentTracking(ref=ref, awb=awb, carrier="Xpressbees", tracking_url=f"https://t.example/{awb}",
                            lines=(ShippedLine("KURTA-L", 2),), notify_customer=notify)


def test_fulfil_notes_the_tracking_for_the_customer_and_completes_the_order(server, woo):
    woo.add_order(77)
    result = _push(server).fulfil("77", (_parcel(),))
    assert result.delivered, result.detail
    assert woo.calls("POST", "/wp-json/wc/v3/orders/77/notes") == [{
        "note": "Shipped with Xpressbees, AWB XB100 (2 x KURTA-L). Track it at https://t.example/XB100 "
                "(omnialloc shipment SHP-1)",
        "customer_note": True}]
    assert woo.calls("PUT", "/wp-json/wc/v3/orders/77") == [{"status": "completed"}]
    _, _, _, headers = woo.requests[0]
    assert headers["Authorization"] == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


def test_fulfil_again_writes_no_second_note_and_no_second_status(server, woo):
    woo.add_order(77)
    push = _push(server)
    push.fulfil("77", (_parcel(),))
    assert push.fulfil("77", (_parcel(), _parcel("SHP-2", "XB200"))).delivered
    notes = [n["note"] for n in woo.orders[77].notes]
    assert len(notes) == 2 and shipment_mark("SHP-1") in notes[0] and shipment_mark("SHP-2") in notes[1]
    assert len(woo.calls("PUT", "orders/77")) == 1


def test_a_partial_shipment_is_noted_without_changing_the_status(server, woo):
    woo.add_order(77)
    assert _push(server).fulfil("77", (_parcel(notify=False),), all_shipped=False).delivered
    assert woo.orders[77].status == "processing"
    assert woo.orders[77].notes[0]["customer_note"] is False


def test_the_shops_own_shipped_status_is_sent_and_a_refusal_carries_woocommerces_words(server, woo):
    woo.add_order(77)
    result = _push(server, shipped_status="shipped").fulfil("77", (_parcel(),))
    assert woo.calls("PUT", "orders/77") == [{"status": "shipped"}]
    # This fake shop has no plugin registering "shipped": WooCommerce refuses it.
    assert result.outcome is Outcome.FAILED and result.status == 400
    assert "Invalid parameter(s): status" in result.detail


@pytest.mark.parametrize("status", ["cancelled", "refunded", "failed"])
def test_fulfilling_a_closed_order_fails_and_sends_nothing(server, woo, status):
    woo.add_order(77, status)
    result = _push(server).fulfil("77", (_parcel(),))
    assert result.outcome is Outcome.FAILED and status in result.detail
    assert woo.calls("POST", "notes") == [] and woo.calls("PUT", "orders") == []


def test_an_unknown_order_is_a_failure_with_woocommerces_words(server, woo):
    result = _push(server).fulfil("404", (_parcel(),))
    assert result.outcome is Outcome.FAILED and result.status == 404
    assert "Invalid ID. (woocommerce_rest_shop_order_invalid_id)" in result.detail


def test_cancel_notes_the_reason_privately_then_cancels_once(server, woo):
    woo.add_order(77)
    push = _push(server)
    assert push.cancel("77", CancelReason("fraud", "address did not exist")).delivered
    [note] = woo.orders[77].notes
    assert note["customer_note"] is False and "fraud (address did not exist)" in note["note"]
    assert woo.orders[77].status == "cancelled"
    again = push.cancel("77", CancelReason("fraud"))
    assert again.delivered and "already cancelled" in again.detail
    assert len(woo.orders[77].notes) == 1 and len(woo.calls("PUT", "orders/77")) == 1


def test_a_cancel_interrupted_after_its_note_does_not_note_twice(server, woo):
    woo.add_order(77)
    woo.fail_next("PUT", "/orders/77", 429, "Too many requests.", {"Retry-After": "3"})
    push = _push(server)
    first = push.cancel("77", CancelReason("customer"))
    assert first.outcome is Outcome.RETRY and first.retry_after == 3.0
    assert len(woo.orders[77].notes) == 1 and woo.orders[77].status == "processing"
    assert push.cancel("77", CancelReason("customer")).delivered
    assert len(woo.orders[77].notes) == 1 and woo.orders[77].status == "cancelled"


def test_set_stock_batches_products_and_variations_with_managed_stock(server, woo):
    woo.add_product(10, "SAREE-RED")
    woo.add_product(21, "KURTA-S", parent_id=20)
    woo.add_product(22, "KURTA-M", parent_id=20)
    levels = (StockLevel("SAREE-RED", 3, "WH-1"), StockLevel("SAREE-RED", 4, "WH-2"), StockLevel("KURTA-S", 0),
              StockLevel("KURTA-M", 9), StockLevel("NOT-SOLD", 1))
    result = _push(server).set_stock(levels)
    assert result.delivered and result.skipped == ("NOT-SOLD",)
    assert woo.calls("POST", "/wp-json/wc/v3/products/batch") == [
        {"update": [{"id": 10, "manage_stock": True, "stock_quantity": 7}]}]      # one stock figure: summed
    assert woo.calls("POST", "/wp-json/wc/v3/products/20/variations/batch") == [
        {"update": [{"id": 22, "manage_stock": True, "stock_quantity": 9},
                    {"id": 21, "manage_stock": True, "stock_quantity": 0}]}]
    assert [(p.sku, p.stock_quantity) for p in woo.products.values()] == [
        ("SAREE-RED", 7), ("KURTA-S", 0), ("KURTA-M", 9)]


def test_set_stock_sends_at_most_100_items_a_batch(server, woo):
    for i in range(1, 251):
        woo.add_product(i, f"SKU-{i:03d}")
    result = _push(server).set_stock(tuple(StockLevel(f"SKU-{i:03d}", i) for i in range(1, 251)))
    assert result.delivered, result.detail
    assert [len(b["update"]) for b in woo.calls("POST", "products/batch")] == [100, 100, 50]
    assert all(p.stock_quantity == p.id for p in woo.products.values())


def test_set_stock_reports_an_item_woocommerce_refused_and_sets_the_others(server, woo):
    woo.add_product(10, "A")
    woo.add_product(11, "B")
    woo.refuse_updates[11] = ("woocommerce_rest_product_invalid_id", "Invalid ID.")   # trashed since the lookup
    result = _push(server).set_stock((StockLevel("A", 1), StockLevel("B", 2)))
    assert result.outcome is Outcome.FAILED and "SKU B: Invalid ID." in result.detail and result.pending == ()
    assert woo.products[10].stock_quantity == 1 and woo.products[11].stock_quantity is None


def test_a_sku_with_a_comma_is_reported_not_searched(server, woo):
    woo.add_product(10, "A")
    result = _push(server).set_stock((StockLevel("A", 1), StockLevel("X,Y", 2)))
    assert result.outcome is Outcome.FAILED and "'X,Y': a comma" in result.detail
    assert all("X" not in str(body) for body in woo.calls("POST", "batch"))


def test_429_with_an_http_date_is_a_retry_with_the_levels_not_yet_set(server, woo):
    for i in range(1, 151):
        woo.add_product(i, f"SKU-{i:03d}")
    levels = tuple(StockLevel(f"SKU-{i:03d}", 5) for i in range(1, 151))
    push = _push(server, clock=lambda: NOW)
    assert push.set_stock(levels[:1]).delivered
    when = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    woo.fail_next("POST", "products/batch", 429, "Too many requests.", {"Retry-After": when})
    result = push.set_stock(levels)
    assert result.outcome is Outcome.RETRY and result.retry_after == 30.0 and result.pending == levels
    assert push.set_stock(result.pending).delivered
    assert all(p.stock_quantity == 5 for p in woo.products.values())


def test_a_rate_limit_on_the_second_batch_keeps_only_its_levels_pending(server, woo):
    for i in range(1, 151):
        woo.add_product(i, f"SKU-{i:03d}")
    levels = tuple(StockLevel(f"SKU-{i:03d}", 5) for i in range(1, 151))
    woo.fail_next("POST", "products/batch", 429, "Too many requests.", {"Retry-After": "5"}, after=1)
    result = _push(server).set_stock(levels)
    assert result.outcome is Outcome.RETRY and result.retry_after == 5.0
    assert result.pending == levels[100:]
    assert sum(p.stock_quantity == 5 for p in woo.products.values()) == 100


def test_wrong_keys_are_a_permanent_failure_and_never_logged(server, woo, our_log):
    woo.add_order(77)
    push = _push(server, key="ck_wrong_key_but_secret_1234", secret="cs_wrong_secret_5678")
    result = push.fulfil("77", (_parcel(),))
    assert result.outcome is Outcome.FAILED and result.status == 401
    assert "Sorry, you cannot list resources." in result.detail
    for secret in ("ck_wrong_key_but_secret_1234", "cs_wrong_secret_5678"):
        assert secret not in our_log() and secret not in result.detail
    assert SECRET not in repr(WooCommerceCredentials("https://shop.example", KEY, SECRET))
    assert KEY not in repr(WooCommerceCredentials("https://shop.example", KEY, SECRET))


def test_query_string_auth_sends_the_keys_as_parameters_and_masks_them_in_logs(server, woo, our_log):
    woo.add_order(77)
    woo.add_product(10, "A")
    push = _push(server, auth="query")
    assert push.fulfil("77", (_parcel(),)).delivered
    assert push.set_stock((StockLevel("A", 2),)).delivered
    assert all("Authorization" not in headers for *_, headers in woo.requests)
    assert "consumer_key=***" in our_log()                     # httpx logged the URL, masked
    assert KEY not in our_log() and SECRET not in our_log()


def test_the_keys_never_land_in_logs_with_basic_auth(server, woo, our_log):
    woo.add_order(77)
    _push(server).fulfil("77", (_parcel(),))
    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert "HTTP Request" in our_log()
    assert KEY not in our_log() and SECRET not in our_log() and basic not in our_log()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(server, status):
    server.expect_request("/wp-json/wc/v3/orders/77").respond_with_data(
        "<html><body>Error establishing a database connection</body></html>", status=status)
    result = _push(server).cancel("77", CancelReason())
    assert result.outcome is Outcome.RETRY and "Error establishing a database connection" in result.detail


def test_plain_http_to_a_remote_shop_is_refused():
    with pytest.raises(ValueError, match="https"):
        WooCommercePush(WooCommerceCredentials("http://shop.example.in", KEY, SECRET))


def test_a_200_that_is_not_woocommerces_answer_is_retried_not_trusted(server):
    # A caching plugin or a maintenance page answering for the REST API.
    server.expect_request(re.compile(".*")).respond_with_data("<html>Briefly unavailable for scheduled "
                                                              "maintenance.</html>", status=200)
    push = _push(server)
    for result in (push.fulfil("77", (_parcel(),)), push.cancel("77", CancelReason()),
                   push.set_stock((StockLevel("A", 1),))):
        assert result.outcome is Outcome.RETRY and "scheduled maintenance" in result.detail

"""The console in a real browser (Debian Chromium, headless): each role's screens, an order walked from
capture to shipped, a rule written wrong then fixed and dry-run, and a rejection that hops.

Screenshots of every screen land in test-artifacts/browser/.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.api.conftest import auth, order_body
from tests.browser.conftest import shot


def _capture_api(app, keys, ext: str) -> dict:
    r = app.test_client().post("/orders", json=order_body(ext), headers=auth(keys["admin"]))
    assert r.status_code == 201, r.json
    return r.json


def test_each_role_logs_in_and_sees_only_its_screens(open_as, keys):
    expected = {
        "admin": ["Orders", "Work queue", "Inventory", "Rules", "Returns", "Analytics", "Benchmarks", "Network"],
        "analyst": ["Orders", "Inventory", "Returns", "Analytics", "Benchmarks", "Network"],
        "channel": ["Orders", "Returns"],
        "node_chn": ["Work queue", "Inventory", "Returns"],
        "carrier_xpr": ["Shipments"],
    }
    for role, screens in expected.items():
        page = open_as(keys[role])
        nav = page.get_by_role("navigation", name="Screens")
        expect(nav.get_by_role("link")).to_have_text(screens)
        shot(page, f"home-{role}")
    page = open_as(keys["node_chn"])
    page.goto("/console/rules")
    expect(page.get_by_role("heading", level=1)).to_contain_text("403")


def test_walk_an_order_from_capture_to_shipped(open_as, keys):
    admin = open_as(keys["admin"])
    admin.get_by_role("link", name="New order").click()
    admin.get_by_label("External id").fill("browser-walk-1")
    admin.get_by_label("Name").fill("Asha Raman")
    admin.get_by_label("Address").fill("12 Anna Salai")
    admin.get_by_label("City").fill("Chennai")
    admin.get_by_label("PIN code").fill("600002")
    admin.get_by_label("Phone").fill("+919800000001")
    admin.get_by_label(re.compile("Lines")).fill("SKU-0001 x 2")
    shot(admin, "order-new")
    admin.get_by_role("button", name="Capture order").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("ALLOCATED")
    expect(admin.locator("svg .flow-chosen")).to_have_count(1)
    expect(admin.get_by_text("Nodes not chosen, and why")).to_be_visible()
    order_url = admin.url
    shot(admin, "order-allocated")

    node = open_as(keys["node_chn"])
    expect(node.get_by_role("heading", level=1)).to_contain_text("CHN-FC1")
    shot(node, "node-queue")
    node.get_by_role("button", name="Accept").first.click()
    expect(node.locator(".flash.ok")).to_contain_text("ACCEPTED")
    node.get_by_label("Weight (g)").first.fill("900")
    node.get_by_role("button", name="Pack").first.click()
    expect(node.locator(".flash.ok")).to_contain_text("PACKED")
    node.get_by_label(re.compile("AWB")).first.fill("AWB-BROWSER-1")
    node.get_by_role("button", name="Ship").first.click()
    expect(node.locator(".flash.ok")).to_contain_text("AWB-BROWSER-1")
    expect(node.get_by_role("heading", name=re.compile("Today's manifest"))).to_contain_text("1")
    shot(node, "node-queue-manifest")

    admin.goto(order_url)
    expect(admin.get_by_role("heading", level=1)).to_contain_text("SHIPPED")
    expect(admin.locator(".timeline")).to_contain_text("AWB-BROWSER-1")
    shot(admin, "order-shipped")

    admin.goto("/console/orders")
    expect(admin.get_by_role("list", name="Orders by status")).to_contain_text("SHIPPED")
    shot(admin, "orders-list")


def test_write_a_rule_wrong_fix_it_save_it_and_dry_run_it(open_as, keys, live):
    _, app = live
    order = _capture_api(app, keys, "browser-rule-1")
    admin = open_as(keys["admin"])
    admin.goto("/console/rules/new")
    admin.get_by_label("Name", exact=True).fill("tamil nadu from mumbai")
    admin.get_by_label("Kind", exact=True).select_option("routing")
    condition = admin.get_by_label("Condition", exact=True)
    condition.fill('ship_to.stat == "TN"')
    status = admin.locator("#condition-status")
    expect(status).to_contain_text("did you mean ship_to.state")
    expect(condition).to_have_attribute("aria-invalid", "true")
    expect(admin.locator("#condition-marker")).to_contain_text("^")
    shot(admin, "rule-error")
    condition.fill('ship_to.state == "TN"')
    expect(status).to_contain_text("The rule compiles")
    admin.get_by_label("Actions (JSON list)").fill('[{"type": "only_nodes", "nodes": ["MUM-FC1"]}]')
    admin.get_by_role("button", name="Save rule").click()
    expect(admin.locator(".flash.ok")).to_contain_text("tamil nadu from mumbai")
    expect(admin.get_by_role("row", name=re.compile("tamil nadu from mumbai"))).to_be_visible()
    shot(admin, "rules-list")

    admin.get_by_role("link", name="Dry-run").click()
    admin.get_by_label("A stored order").select_option(order["id"])
    admin.get_by_role("button", name="Dry-run").click()
    result = admin.locator("#dry-run-result")
    expect(result).to_contain_text("tamil nadu from mumbai")
    expect(result).to_contain_text("Plan with the rules")
    expect(result).to_contain_text("MUM-FC1")
    shot(admin, "rules-dry-run")


def test_reject_a_shipment_and_see_the_hop(open_as, keys, live):
    _, app = live
    order = _capture_api(app, keys, "browser-hop-1")
    assert order["shipments"][0]["node"] == "CHN-FC1"
    node = open_as(keys["node_chn"])
    card = node.locator(f"#s-{order['shipments'][0]['id']}")
    card.get_by_label("Reject reason").fill("rack damaged")
    card.get_by_role("button", name="Reject").click()
    expect(node.locator(".flash.ok")).to_contain_text("REJECTED")
    admin = open_as(keys["admin"])
    admin.goto(f"/console/orders/{order['id']}")
    expect(admin.locator("svg .node-rejected")).to_have_count(1)
    expect(admin.locator("svg .flow-chosen")).to_have_count(1)
    expect(admin.locator(".timeline")).to_contain_text("rack damaged")
    expect(admin.locator(".timeline")).to_contain_text("hopped")
    shot(admin, "order-hopped")


def test_other_screens_render_at_desktop_and_phone_width(open_as, keys, live):
    _, app = live
    _capture_api(app, keys, "browser-screens-1")
    admin = open_as(keys["admin"])
    for path, name in [("/console/inventory?sku=SKU-0001", "inventory"), ("/console/returns", "returns"),
                       ("/console/analytics", "analytics"), ("/console/rules", "rules")]:
        admin.goto(path)
        expect(admin.get_by_role("heading", level=1)).to_be_visible()
        shot(admin, name)
    phone = open_as(keys["admin"], width=390, height=844)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Orders")
    shot(phone, "orders-phone")
    phone.get_by_role("link", name=re.compile("^ord_")).first.click()
    expect(phone.locator("svg")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the order page scrolls sideways at phone width ({width}px)"
    shot(phone, "order-phone")


def test_forms_are_keyboard_usable(open_as, keys):
    """Log in and open a screen with the keyboard only."""
    page = open_as(keys["admin"])
    page.context.clear_cookies()
    page.goto("/console/login")
    expect(page.get_by_label("API key")).to_be_focused()  # autofocus: type straight away
    page.keyboard.type(keys["analyst"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
    page.keyboard.press("Tab")  # skip link first, then the screens
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()


def test_receive_and_grade_a_return(open_as, keys, live):
    from tests.api.conftest import signed_tracking

    _, app = live
    order = _capture_api(app, keys, "browser-return-1")
    shipment = order["shipments"][0]
    api, admin_auth = app.test_client(), auth(keys["admin"])
    for step, body in (("accept", {}), ("pack", {"weight_g": 500, "length_mm": 200, "width_mm": 150,
                                                 "height_mm": 100}), ("ship", {"awb": "AWB-BR-RET-1"})):
        assert api.post(f"/shipments/{shipment['id']}/{step}", json=body, headers=admin_auth).status_code == 200
    signed_tracking(api, shipment["carrier"], [{"awb": "AWB-BR-RET-1", "status": "delivered",
                                                "at": "2026-11-26T10:00:00Z"}])
    r = api.post(f"/orders/{order['id']}/returns", headers=admin_auth,
                 json={"lines": [{"line_no": 1, "qty": 1, "reason": "damaged"}], "resolution": "refund"})
    assert r.status_code in (200, 201), r.json
    admin = open_as(keys["admin"])
    admin.goto("/console/returns")
    shot(admin, "returns-queue")
    admin.get_by_role("link", name=r.json["id"]).click()
    admin.get_by_label("Grade A").fill("0")
    admin.get_by_label("Grade B").fill("1")
    shot(admin, "return-receive")
    admin.get_by_role("button", name="Receive").click()
    expect(admin.locator(".flash.ok")).to_contain_text("received and graded")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("CLOSED")
    shot(admin, "return-closed")

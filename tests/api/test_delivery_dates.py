"""Estimated delivery dates (issue 24): on every planned shipment, on the order, in the explanation, and
recomputed when a shipment hops to another node.

Expected dates come from `logistics.transit.estimate_delivery` (the step-by-step estimator, with its own
calendar and transit arithmetic) on the stored calendars and transit table, not from the allocator's
cached clock.
"""

from __future__ import annotations

from datetime import datetime

from omnialloc.geo.pins import locate
from omnialloc.logistics.transit import Origin, TransitModel, TransitTable, estimate_delivery
from tests.api.conftest import auth, order_body


def _expected(uow_factory, shipment: dict, dest_pin: str, planned_at: datetime):
    with uow_factory(readonly=True) as uow:
        node = uow.nodes.get(shipment["node"])
        carriers = [c for c in uow.carriers.list() if c.active]
        model = TransitModel(carriers, TransitTable(uow.promise.transit_rows()))
        calendar = uow.promise.calendar(node.code)
    origin = Origin(node.code, locate(node.pin), calendar)
    return estimate_delivery(origin, shipment["carrier"], shipment["service"], dest_pin, planned_at, model)


def _allocated_at(order: dict, shipment_id: str) -> datetime:
    created = [e for e in order["events"] if e["entity"] == "shipment" and e["entity_id"] == shipment_id
               and e["type"] == "created"]
    return datetime.fromisoformat(created[0]["at"])


def test_every_planned_shipment_has_its_edd_and_the_order_shows_the_latest(client, keys, uow_factory):
    admin = auth(keys["admin"])
    lines = [{"sku": "SKU-0001", "qty": 1}, {"sku": "SKU-0002", "qty": 1}, {"sku": "SKU-0003", "qty": 2}]
    r = client.post("/orders", json=order_body("edd-1", pin="678001", lines=lines), headers=admin)
    assert r.status_code == 201, r.get_json()
    order = client.get(f"/orders/{r.get_json()['id']}", headers=admin).get_json()
    assert order["status"] == "ALLOCATED" and order["shipments"]
    for s in order["shipments"]:
        est = _expected(uow_factory, s, "678001", _allocated_at(order, s["id"]))
        assert s["delivery_date"] == est.delivery_date.isoformat()
        assert s["deliver_by"] == est.deliver_by.isoformat()
        assert s["ship_by"] == est.ship_by.isoformat()
        assert s["service"] in ("surface", "air", "express")
    assert order["delivery_date"] == max(s["delivery_date"] for s in order["shipments"])
    # the explanation says how fast every other node would have been, with what it costs
    explained = {e["node"]: e for e in order["plan"]["plan"]["explanation"]}
    assert all("delivery_days" in e for e in explained.values() if e["code"] in ("used", "costlier", "cheaper"))
    costlier = [e for e in explained.values() if e["code"] == "costlier" and e.get("extra_cost_paise") is not None]
    for e in costlier:
        days = e["delivery_days"]
        assert e["speed"].endswith(" more") and f"{days} day" in e["speed"]
    assert order["plan"]["plan"]["delivery"]["delivery_date"] == order["delivery_date"]


def test_a_hop_gets_a_new_edd_from_the_new_node(client, keys, uow_factory):
    admin = auth(keys["admin"])
    r = client.post("/orders", json=order_body("edd-hop", pin="682030"), headers=admin)
    assert r.status_code == 201, r.get_json()
    first = r.get_json()["shipments"][0]
    assert first["delivery_date"]
    r = client.post(f"/shipments/{first['id']}/reject", json={"reason": "shelf empty"}, headers=admin)
    assert r.status_code == 200, r.get_json()
    order = client.get(f"/orders/{first['order_id']}", headers=admin).get_json()
    (second,) = [s for s in order["shipments"] if s["status"] == "ALLOCATED"]
    assert second["node"] != first["node"]
    est = _expected(uow_factory, second, "682030", _allocated_at(order, second["id"]))
    assert second["delivery_date"] == est.delivery_date.isoformat()
    assert order["delivery_date"] == second["delivery_date"]   # the rejected shipment's date no longer counts


def _promised_day(order: dict) -> str:
    from zoneinfo import ZoneInfo

    end = datetime.fromisoformat(order["promised_by"]).astimezone(ZoneInfo("Asia/Kolkata"))
    assert (end.hour, end.minute) == (0, 0)  # the end of a local day
    from datetime import timedelta

    return (end - timedelta(days=1)).date().isoformat()


def test_every_order_gets_a_promise_from_its_request_a_rule_or_the_fastest_date(client, keys):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    admin = auth(keys["admin"])
    plain = client.post("/orders", json=order_body("prom-plain", pin="560001"), headers=admin).get_json()
    assert plain["promise_source"] == "fastest"
    assert plain["delivery_date"] <= _promised_day(plain)   # fastest + slack: planned on time
    asked = client.post("/orders", json=order_body("prom-asked", pin="560001", promised_days=12),
                        headers=admin).get_json()
    ordered = datetime.fromisoformat(asked["created_at"]).astimezone(ZoneInfo("Asia/Kolkata")).date()
    assert asked["promise_source"] == "request"
    assert _promised_day(asked) == (ordered + timedelta(days=12)).isoformat()
    r = client.post("/rules", headers=admin, json={"name": "vip promise", "kind": "shipping",
                                                    "condition": "order.priority >= 5",
                                                    "actions": [{"type": "promise_days", "days": 9}]})
    assert r.status_code == 201, r.get_json()
    vip = client.post("/orders", json=order_body("prom-vip", pin="560001", priority=5), headers=admin).get_json()
    assert vip["promise_source"] == "rule"
    assert _promised_day(vip) == (ordered + timedelta(days=9)).isoformat() or vip["created_at"][:10] != asked[
        "created_at"][:10]


def test_the_buyer_tracking_page_is_html_for_a_browser_and_json_for_api_clients(client, keys):
    import re

    admin = auth(keys["admin"])
    order = client.post("/orders", json=order_body("edd-track", pin="678001"), headers=admin).get_json()
    shipment = order["shipments"][0]
    assert client.post(f"/shipments/{shipment['id']}/accept", headers=admin).status_code == 200
    assert client.post(f"/shipments/{shipment['id']}/pack", headers=admin,
                       json={"weight_g": 700, "length_mm": 300, "width_mm": 200, "height_mm": 100}).status_code == 200
    assert client.post(f"/shipments/{shipment['id']}/ship", json={"awb": "AWB-EDD-1"}, headers=admin).status_code == 200

    as_json = client.get("/track/AWB-EDD-1")  # no Accept header: JSON as before
    assert as_json.mimetype == "application/json"
    view = as_json.get_json()
    assert view["delivery_date"] == shipment["delivery_date"] and view["status"] == "SHIPPED"
    assert client.get("/track/AWB-EDD-1", headers={"Accept": "application/json"}).mimetype == "application/json"

    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = client.get("/track/AWB-EDD-1", headers={"Accept": browser})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    edd = datetime.fromisoformat(shipment["delivery_date"])
    assert re.search(rf"Expected delivery: <strong>{edd.strftime('%A')} {edd.day} {edd.strftime('%B')}</strong>", html)
    assert "AWB-EDD-1" in html and "Handed to the courier" in html
    for personal in ("Asha", "Anna Salai", "+919800000001", "asha@example.com", "678001"):
        assert personal not in html
    assert client.get("/track/AWB-EDD-1?format=json", headers={"Accept": browser}).mimetype == "application/json"
    assert client.get("/track/NO-SUCH-AWB", headers={"Accept": browser}).status_code == 404

"""Carrier booking wired to shipments, and carrier pickups (issue 26), over the API against a local server
that plays the carrier (tests/unit/logistics/fake_carrier.py): failures leave the shipment packed with the
carrier's words on it and are retried with backoff by the worker's pass, with no double booking; pickups list
what goes, ask the carrier, print the manifest and ship at the handover scan."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from omnialloc.services.events import now
from omnialloc.services.fulfilment import carrier_booking
from tests.api.conftest import auth, order_body
from tests.api.test_fulfilment_documents import barcodes, pdf_text, setup_node
from tests.unit.logistics.fake_carrier import TOKEN, FakeCarrier

# The carrier's API as configured (docs/carriers.md): the fake carrier's documented shapes.
CONFIG = {
    "token": TOKEN,
    "book": {"method": "POST", "path": "/api/v2/shipments", "body": {
        "order": "{{ order_ref }}", "payment_type": "{{ payment }}", "cod_amount": "{{ cod_rupees }}",
        "weight_kg": "{{ parcel.weight_kg }}",
        "consignee": {"name": "{{ ship_to.name }}", "address": "{{ ship_to.street }}, {{ ship_to.city }}",
                      "pincode": "{{ ship_to.pin }}", "phone": "{{ ship_to.phone }}"},
        "items": {"$each": "items", "$template": {"sku": "{{ sku }}", "quantity": "{{ qty }}"}}}},
    "awb_path": "data.packages.0.waybill", "routing_code_path": "data.packages.0.sort_code",
    "carrier_ref_path": "data.booking_id", "success_path": "success", "error_path": "rmk",
    "cancel": {"method": "POST", "path": "/api/v2/shipments/{awb}/cancel", "body": {"reason": "seller_cancelled"}},
    "pickup": {"method": "POST", "path": "/api/v2/pickups",
               "body": {"location": "{{ node }}", "date": "{{ pickup_date }}", "waybills": "{{ awbs }}",
                        "slot": "{{ ready_from }}-{{ ready_until }}", "packages": "{{ parcels }}"}},
    "pickup_ref_path": "data.pickup_id",
}

BOX = {"weight_g": 400, "length_mm": 300, "width_mm": 200, "height_mm": 50}


@pytest.fixture
def carrier_server():
    s = HTTPServer(host="127.0.0.1", threaded=True)
    s.start()
    try:
        yield s
    finally:
        s.clear()
        s.stop()


@pytest.fixture
def fake(carrier_server):
    return FakeCarrier(carrier_server)


def _rest(client, admin, carrier_server) -> None:
    """Every demo carrier books through the fake carrier's API (whichever the plan picks)."""
    settings = dict(CONFIG)
    settings.update(base_url=carrier_server.url_for("/").rstrip("/"), max_attempts=1, timeouts=5)
    for code in ("XPR", "ECO", "PRP", "HLX"):
        r = client.put(f"/carriers/{code}/booking", json={"kind": "rest", "settings": settings}, headers=admin)
        assert r.status_code == 200, r.get_json()


def _packed(client, headers, external_id: str, *, pin="600002", capture=None):
    r = client.post("/orders", json=order_body(external_id, pin=pin), headers=capture or headers)
    assert r.status_code == 201, r.get_json()
    [s] = r.get_json()["shipments"]
    assert client.post(f"/shipments/{s['id']}/accept", headers=headers).status_code == 200
    r = client.post(f"/shipments/{s['id']}/pack", json=BOX, headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "PACKED", r.get_json()
    return s


def _view(client, headers, s):
    return client.get(f"/nodes/{s['node']}/shipments/{s['id']}", headers=headers).get_json()


def test_a_carrier_down_leaves_the_shipment_packed_and_the_retry_books_it_once(app, client, keys, engine, fake,
                                                                               carrier_server):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    _rest(client, admin, carrier_server)
    fake.fail("/api/v2/shipments", 503, times=1)
    s = _packed(client, admin, "book-down")
    view = _view(client, admin, s)
    assert view["status"] == "PACKED" and view["awb"] is None
    assert view["booking"]["status"] == "failed" and "busy" in view["booking"]["error"]
    assert view["booking"]["attempts"] == 1 and view["booking"]["next_attempt_at"] > now().isoformat()
    assert fake.bookings == {}

    ctx = app.extensions["omnialloc"].get("ctx")
    with app.app_context():
        from omnialloc.api.deps import ctx as make_ctx

        ctx = make_ctx()
    assert carrier_booking.retry_due(ctx) == {}, "not due before its backoff"
    assert carrier_booking.retry_due(ctx, at=now() + timedelta(hours=2)) == {"booked": 1}
    view = _view(client, admin, s)
    [booked] = fake.bookings.values()
    assert view["awb"] == booked["waybill"] and view["booking"]["status"] == "booked"
    assert view["status"] == "PACKED"
    # Booking again (an impatient click, another worker): the same AWB, and the carrier still has one booking.
    again = client.post(f"/shipments/{s['id']}/book", headers=admin).get_json()
    assert again["awb"] == booked["waybill"] and len(fake.bookings) == 1
    assert carrier_booking.retry_due(ctx, at=now() + timedelta(days=1)) == {}
    keys_sent = {headers.get("Idempotency-Key") for _, path, headers, _ in fake.requests if path == "/api/v2/shipments"}
    assert keys_sent == {f"omnialloc-book-{s['carrier']}-{s['id']}"}, "every attempt carried one key"
    # Shipping uses the booked AWB.
    r = client.post(f"/shipments/{s['id']}/ship", json={}, headers=admin)
    assert r.status_code == 200 and r.get_json()["awb"] == booked["waybill"]


def test_a_rejection_shows_the_carriers_words_and_is_not_retried_until_booked_again(app, client, keys, engine, fake,
                                                                                    carrier_server):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    _rest(client, admin, carrier_server)
    fake.unserviceable.add("600002")
    s = _packed(client, admin, "book-no")
    view = _view(client, admin, s)
    assert view["status"] == "PACKED" and view["booking"]["status"] == "rejected"
    assert "Pincode 600002 is not serviceable" in view["booking"]["error"]
    with app.app_context():
        from omnialloc.api.deps import ctx as make_ctx

        ctx = make_ctx()
    asked = len(fake.requests)
    assert carrier_booking.retry_due(ctx, at=now() + timedelta(days=1)) == {}
    assert len(fake.requests) == asked, "a rejection waits for a person"
    r = client.get(f"/shipments/{s['id']}/label.pdf", headers=admin)
    assert r.status_code == 409 and "not serviceable" in r.get_json()["detail"]
    fake.unserviceable.clear()
    r = client.post(f"/shipments/{s['id']}/book", headers=admin)
    assert r.status_code == 200 and r.get_json()["booking"]["status"] == "booked" and len(fake.bookings) == 1


def test_bad_booking_settings_are_refused_when_configured(client, keys):
    admin = auth(keys["admin"])
    r = client.put("/carriers/XPR/booking", json={"kind": "rest", "settings": {"base_url": "http://example.com"}},
                   headers=admin)
    assert r.status_code == 422
    assert client.put("/carriers/NOPE/booking", json={"kind": "series"}, headers=admin).status_code == 404
    assert client.put("/carriers/XPR/booking", json={"kind": "series"},
                      headers=auth(keys["node_chn"])).status_code == 403
    r = client.post("/carriers/XPR/awb-ranges", json={"first": 5, "last": 1, "width": 4}, headers=admin)
    assert r.status_code == 422
    assert client.post("/carriers/XPR/awb-ranges", json={"first": 1, "last": 9, "width": 4}, headers=admin).status_code == 201
    r = client.post("/carriers/XPR/awb-ranges", json={"first": 9, "last": 20, "width": 4}, headers=admin)
    assert r.status_code == 409 and "overlaps" in r.get_json()["detail"]
    series = client.get("/carriers/XPR/awb-ranges", headers=admin).get_json()
    assert series["remaining"] == 9 and len(series["ranges"]) == 1


def test_a_pickup_takes_the_packed_shipments_prints_its_manifest_and_ships_at_the_handover_scan(
        client, keys, engine, fake, carrier_server):
    admin, node = auth(keys["admin"]), auth(keys["node_chn"])
    setup_node(client, admin, engine)
    _rest(client, admin, carrier_server)
    ships = [_packed(client, node, f"pick-{i}", capture=admin) for i in range(3)]
    carriers = {s["carrier"] for s in ships}
    assert len(carriers) == 1, "one lane, one carrier in the demo network"
    [carrier] = carriers
    awbs = [_view(client, node, s)["awb"] for s in ships]
    assert all(awbs)

    board = client.get("/nodes/CHN-FC1/carrier-pickups", headers=node).get_json()
    assert board["missing_pickup_total"] == 3 and board["missing_pickup"][0]["carrier"] == carrier
    assert client.get("/nodes/CHN-FC1/carrier-pickups", headers=auth(keys["node_mum"])).status_code == 404

    r = client.post("/nodes/CHN-FC1/carrier-pickups", json={"carrier": carrier}, headers=node)
    assert r.status_code == 201, r.get_json()
    pickup = r.get_json()
    assert pickup["count"] == 3 and pickup["reference"].startswith("PU-")
    [asked] = fake.pickups.values()
    assert sorted(asked["body"]["waybills"]) == sorted(awbs) and asked["body"]["packages"] == 3
    board = client.get("/nodes/CHN-FC1/carrier-pickups", headers=node).get_json()
    assert board["missing_pickup_total"] == 0 and board["pickups"][0]["id"] == pickup["id"]
    assert client.post("/nodes/CHN-FC1/carrier-pickups", json={"carrier": carrier}, headers=node).status_code == 409

    r = client.get(f"/nodes/CHN-FC1/manifests/{pickup['id']}.pdf", headers=node)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    assert all(awb in text for awb in awbs) and pickup["reference"] in text
    assert pickup["id"].upper().replace("_", "-") in barcodes(r.data)
    assert client.get(f"/nodes/MUM-FC1/manifests/{pickup['id']}.pdf", headers=admin).status_code == 404

    r = client.post(f"/nodes/CHN-FC1/carrier-pickups/{pickup['id']}/handover", json={"awb": "NOT-ON-IT"}, headers=node)
    assert r.status_code == 404
    for i, awb in enumerate(awbs):
        r = client.post(f"/nodes/CHN-FC1/carrier-pickups/{pickup['id']}/handover", json={"awb": awb}, headers=node)
        assert r.status_code == 200
        assert r.get_json()["pending_handover"] == 2 - i
    assert r.get_json()["status"] == "handed_over"
    assert {_view(client, node, s)["status"] for s in ships} == {"SHIPPED"}
    # A second scan of the same AWB changes nothing.
    r = client.post(f"/nodes/CHN-FC1/carrier-pickups/{pickup['id']}/handover", json={"awb": awbs[0]}, headers=node)
    assert r.status_code == 200 and r.get_json()["pending_handover"] == 0


def test_a_booked_shipment_that_is_rejected_has_its_booking_cancelled_with_the_carrier(client, keys, engine, fake,
                                                                                        carrier_server):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    _rest(client, admin, carrier_server)
    r = client.post("/orders", json=order_body("book-then-reject"), headers=admin)
    [s] = r.get_json()["shipments"]
    client.post(f"/shipments/{s['id']}/accept", headers=admin)
    awb = client.post(f"/shipments/{s['id']}/book", headers=admin).get_json()["awb"]
    assert awb and fake.cancelled == []
    r = client.post(f"/shipments/{s['id']}/reject", json={"reason": "damaged in the rack"}, headers=admin)
    assert r.status_code == 200 and r.get_json()["status"] == "REJECTED"
    assert fake.cancelled == [awb], "the carrier was told"
    with engine.connect() as conn:
        status = conn.execute(sa.text("SELECT status FROM carrier_bookings WHERE shipment_id = :s"),
                              {"s": s["id"]}).scalar_one()
    assert status == "cancelled"


def test_a_series_awb_of_a_rejected_shipment_is_voided_and_never_handed_out_again(client, keys, engine):
    admin = auth(keys["admin"])
    for carrier in ("XPR", "ECO", "PRP", "HLX"):
        client.put(f"/carriers/{carrier}/booking", json={"kind": "series"}, headers=admin)
        client.post(f"/carriers/{carrier}/awb-ranges", json={"first": 1, "last": 50, "width": 5, "prefix": "V"},
                    headers=admin)
    r = client.post("/orders", json=order_body("void-1"), headers=admin)
    [s] = r.get_json()["shipments"]
    client.post(f"/shipments/{s['id']}/accept", headers=admin)
    awb = client.post(f"/shipments/{s['id']}/book", headers=admin).get_json()["awb"]
    client.post(f"/shipments/{s['id']}/reject", json={"reason": "no stock after all"}, headers=admin)
    with engine.connect() as conn:
        voided = conn.execute(sa.text("SELECT voided_at IS NOT NULL FROM awb_assignments WHERE awb = :a"),
                              {"a": awb}).scalar_one()
    assert voided
    r = client.post("/orders", json=order_body("void-2"), headers=admin)
    live = [x for x in r.get_json()["shipments"] if x["status"] == "ALLOCATED"]
    client.post(f"/shipments/{live[0]['id']}/accept", headers=admin)
    assert client.post(f"/shipments/{live[0]['id']}/book", headers=admin).get_json()["awb"] != awb


def _booking_status(engine, shipment_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT status FROM carrier_bookings WHERE shipment_id = :s"),
                            {"s": shipment_id}).scalar_one()


def test_cancelling_the_order_cancels_its_packed_shipments_booking_with_the_carrier(client, keys, engine, fake,
                                                                                     carrier_server):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    _rest(client, admin, carrier_server)
    s = _packed(client, admin, "book-then-cancel")
    [booked] = fake.bookings.values()
    assert _booking_status(engine, s["id"]) == "booked" and fake.cancelled == []
    r = client.post(f"/orders/{s['order_id']}/cancel", json={"reason": "customer changed their mind"}, headers=admin)
    assert r.status_code == 200 and r.get_json()["status"] == "CANCELLED", r.get_json()
    assert fake.cancelled == [booked["waybill"]], "the carrier was told, once"
    assert _booking_status(engine, s["id"]) == "cancelled"


def test_cancelling_the_lines_of_a_booked_shipment_while_the_carrier_is_down_is_retried_by_the_worker(
        app, client, keys, engine, fake, carrier_server):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    _rest(client, admin, carrier_server)
    s = _packed(client, admin, "book-then-cancel-lines")
    [booked] = fake.bookings.values()
    fake.fail("/cancel", 503, times=1)
    r = client.post(f"/orders/{s['order_id']}/cancel", json={"reason": "out of stock at the shop",
                                                             "lines": [{"line_no": 1, "qty": 1}]}, headers=admin)
    assert r.status_code == 200, r.get_json()
    assert [x["status"] for x in r.get_json()["shipments"]] == ["CANCELLED"]
    assert fake.cancelled == []
    with engine.connect() as conn:
        status, due, error = conn.execute(sa.text(
            "SELECT status, next_attempt_at, last_error FROM carrier_bookings WHERE shipment_id = :s"),
            {"s": s["id"]}).one()
    assert status == "cancelling" and due is not None and booked["waybill"] in error

    with app.app_context():
        from omnialloc.api.deps import ctx as make_ctx

        ctx = make_ctx()
    assert carrier_booking.retry_due(ctx) == {}, "not due before its backoff"
    assert carrier_booking.retry_due(ctx, at=now() + timedelta(hours=2)) == {"cancelled": 1}
    assert fake.cancelled == [booked["waybill"]]
    assert _booking_status(engine, s["id"]) == "cancelled"
    assert carrier_booking.retry_due(ctx, at=now() + timedelta(days=1)) == {}, "done: not cancelled twice"
    assert fake.cancelled == [booked["waybill"]]


def test_a_series_awb_of_a_cancelled_order_is_voided_and_never_handed_out_again(client, keys, engine):
    admin = auth(keys["admin"])
    for carrier in ("XPR", "ECO", "PRP", "HLX"):
        client.put(f"/carriers/{carrier}/booking", json={"kind": "series"}, headers=admin)
        client.post(f"/carriers/{carrier}/awb-ranges", json={"first": 1, "last": 50, "width": 5, "prefix": "C"},
                    headers=admin)
    r = client.post("/orders", json=order_body("cancel-void-1"), headers=admin)
    [s] = r.get_json()["shipments"]
    client.post(f"/shipments/{s['id']}/accept", headers=admin)
    awb = client.post(f"/shipments/{s['id']}/book", headers=admin).get_json()["awb"]
    assert awb
    r = client.post(f"/orders/{s['order_id']}/cancel", json={"reason": "duplicate order"}, headers=admin)
    assert r.status_code == 200 and r.get_json()["status"] == "CANCELLED"
    with engine.connect() as conn:
        voided = conn.execute(sa.text("SELECT voided_at IS NOT NULL FROM awb_assignments WHERE awb = :a"),
                              {"a": awb}).scalar_one()
    assert voided and _booking_status(engine, s["id"]) == "cancelled"
    r = client.post("/orders", json=order_body("cancel-void-2"), headers=admin)
    [s2] = r.get_json()["shipments"]
    client.post(f"/shipments/{s2['id']}/accept", headers=admin)
    assert client.post(f"/shipments/{s2['id']}/book", headers=admin).get_json()["awb"] not in (None, awb)


def test_a_cancellation_racing_the_workers_retry_is_sent_to_the_carrier_once(app, client, keys, engine, fake,
                                                                             carrier_server):
    """The canceller's own call and the worker's retry pass both find the booking ``cancelling``: the claim
    (compare-and-set on the booking) lets one of them tell the carrier; the other finds it held or done."""
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    _rest(client, admin, carrier_server)
    r = client.post("/orders", json=order_body("cancel-race"), headers=admin)
    [s] = r.get_json()["shipments"]
    client.post(f"/shipments/{s['id']}/accept", headers=admin)
    assert client.post(f"/shipments/{s['id']}/book", headers=admin).get_json()["awb"]
    [booked] = fake.bookings.values()
    fake.fail("/cancel", 503, times=1)   # the call right after the reject fails: the booking waits, cancelling
    r = client.post(f"/shipments/{s['id']}/reject", json={"reason": "damaged in the rack"}, headers=admin)
    assert r.status_code == 200, r.get_json()
    assert _booking_status(engine, s["id"]) == "cancelling" and fake.cancelled == []
    with app.app_context():
        from omnialloc.api.deps import ctx as make_ctx

        ctx = make_ctx()
    fake.stall("/cancel", 1.0)           # a slow carrier: the other caller comes while the first waits
    gate, outcomes = threading.Barrier(2), {}

    def caller():
        gate.wait()
        outcomes["caller"] = carrier_booking.cancel_if_booked(ctx, s["id"])

    def worker():
        gate.wait()
        outcomes["worker"] = carrier_booking.retry_due(ctx, at=now() + timedelta(hours=2))

    threads = [threading.Thread(target=caller), threading.Thread(target=worker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert fake.cancelled == [booked["waybill"]], "the carrier was told once"
    assert (outcomes["caller"] == "cancelled") != (outcomes["worker"] == {"cancelled": 1}), outcomes
    assert _booking_status(engine, s["id"]) == "cancelled"
    assert carrier_booking.retry_due(ctx, at=now() + timedelta(days=1)) == {}
    assert carrier_booking.cancel_if_booked(ctx, s["id"]) is None and fake.cancelled == [booked["waybill"]]

"""Lifecycle rules over HTTP: cancel, hold, backorders, adjustments, manifest, listing, pack/ship, tracking, RTO."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import CARRIER_SECRET, auth, order_body, signed_tracking

# Stocked at CHN-FC1 and at no node nearer to Chennai: a Chennai order for it ships from CHN-FC1.
SKU = "SKU-0024"
CHENNAI = "600002"
BOX = {"weight_g": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}


def _capture(client, headers, ext: str, *, lines=None, **kw) -> dict:
    r = client.post("/orders", json=order_body(ext, pin=kw.pop("pin", CHENNAI),
                                               lines=lines or [{"sku": SKU, "qty": 1}], **kw), headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _stock(uow_factory, node: str, sku: str) -> tuple[int, int]:
    with uow_factory(readonly=True) as uow:
        pos = uow.inventory.get(node, sku)
    return (pos.on_hand, pos.reserved) if pos else (0, 0)


def _reserved_total(uow_factory) -> int:
    with uow_factory(readonly=True) as uow:
        return uow.inventory.totals()["reserved"]


def _order(client, headers, order_id: str) -> dict:
    r = client.get(f"/orders/{order_id}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _post(client, url: str, headers, body=None, status: int = 200) -> dict:
    r = client.post(url, json=body, headers=headers)
    assert r.status_code == status, (url, r.status_code, r.get_json())
    return r.get_json()


def _ship(client, headers, shipment_id: str, awb: str, box=None) -> dict:
    _post(client, f"/shipments/{shipment_id}/accept", headers)
    _post(client, f"/shipments/{shipment_id}/pack", headers, box or BOX)
    return _post(client, f"/shipments/{shipment_id}/ship", headers, {"awb": awb})


def _order_moves(order: dict) -> list[tuple[str, str]]:
    return [(e["from_status"], e["to_status"]) for e in order["events"]
            if e["entity"] == "order" and e["type"] == "status_changed"]


# ---------------------------------------------------------------- cancel


def test_cancelling_the_whole_order_releases_reservations_and_cancels_shipments(client, keys, uow_factory):
    admin = auth(keys["admin"])
    before = _reserved_total(uow_factory)
    order = _capture(client, admin, "cancel-all", lines=[{"sku": SKU, "qty": 2}, {"sku": "SKU-0001", "qty": 1}])
    assert _reserved_total(uow_factory) == before + 3
    out = _post(client, f"/orders/{order['id']}/cancel", admin, {"reason": "customer changed their mind"})
    assert out["status"] == "CANCELLED"
    assert _reserved_total(uow_factory) == before
    assert out["shipments"] and all(s["status"] == "CANCELLED" for s in out["shipments"])
    assert all(line["cancelled_qty"] == line["qty"] for line in out["lines"])
    assert out["value_paise"] == 0
    assert ("ALLOCATED", "CANCELLED") in _order_moves(out)
    cancelled = [e for e in out["events"] if e["entity"] == "shipment" and e["to_status"] == "CANCELLED"]
    assert len(cancelled) == len(out["shipments"])
    assert all(e["reason"] == "customer changed their mind" and e["actor"].startswith("admin:") for e in cancelled)
    # Cancelling twice is a conflict, not a silent success.
    _post(client, f"/orders/{order['id']}/cancel", admin, {"reason": "again"}, status=409)


def test_cancelling_some_line_quantities_releases_just_those_units(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _capture(client, admin, "cancel-some", lines=[{"sku": SKU, "qty": 3}, {"sku": "SKU-0001", "qty": 1}])
    (shipment,) = [s for s in order["shipments"] if any(l["sku"] == SKU for l in s["lines"])]
    node = shipment["node"]
    on_hand, reserved = _stock(uow_factory, node, SKU)
    out = _post(client, f"/orders/{order['id']}/cancel", admin,
                {"reason": "one too many", "lines": [{"line_no": 1, "qty": 2}]})
    assert out["status"] == "ALLOCATED"
    assert _stock(uow_factory, node, SKU) == (on_hand, reserved - 2)
    line1 = next(l for l in out["lines"] if l["line_no"] == 1)
    assert line1["cancelled_qty"] == 2
    live = next(s for s in out["shipments"] if s["id"] == shipment["id"])
    assert next(l["qty"] for l in live["lines"] if l["line_no"] == 1) == 1
    assert any(e["type"] == "lines_cancelled" for e in out["events"])
    # More than is left is refused with a field error and changes nothing.
    r = client.post(f"/orders/{order['id']}/cancel", json={"reason": "x", "lines": [{"line_no": 1, "qty": 2}]},
                    headers=admin)
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "lines.1.qty"
    r = client.post(f"/orders/{order['id']}/cancel", json={"reason": "x", "lines": [{"line_no": 9, "qty": 1}]},
                    headers=admin)
    assert r.status_code == 422
    assert _stock(uow_factory, node, SKU) == (on_hand, reserved - 2)


def test_cancelling_every_remaining_unit_cancels_the_order(client, keys, uow_factory):
    admin = auth(keys["admin"])
    before = _reserved_total(uow_factory)
    order = _capture(client, admin, "cancel-lines-all", lines=[{"sku": SKU, "qty": 2}])
    out = _post(client, f"/orders/{order['id']}/cancel", admin, {"reason": "r", "lines": [{"line_no": 1, "qty": 2}]})
    assert out["status"] == "CANCELLED"
    assert all(s["status"] == "CANCELLED" for s in out["shipments"])
    assert _reserved_total(uow_factory) == before


def test_cancel_after_ship_is_a_conflict(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _capture(client, admin, "cancel-shipped")
    _ship(client, admin, order["shipments"][0]["id"], "AWB-CANCEL-0001")
    before = _order(client, admin, order["id"])
    _post(client, f"/orders/{order['id']}/cancel", admin, {"reason": "too late"}, status=409)
    _post(client, f"/orders/{order['id']}/cancel", admin, {"reason": "too late", "lines": [{"line_no": 1, "qty": 1}]},
          status=409)
    after = _order(client, admin, order["id"])
    assert after["status"] == "SHIPPED" and len(after["events"]) == len(before["events"])


# ---------------------------------------------------------------- hold / release


def test_hold_releases_reservations_and_release_allocates_again(client, keys, uow_factory):
    admin = auth(keys["admin"])
    before = _reserved_total(uow_factory)
    order = _capture(client, admin, "hold-1", lines=[{"sku": SKU, "qty": 2}])
    held = _post(client, f"/orders/{order['id']}/hold", admin, {"reason": "fraud review"})
    assert held["status"] == "ON_HOLD"
    assert _reserved_total(uow_factory) == before
    assert all(s["status"] == "CANCELLED" for s in held["shipments"])
    # Holding twice, or releasing an order that is not held, is a conflict.
    _post(client, f"/orders/{order['id']}/hold", admin, {"reason": "again"}, status=409)
    released = _post(client, f"/orders/{order['id']}/release", admin, {"reason": "cleared"})
    assert released["status"] == "ALLOCATED"
    assert _reserved_total(uow_factory) == before + 2
    live = [s for s in released["shipments"] if s["status"] == "ALLOCATED"]
    assert sum(l["qty"] for s in live for l in s["lines"]) == 2
    assert _order_moves(released)[-3:] == [("ALLOCATED", "ON_HOLD"), ("ON_HOLD", "VALIDATED"),
                                           ("VALIDATED", "ALLOCATED")]
    _post(client, f"/orders/{order['id']}/release", admin, {"reason": "again"}, status=409)


def test_an_accepted_shipment_is_released_by_a_hold_but_a_packed_one_blocks_it(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _capture(client, admin, "hold-packed")
    sid = order["shipments"][0]["id"]
    _post(client, f"/shipments/{sid}/accept", admin)
    _post(client, f"/shipments/{sid}/pack", admin, BOX)
    _post(client, f"/orders/{order['id']}/hold", admin, {"reason": "late review"}, status=409)


# ---------------------------------------------------------------- backorders and adjustments


def _zero_everywhere(client, headers, uow_factory, sku: str) -> None:
    with uow_factory(readonly=True) as uow:
        rows = [p for p in uow.inventory.list(sku=sku) if p.on_hand]
    assert rows
    _post(client, "/inventory/adjustments", headers, {"adjustments": [
        {"node": p.node, "sku": sku, "delta": -p.on_hand, "reason": "cycle_count"} for p in rows]})


def test_a_backordered_order_is_allocated_when_stock_arrives(client, keys, uow_factory, drain_backorders):
    admin = auth(keys["admin"])
    _zero_everywhere(client, admin, uow_factory, SKU)
    order = _capture(client, admin, "backorder-1", lines=[{"sku": SKU, "qty": 2}])
    assert order["status"] == "BACKORDERED"
    assert order["status_reason"]
    assert not [s for s in order["shipments"] if s["status"] == "ALLOCATED"]
    with uow_factory(readonly=True) as uow:
        safety = uow.inventory.get("CHN-FC1", SKU).safety_stock
    out = _post(client, "/inventory/adjustments", admin, {"adjustments": [
        {"node": "CHN-FC1", "sku": SKU, "delta": safety + 5, "reason": "receipt", "note": "PO 4711"}]})
    assert out == {"applied": 1, "backorder_retries_queued": 1}  # queued with the receipt, run by the worker
    assert _order(client, admin, order["id"])["status"] == "BACKORDERED"
    assert drain_backorders().allocated == 1
    order = _order(client, admin, order["id"])
    assert order["status"] == "ALLOCATED"
    assert [s["node"] for s in order["shipments"] if s["status"] == "ALLOCATED"] == ["CHN-FC1"]
    assert _stock(uow_factory, "CHN-FC1", SKU) == (safety + 5, 2)
    assert any(e["type"] == "status_changed" and e["from_status"] == "BACKORDERED" for e in order["events"])


def test_adjustments_that_would_go_negative_are_refused_and_none_is_applied(client, keys, uow_factory):
    admin = auth(keys["admin"])
    chn = _stock(uow_factory, "CHN-FC1", SKU)
    mum = _stock(uow_factory, "MUM-FC1", SKU)
    r = client.post("/inventory/adjustments", headers=admin, json={"adjustments": [
        {"node": "MUM-FC1", "sku": SKU, "delta": 10, "reason": "receipt"},
        {"node": "CHN-FC1", "sku": SKU, "delta": -(chn[0] + 1), "reason": "damage"}]})
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["errors"][0]["field"] == "adjustments.1.delta"
    assert _stock(uow_factory, "CHN-FC1", SKU) == chn
    assert _stock(uow_factory, "MUM-FC1", SKU) == mum


def test_adjustments_cannot_take_on_hand_below_what_is_reserved(client, keys, uow_factory):
    admin = auth(keys["admin"])
    _capture(client, admin, "reserved-floor", lines=[{"sku": SKU, "qty": 2}])
    on_hand, reserved = _stock(uow_factory, "CHN-FC1", SKU)
    assert reserved >= 2
    r = client.post("/inventory/adjustments", headers=admin, json={"adjustments": [
        {"node": "CHN-FC1", "sku": SKU, "delta": -(on_hand - reserved + 1), "reason": "damage"}]})
    assert r.status_code == 422
    assert _stock(uow_factory, "CHN-FC1", SKU) == (on_hand, reserved)


def test_adjustments_of_unknown_nodes_or_skus_are_field_errors(client, keys, uow_factory):
    admin = auth(keys["admin"])
    r = client.post("/inventory/adjustments", headers=admin, json={"adjustments": [
        {"node": "NOPE-1", "sku": SKU, "delta": 1, "reason": "receipt"},
        {"node": "CHN-FC1", "sku": "NOPE-SKU", "delta": 1, "reason": "receipt"}]})
    assert r.status_code == 422
    assert {e["field"] for e in r.get_json()["errors"]} == {"adjustments.0.node", "adjustments.1.sku"}


def test_a_node_key_adjusts_only_its_own_node(client, keys, uow_factory):
    chn = _stock(uow_factory, "CHN-FC1", SKU)
    r = client.post("/inventory/adjustments", headers=auth(keys["node_mum"]), json={"adjustments": [
        {"node": "CHN-FC1", "sku": SKU, "delta": 1, "reason": "receipt"}]})
    assert r.status_code == 404
    assert _stock(uow_factory, "CHN-FC1", SKU) == chn


# ---------------------------------------------------------------- manifest


def test_the_manifest_lists_a_nodes_shipped_shipments_of_the_day_by_carrier(client, keys, uow_factory):
    admin = auth(keys["admin"])
    ids = []
    for i, carrier in enumerate(["XPR", "XPR", "ECO"]):
        order = _capture(client, admin, f"manifest-{i}")
        sid = order["shipments"][0]["id"]
        assert order["shipments"][0]["node"] == "CHN-FC1"
        with uow_factory() as uow:
            uow.shipments.set_carrier(sid, carrier)
            uow.commit()
        ids.append(sid)
    for i, sid in enumerate(ids[:2] + ids[2:]):
        _ship(client, admin, sid, f"AWB-MAN-{i:04d}")
    _capture(client, admin, "manifest-unshipped")  # allocated, not shipped: not on the manifest
    today = datetime.now(UTC).date().isoformat()
    for headers in (admin, auth(keys["node_chn"]), auth(keys["analyst"])):
        r = client.get(f"/nodes/CHN-FC1/manifest?date={today}", headers=headers)
        assert r.status_code == 200, r.get_json()
        m = r.get_json()
        assert m["node"] == "CHN-FC1" and m["date"] == today and m["total"] == 3
        assert [(c["carrier"], c["count"]) for c in m["carriers"]] == [("ECO", 1), ("XPR", 2)]
        listed = {s["shipment"] for c in m["carriers"] for s in c["shipments"]}
        assert listed == set(ids)
        assert all(s["awb"] for c in m["carriers"] for s in c["shipments"])
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert client.get(f"/nodes/CHN-FC1/manifest?date={yesterday}", headers=admin).get_json()["total"] == 0
    assert client.get("/nodes/MUM-FC1/manifest", headers=admin).get_json()["total"] == 0
    assert client.get("/nodes/CHN-FC1/manifest?date=2026-02-30", headers=admin).status_code == 422
    assert client.get("/nodes/NOPE-1/manifest", headers=admin).status_code == 404
    assert client.get("/nodes/CHN-FC1/manifest", headers=auth(keys["node_mum"])).status_code == 404


# ---------------------------------------------------------------- listing


def _all_pages(client, headers, query: str, limit: int = 2) -> list[str]:
    ids, cursor, pages = [], None, 0
    while True:
        url = f"/orders?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.get_json())
        page = r.get_json()
        assert len(page["items"]) <= limit
        ids += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        pages += 1
        assert pages < 100
        if not cursor:
            return ids


def test_listing_orders_pages_through_every_match_exactly_once(client, keys, uow_factory):
    admin = auth(keys["admin"])
    made = {}
    specs = [("web", CHENNAI), ("web", "400072"), ("amazon", CHENNAI), ("web", CHENNAI), ("amazon", "400072"),
             ("web", CHENNAI), ("amazon", CHENNAI)]
    start = datetime.now(UTC) - timedelta(seconds=1)
    for i, (channel, pin) in enumerate(specs):
        o = _capture(client, admin, f"page-{i}", channel=channel, pin=pin)
        made[o["id"]] = o
    cancelled = list(made)[3]
    _post(client, f"/orders/{cancelled}/cancel", admin, {"reason": "r"})
    end = datetime.now(UTC) + timedelta(seconds=1)

    everything = _all_pages(client, admin, "")
    assert sorted(everything) == sorted(made) and len(everything) == len(set(everything))
    created = [made[i]["created_at"] for i in everything]
    assert created == sorted(created, reverse=True), "newest first"

    def expect(pred):
        return sorted(i for i, o in made.items() if pred(o))

    assert sorted(_all_pages(client, admin, "&channel=web")) == expect(lambda o: o["channel"] == "web")
    assert sorted(_all_pages(client, admin, f"&pin={CHENNAI}")) == expect(lambda o: o["ship_to"]["pin"] == CHENNAI)
    assert sorted(_all_pages(client, admin, "&status=CANCELLED")) == [cancelled]
    assert sorted(_all_pages(client, admin, "&status=ALLOCATED&channel=amazon")) == expect(
        lambda o: o["channel"] == "amazon" and o["id"] != cancelled)
    window = f"&created_from={start.isoformat().replace('+00:00', 'Z')}&created_to={end.isoformat().replace('+00:00', 'Z')}"
    assert sorted(_all_pages(client, admin, window, limit=3)) == sorted(made)
    later = (end + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert _all_pages(client, admin, f"&created_from={later}") == []
    nodes = {o["id"]: {s["node"] for s in o["shipments"]} for o in made.values()}
    assert sorted(_all_pages(client, admin, "&node=CHN-FC1")) == sorted(i for i, n in nodes.items() if "CHN-FC1" in n)
    # A channel key sees its own channel only, whatever it asks for.
    assert sorted(_all_pages(client, auth(keys["channel"]), "")) == expect(lambda o: o["channel"] == "web")
    assert _all_pages(client, auth(keys["channel"]), "&channel=amazon") == []


def test_a_tampered_cursor_is_a_422_not_a_crash(client, keys):
    for cursor in ("garbage", "Zm9vfGJhcg", "%%%", "MjAyNi0wMS0wMXxvcmRfMQ"):
        r = client.get(f"/orders?cursor={cursor}", headers=auth(keys["admin"]))
        assert r.status_code == 422, (cursor, r.get_json())


def test_a_node_key_lists_only_its_own_nodes_shipments(client, keys):
    admin = auth(keys["admin"])
    chn = _capture(client, admin, "ship-list-chn")
    mum = _capture(client, admin, "ship-list-mum", pin="400072")
    assert mum["shipments"][0]["node"] == "MUM-FC1"
    for key, node, mine in (("node_chn", "CHN-FC1", chn), ("node_mum", "MUM-FC1", mum)):
        items = client.get("/shipments", headers=auth(keys[key])).get_json()["items"]
        assert items and {s["node"] for s in items} == {node}
        assert mine["shipments"][0]["id"] in {s["id"] for s in items}
        other = "MUM-FC1" if node == "CHN-FC1" else "CHN-FC1"
        assert client.get(f"/shipments?node={other}", headers=auth(keys[key])).get_json()["items"] == []
    everyone = client.get("/shipments", headers=admin).get_json()["items"]
    assert {s["node"] for s in everyone} >= {"CHN-FC1", "MUM-FC1"}


# ---------------------------------------------------------------- pack / ship


def test_packing_recomputes_the_billed_weight_from_the_box(client, keys):
    admin = auth(keys["admin"])
    order = _capture(client, admin, "pack-1")
    shipment = order["shipments"][0]
    _post(client, f"/shipments/{shipment['id']}/accept", admin)
    # A light item in a big box: billed by volume (600x400x400 mm / 5000 = 19.2 kg).
    packed = _post(client, f"/shipments/{shipment['id']}/pack", admin,
                   {"weight_g": 800, "length_mm": 600, "width_mm": 400, "height_mm": 400})
    assert packed["status"] == "PACKED"
    assert packed["billed_weight_g"] >= 19_200 > shipment["billed_weight_g"]
    assert packed["cost_paise"] > shipment["cost_paise"]
    assert packed["cost_breakdown"]["shipping"] > shipment["cost_breakdown"]["shipping"]


def test_ship_without_pack_is_a_conflict(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _capture(client, admin, "ship-unpacked")
    sid = order["shipments"][0]["id"]
    stock = _stock(uow_factory, "CHN-FC1", SKU)
    _post(client, f"/shipments/{sid}/ship", admin, {"awb": "AWB-EARLY-01"}, status=409)
    _post(client, f"/shipments/{sid}/accept", admin)
    _post(client, f"/shipments/{sid}/ship", admin, {"awb": "AWB-EARLY-01"}, status=409)
    assert _stock(uow_factory, "CHN-FC1", SKU) == stock
    _post(client, f"/shipments/{sid}/pack", admin, {**BOX}, status=200)
    _post(client, f"/shipments/{sid}/pack", admin, {**BOX}, status=409)  # already packed


def test_an_awb_cannot_be_used_twice(client, keys):
    admin = auth(keys["admin"])
    a = _capture(client, admin, "awb-a")
    b = _capture(client, admin, "awb-b")
    _ship(client, admin, a["shipments"][0]["id"], "AWB-DUP-0001")
    sid = b["shipments"][0]["id"]
    _post(client, f"/shipments/{sid}/accept", admin)
    _post(client, f"/shipments/{sid}/pack", admin, BOX)
    _post(client, f"/shipments/{sid}/ship", admin, {"awb": "AWB-DUP-0001"}, status=409)


# ---------------------------------------------------------------- tracking


def _shipped(client, admin, ext: str, awb: str) -> dict:
    order = _capture(client, admin, ext)
    return _ship(client, admin, order["shipments"][0]["id"], awb)


def test_tracking_with_a_bad_signature_is_401_and_changes_nothing(client, keys):
    admin = auth(keys["admin"])
    s = _shipped(client, admin, "sig-1", "AWB-SIG-0001")
    events = [{"awb": "AWB-SIG-0001", "status": "delivered", "at": "2026-11-27T12:00:00Z"}]
    for secret in ("wrong-secret", ""):
        r = signed_tracking(client, s["carrier"], events, secret=secret)
        assert r.status_code == 401 and set(r.get_json()) == {"status", "title", "detail", "errors"}
    r = client.post(f"/tracking/{s['carrier']}", json={"events": events})  # no signature at all
    assert r.status_code == 401
    r = signed_tracking(client, "NOPE", events)
    assert r.status_code == 404
    after = client.get(f"/shipments/{s['id']}", headers=admin).get_json()
    assert after["status"] == "SHIPPED" and len(after["events"]) == len(s["events"])


def test_tracking_another_carriers_awb_is_reported_unknown_and_changes_nothing(client, keys, uow_factory):
    admin = auth(keys["admin"])
    s = _shipped(client, admin, "other-carrier", "AWB-OTHER-01")
    other = "ECO" if s["carrier"] != "ECO" else "XPR"
    r = signed_tracking(client, other, [{"awb": "AWB-OTHER-01", "status": "delivered", "at": "2026-11-27T12:00:00Z"}])
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["results"][0]["result"] == "unknown_awb" and r.get_json()["applied"] == 0
    after = client.get(f"/shipments/{s['id']}", headers=admin).get_json()
    assert after["status"] == "SHIPPED" and len(after["events"]) == len(s["events"])


def test_rto_brings_the_units_back_to_the_nodes_on_hand(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _capture(client, admin, "rto-1", lines=[{"sku": SKU, "qty": 2}])
    sid = order["shipments"][0]["id"]
    on_hand, reserved = _stock(uow_factory, "CHN-FC1", SKU)
    s = _ship(client, admin, sid, "AWB-RTO-0001")
    assert _stock(uow_factory, "CHN-FC1", SKU) == (on_hand - 2, reserved - 2)
    scans = [{"awb": "AWB-RTO-0001", "status": "picked_up", "at": "2026-11-26T10:00:00Z"},
             {"awb": "AWB-RTO-0001", "status": "failed_attempt", "at": "2026-11-27T10:00:00Z"},
             {"awb": "AWB-RTO-0001", "status": "rto_initiated", "at": "2026-11-28T10:00:00Z"},
             {"awb": "AWB-RTO-0001", "status": "rto_delivered", "at": "2026-11-30T10:00:00Z"}]
    r = signed_tracking(client, s["carrier"], scans)
    assert r.get_json()["applied"] == 4, r.get_json()
    assert _stock(uow_factory, "CHN-FC1", SKU) == (on_hand, reserved - 2)
    order = _order(client, admin, order["id"])
    assert order["status"] == "RTO"
    assert order["shipments"][0]["status"] == "RTO_DELIVERED"
    # The same RTO scan again is a duplicate: stock is not restocked twice.
    r = signed_tracking(client, s["carrier"], scans[3:])
    assert r.get_json()["results"][0]["result"] == "duplicate"
    assert _stock(uow_factory, "CHN-FC1", SKU) == (on_hand, reserved - 2)


def test_public_tracking_shows_the_timeline_without_personal_data(client, keys):
    admin = auth(keys["admin"])
    s = _shipped(client, admin, "public-1", "AWB-PUB-0001")
    signed_tracking(client, s["carrier"], [{"awb": "AWB-PUB-0001", "status": "in_transit",
                                            "at": "2026-11-26T10:00:00Z", "location": "Chennai hub"}])
    r = client.get("/track/AWB-PUB-0001")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "IN_TRANSIT" and body["timeline"]
    text = r.get_data(as_text=True)
    assert "Asha" not in text and "Anna Salai" not in text and "asha@example.com" not in text


assert CARRIER_SECRET  # the webhook secret every demo carrier gets in conftest

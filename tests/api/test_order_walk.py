"""End to end: capture -> allocate -> reject at the first node -> hop -> accept -> pack -> ship -> track -> delivered."""

from __future__ import annotations

from tests.api.conftest import auth, order_body, signed_tracking


def _stock(uow_factory, node: str, sku: str):
    with uow_factory(readonly=True) as uow:
        pos = uow.inventory.get(node, sku)
    return pos.on_hand, pos.reserved


def test_one_order_walks_from_capture_to_delivered_with_a_hop(client, keys, uow_factory):
    admin = auth(keys["admin"])
    r = client.post("/orders", json=order_body("walk-1"), headers=admin)
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert order["status"] == "ALLOCATED"
    assert len(order["shipments"]) == 1
    first = order["shipments"][0]
    first_node = first["node"]
    on_hand_first, reserved_first = _stock(uow_factory, first_node, "SKU-0001")
    assert reserved_first >= 1
    assert order["plan"]["plan"]["explanation"], "the plan explains every candidate node"

    # The first node rejects: its reservation is released and the unit hops to another node at once.
    r = client.post(f"/shipments/{first['id']}/reject", json={"reason": "shelf empty"}, headers=admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "REJECTED"
    assert _stock(uow_factory, first_node, "SKU-0001") == (on_hand_first, reserved_first - 1)
    order = client.get(f"/orders/{order['id']}", headers=admin).get_json()
    assert order["status"] == "ALLOCATED"
    live = [s for s in order["shipments"] if s["status"] == "ALLOCATED"]
    assert len(live) == 1 and live[0]["node"] != first_node
    second = live[0]
    node2 = second["node"]
    on_hand2, reserved2 = _stock(uow_factory, node2, "SKU-0001")
    assert reserved2 >= 1
    rejected_node_explained = [e for e in order["plan"]["plan"]["explanation"] if e["node"] == first_node]
    assert rejected_node_explained and rejected_node_explained[0]["code"] == "forbidden"

    assert client.post(f"/shipments/{second['id']}/accept", headers=admin).get_json()["status"] == "ACCEPTED"
    r = client.post(f"/shipments/{second['id']}/pack", headers=admin,
                    json={"weight_g": 700, "length_mm": 300, "width_mm": 200, "height_mm": 100})
    assert r.status_code == 200 and r.get_json()["status"] == "PACKED"
    r = client.post(f"/shipments/{second['id']}/ship", json={"awb": "AWB-WALK-0001"}, headers=admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["awb"] == "AWB-WALK-0001"
    # Shipping turns the reservation into an on-hand decrement.
    assert _stock(uow_factory, node2, "SKU-0001") == (on_hand2 - 1, reserved2 - 1)
    assert client.get(f"/orders/{order['id']}", headers=admin).get_json()["status"] == "SHIPPED"

    carrier = second["carrier"]
    scans = [
        {"awb": "AWB-WALK-0001", "status": "picked_up", "at": "2026-11-26T10:00:00Z", "location": node2},
        {"awb": "AWB-WALK-0001", "status": "in_transit", "at": "2026-11-26T18:00:00Z", "location": "hub"},
        {"awb": "AWB-WALK-0001", "status": "out_for_delivery", "at": "2026-11-27T08:00:00Z", "location": "Chennai"},
        {"awb": "AWB-WALK-0001", "status": "delivered", "at": "2026-11-27T12:00:00Z", "location": "Chennai"},
    ]
    r = signed_tracking(client, carrier, scans)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["applied"] == 4
    # A duplicate and a late, older scan change nothing.
    r = signed_tracking(client, carrier, [scans[3], scans[1]])
    assert [x["result"] for x in r.get_json()["results"]] == ["duplicate", "stale"]

    order = client.get(f"/orders/{order['id']}", headers=admin).get_json()
    assert order["status"] == "DELIVERED"
    order_moves = [(e["from_status"], e["to_status"]) for e in order["events"]
                   if e["entity"] == "order" and e["type"] == "status_changed"]
    assert order_moves == [("CREATED", "VALIDATED"), ("VALIDATED", "ALLOCATED"), ("ALLOCATED", "SHIPPED"),
                           ("SHIPPED", "DELIVERED")]
    types = {e["type"] for e in order["events"] if e["entity"] == "order"}
    assert {"captured", "node_rejected", "hopped"} <= types
    assert all(e["actor"] and e["at"] for e in order["events"])

    public = client.get("/track/AWB-WALK-0001")
    assert public.status_code == 200
    assert public.get_json()["status"] == "DELIVERED"
    delivered = [t for t in public.get_json()["timeline"] if t["status"] == "DELIVERED"]
    assert delivered == [{"status": "DELIVERED", "at": "2026-11-27T12:00:00+00:00", "location": "Chennai"}]
    assert "Asha" not in public.get_data(as_text=True) and "9800000001" not in public.get_data(as_text=True)

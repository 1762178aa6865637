"""Omnichannel over HTTP: channel stock feeds, dropship vendors, ship-from-store, BOPIS, transfer orders."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.api.conftest import auth, order_body

SKU = "SKU-0024"


def _stock(uow_factory, node: str, sku: str):
    with uow_factory(readonly=True) as uow:
        p = uow.inventory.get(node, sku)
    return None if p is None else (p.on_hand, p.reserved)


def _adjust(client, token, rows):
    r = client.post("/inventory/adjustments", headers=auth(token), json={"adjustments": rows})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _zero_everywhere(client, keys, uow_factory, sku: str, keep: tuple[str, ...] = ()) -> None:
    with uow_factory(readonly=True) as uow:
        rows = [p for p in uow.inventory.list(sku=sku) if p.on_hand > p.reserved and p.node not in keep]
    if rows:  # reserved units stay (they belong to open orders)
        _adjust(client, keys["admin"], [{"node": p.node, "sku": sku, "delta": p.reserved - p.on_hand,
                                         "reason": "cycle_count"}
                                        for p in rows])


def _node_key(uow_factory, node: str) -> str:
    from omnialloc.services.access import create_key

    with uow_factory() as uow:
        token, _ = create_key(uow, name=f"test-{node}", role="node", node=node)
        uow.commit()
    return token


# ---------------------------------------------------------------- channel stock feed
def test_feed_holds_back_the_channels_buffer(client, keys, uow_factory):
    """amazon: fed by the FCs, buffer 2 units + 10% of ATP (rounded up)."""
    r = client.get("/channels/amazon/inventory-feed", headers=auth(keys["admin"]))
    assert r.status_code == 200, r.get_json()
    feed = r.get_json()
    assert (feed["buffer_units"], feed["buffer_percent"]) == (2, 10)
    assert "BLR-ST1" not in feed["feeding_nodes"] and "CHN-FC1" in feed["feeding_nodes"]
    with uow_factory(readonly=True) as uow:
        atp = sum(max(0, p.on_hand - p.reserved - p.safety_stock) for p in uow.inventory.list(sku=SKU)
                  if p.node in feed["feeding_nodes"])
    item = next(i for i in feed["items"] if i["sku"] == SKU)
    held = 2 + -(-atp * 10 // 100)
    assert item == {"sku": SKU, "atp": atp, "buffer": held, "available": atp - held}


def test_a_channel_never_sees_the_last_units(client, keys, uow_factory):
    _zero_everywhere(client, keys, uow_factory, SKU)
    with uow_factory(readonly=True) as uow:
        safety = uow.inventory.get("CHN-FC1", SKU).safety_stock
    _adjust(client, keys["admin"], [{"node": "CHN-FC1", "sku": SKU, "delta": safety + 2, "reason": "receipt"}])
    amazon = client.get("/channels/amazon/inventory-feed", headers=auth(keys["admin"])).get_json()
    web = client.get("/channels/web/inventory-feed", headers=auth(keys["admin"])).get_json()
    assert next(i for i in amazon["items"] if i["sku"] == SKU)["available"] == 0  # 2 ATP, 2 units buffer
    assert next(i for i in web["items"] if i["sku"] == SKU)["available"] == 2  # no buffer


def test_feed_delta_since_a_cursor_has_only_changed_skus(client, keys):
    admin = auth(keys["admin"])
    full = client.get("/channels/web/inventory-feed", headers=admin).get_json()
    assert full["full"] and len(full["items"]) > 50
    empty = client.get(f"/channels/web/inventory-feed?since={full['cursor']}", headers=admin).get_json()
    assert empty["items"] == [] and not empty["full"]
    _adjust(client, keys["admin"], [{"node": "CHN-FC1", "sku": SKU, "delta": 3, "reason": "receipt"}])
    delta = client.get(f"/channels/web/inventory-feed?since={full['cursor']}", headers=admin).get_json()
    assert [i["sku"] for i in delta["items"]] == [SKU]
    assert delta["cursor"] > full["cursor"] or delta["cursor"] != full["cursor"]
    again = client.get(f"/channels/web/inventory-feed?since={delta['cursor']}", headers=admin).get_json()
    assert again["items"] == []


def test_feed_as_csv_and_channel_scoping(client, keys):
    r = client.get("/channels/web/inventory-feed?format=csv", headers=auth(keys["channel"]))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert set(rows[0]) == {"sku", "available", "atp", "buffer"} and r.headers["X-Feed-Cursor"]
    assert client.get("/channels/amazon/inventory-feed", headers=auth(keys["channel"])).status_code == 404
    assert client.get("/channels/web/inventory-feed", headers=auth(keys["node_chn"])).status_code == 403
    assert client.get("/channels/nope/inventory-feed", headers=auth(keys["admin"])).status_code == 404


# ---------------------------------------------------------------- dropship vendor
def test_dropship_round_trip_with_a_vendor_rejection(client, keys, uow_factory):
    """The vendor posts its stock feed, rejects one order (it hops to an FC), accepts another and ships it with
    its own AWB."""
    admin = auth(keys["admin"])
    vendor = _node_key(uow_factory, "DS-SRT1")
    _zero_everywhere(client, keys, uow_factory, SKU)
    feed = client.post("/inventory/imports?mode=snapshot", data=f"sku,qty\n{SKU},6\n".encode(),
                       content_type="text/csv", headers=auth(vendor))
    assert feed.status_code == 200, feed.get_json()
    assert feed.get_json()["nodes"] == ["DS-SRT1"]
    assert _stock(uow_factory, "DS-SRT1", SKU) == (6, 0)

    order = client.post("/orders", json=order_body("ds-1", pin="395003", lines=[{"sku": SKU, "qty": 2}]),
                        headers=admin).get_json()
    (first,) = order["shipments"]
    assert first["node"] == "DS-SRT1"
    # stock arrives at an FC too; the vendor then rejects: the lines hop to the FC.
    _adjust(client, keys["admin"], [{"node": "AMD-FC1", "sku": SKU, "delta": 20, "reason": "receipt"}])
    r = client.post(f"/shipments/{first['id']}/reject", json={"reason": "loom breakdown"}, headers=auth(vendor))
    assert r.status_code == 200 and r.get_json()["status"] == "REJECTED"
    order = client.get(f"/orders/{order['id']}", headers=admin).get_json()
    live = [s for s in order["shipments"] if s["status"] == "ALLOCATED"]
    assert [s["node"] for s in live] == ["AMD-FC1"]
    assert _stock(uow_factory, "DS-SRT1", SKU) == (6, 0)
    # the vendor cannot see or act on the FC's shipment
    assert client.post(f"/shipments/{live[0]['id']}/accept", headers=auth(vendor)).status_code == 404

    _zero_everywhere(client, keys, uow_factory, SKU, keep=("DS-SRT1",))
    order2 = client.post("/orders", json=order_body("ds-2", pin="395003", lines=[{"sku": SKU, "qty": 1}]),
                         headers=admin).get_json()
    (s2,) = order2["shipments"]
    assert s2["node"] == "DS-SRT1"
    for url, body in [("accept", None), ("pack", {"weight_g": 400, "length_mm": 200, "width_mm": 150, "height_mm": 50}),
                      ("ship", {"awb": "SRT-VENDOR-0001"})]:
        r = client.post(f"/shipments/{s2['id']}/{url}", json=body, headers=auth(vendor))
        assert r.status_code == 200, (url, r.get_json())
    assert r.get_json()["awb"] == "SRT-VENDOR-0001" and r.get_json()["status"] == "SHIPPED"
    assert _stock(uow_factory, "DS-SRT1", SKU) == (5, 0)


# ---------------------------------------------------------------- ship-from-store
def test_stores_are_candidates_unless_routing_turns_ship_from_store_off():
    from omnialloc.config import Settings
    from omnialloc.domain import Address, Node, Order, OrderLine, PaymentMode, Sku
    from omnialloc.domain.enums import NodeKind
    from omnialloc.geo.pins import locate
    from omnialloc.services.allocation.planning import Candidates, Routing, build_problem

    dest = locate("560038")
    nodes = [Node(code="BLR-ST1", name="store", kind=NodeKind.STORE, pin="560038", city="Bengaluru", state="KA",
                  lat=dest.lat, lon=dest.lon, capabilities=frozenset({"ship", "pickup_in_store"}), daily_capacity=80,
                  handling_cost_paise=4500),
             Node(code="BLR-FC1", name="fc", kind=NodeKind.WAREHOUSE, pin="560099", city="Bengaluru", state="KA",
                  lat=12.84, lon=77.69, capabilities=frozenset({"ship"}), daily_capacity=2500, handling_cost_paise=1900)]
    order = Order(id="o1", channel="pos", external_id="e", ship_to=Address(name="a", line1="b", city="c", state="",
                                                                            pin="560038"),
                  lines=[OrderLine(line_no=1, sku="S", qty=1, unit_price_paise=100)], payment_mode=PaymentMode.PREPAID)
    cand = Candidates(nodes=nodes, locations={n.code: dest for n in nodes}, atp={("BLR-ST1", "S"): 5, ("BLR-FC1", "S"): 5},
                      capacity_left={"BLR-ST1": 80, "BLR-FC1": 2500})

    from types import SimpleNamespace

    class Net:  # no carriers: only node eligibility matters here
        carriers, rate_cards, serviceability = [], [], SimpleNamespace()

    skus = {"S": Sku(code="S", name="s", category="c", unit_weight_g=100, length_mm=1, width_mm=1, height_mm=1,
                     unit_price_paise=100)}
    on = build_problem(order, {1: 1}, skus, dest, cand, Net(), Settings(), Routing())
    off = build_problem(order, {1: 1}, skus, dest, cand, Net(), Settings(), Routing(allow_stores=False))
    reasons = {n.code: n.forbidden_reason for n in off.nodes}
    assert reasons["BLR-ST1"] == "ship-from-store is off for this order" and reasons["BLR-FC1"] is None
    assert {n.code: n.forbidden_reason for n in on.nodes}["BLR-ST1"] is None


# ---------------------------------------------------------------- pickup in store (BOPIS)
def _pickup_order(client, keys, external_id: str, store: str = "CHN-ST1", sku: str = "SKU-0001", qty: int = 1,
                  **extra):
    r = client.post("/orders", json=order_body(external_id, lines=[{"sku": sku, "qty": qty}], delivery_mode="pickup",
                                               pickup_node=store, **extra), headers=auth(keys["admin"]))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_bopis_from_capture_to_pickup(client, keys, uow_factory):
    store = _node_key(uow_factory, "CHN-ST1")
    before = _stock(uow_factory, "CHN-ST1", "SKU-0001")
    order = _pickup_order(client, keys, "bopis-1")
    assert order["status"] == "ALLOCATED"
    (shp,) = order["shipments"]
    assert (shp["node"], shp["carrier"]) == ("CHN-ST1", "PICKUP")
    assert _stock(uow_factory, "CHN-ST1", "SKU-0001") == (before[0], before[1] + 1)
    assert client.post(f"/shipments/{shp['id']}/ready", headers=auth(store)).status_code == 409  # accept first
    assert client.post(f"/shipments/{shp['id']}/accept", headers=auth(store)).status_code == 200
    r = client.post(f"/shipments/{shp['id']}/pack", headers=auth(store),
                    json={"weight_g": 400, "length_mm": 200, "width_mm": 150, "height_mm": 80})
    assert r.status_code == 200
    r = client.post(f"/shipments/{shp['id']}/ship", json={"awb": "NOPE0001"}, headers=auth(store))
    assert r.status_code == 409  # a pickup parcel is handed over at the counter, never shipped
    r = client.post(f"/shipments/{shp['id']}/ready", headers=auth(store))
    assert r.status_code == 200 and r.get_json()["status"] == "READY_FOR_PICKUP"
    info = client.get(f"/orders/{order['id']}/pickup", headers=auth(keys["channel"])).get_json()
    assert info["status"] == "READY_FOR_PICKUP" and len(info["pickup_code"]) == 6 and info["expires_at"]
    wrong = "000000" if info["pickup_code"] != "000000" else "111111"
    r = client.post(f"/shipments/{shp['id']}/collect", json={"code": wrong}, headers=auth(store))
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "code"
    assert _stock(uow_factory, "CHN-ST1", "SKU-0001") == (before[0], before[1] + 1)
    r = client.post(f"/shipments/{shp['id']}/collect", json={"code": info["pickup_code"]}, headers=auth(store))
    assert r.status_code == 200 and r.get_json()["status"] == "COLLECTED"
    assert _stock(uow_factory, "CHN-ST1", "SKU-0001") == (before[0] - 1, before[1])
    order = client.get(f"/orders/{order['id']}", headers=auth(keys["admin"])).get_json()
    assert order["status"] == "PICKED_UP"
    moves = [e["to_status"] for e in order["events"] if e["type"] == "status_changed"]
    assert moves.index("READY_FOR_PICKUP") < moves.index("COLLECTED") < moves.index("PICKED_UP")
    _invariants_hold(uow_factory)


def test_the_customer_is_sent_the_pickup_code_and_the_store_when_the_order_is_ready(client, keys, uow_factory):
    import sqlalchemy as sa

    from omnialloc.notify.catalog import Channel, Kind
    from omnialloc.notify.context import finish
    from omnialloc.notify.templates import Templates
    from omnialloc.store.tables.notifications import notifications

    store = _node_key(uow_factory, "CHN-ST1")
    order = _pickup_order(client, keys, "bopis-msg", payment_mode="COD")
    (shp,) = order["shipments"]
    assert client.post(f"/shipments/{shp['id']}/accept", headers=auth(store)).status_code == 200
    assert client.post(f"/shipments/{shp['id']}/ready", headers=auth(store)).status_code == 200
    code = client.get(f"/orders/{order['id']}/pickup", headers=auth(keys["channel"])).get_json()["pickup_code"]
    with uow_factory(readonly=True) as uow:
        rows = uow.conn.execute(sa.select(notifications).where(notifications.c.order_id == order["id"],
                                                               notifications.c.kind == "ready_for_pickup")).all()
        store_name = uow.nodes.get("CHN-ST1").name
    assert sorted((r.channel, r.recipient, r.status) for r in rows) == [
        ("email", "asha@example.com", "pending"), ("sms", "+919800000001", "pending")]
    ctx = finish(rows[0].context, brand="Omni Shop", tracking_base_url="https://t.example/")
    assert ctx["pickup"]["code"] == code and ctx["pickup"]["store_name"] == store_name
    assert ctx["pickup"]["expires_on"] and "Chennai" in ctx["pickup"]["store_address"]
    sms = Templates().render(Kind.READY_FOR_PICKUP, Channel.SMS, ctx).text
    mail = Templates().render(Kind.READY_FOR_PICKUP, Channel.EMAIL, ctx)
    assert code in sms and len(sms) <= 160
    assert code in mail.subject and code in mail.text and store_name in mail.html and "at the counter" in mail.text


def _invariants_hold(uow_factory) -> None:
    """`omnialloc check` finds nothing wrong (reserved == units of live shipments, statuses, events)."""
    from omnialloc.services.invariants import check

    with uow_factory(readonly=True) as uow:
        engine = uow.engine
    report = check(engine)
    assert report.ok, report.summary(limit=10)


def test_a_pickup_order_is_allocated_at_its_store_only(client, keys, uow_factory):
    _adjust(client, keys["admin"], [{"node": "CHN-ST1", "sku": "SKU-0001", "delta": -8, "reason": "damage"}])
    order = _pickup_order(client, keys, "bopis-2")
    assert order["status"] == "BACKORDERED"  # stock elsewhere does not count


def test_unclaimed_pickups_expire_and_are_restocked(client, keys, uow_factory, clean_engine, settings):
    from omnialloc.services.context import Context
    from omnialloc.services.events import now
    from omnialloc.services.fulfilment.pickups import expire

    store = _node_key(uow_factory, "CHN-ST1")
    before = _stock(uow_factory, "CHN-ST1", "SKU-0001")
    order = _pickup_order(client, keys, "bopis-3")
    (shp,) = order["shipments"]
    client.post(f"/shipments/{shp['id']}/accept", headers=auth(store))
    client.post(f"/shipments/{shp['id']}/ready", headers=auth(store))
    ctx = Context(engine=clean_engine, settings=settings)
    assert expire(ctx) == []  # not yet due
    assert expire(ctx, at=now() + timedelta(days=6)) == [order["id"]]
    assert _stock(uow_factory, "CHN-ST1", "SKU-0001") == before
    order = client.get(f"/orders/{order['id']}", headers=auth(keys["admin"])).get_json()
    assert order["status"] == "CANCELLED"
    assert client.post(f"/shipments/{shp['id']}/collect", json={"code": "123456"}, headers=auth(store)).status_code == 409
    _invariants_hold(uow_factory)


def test_ready_and_collect_refuse_shipped_orders(client, keys):
    order = client.post("/orders", json=order_body("ship-not-pickup", lines=[{"sku": SKU, "qty": 1}]),
                        headers=auth(keys["admin"])).get_json()
    shp = order["shipments"][0]["id"]
    client.post(f"/shipments/{shp}/accept", headers=auth(keys["admin"]))
    assert client.post(f"/shipments/{shp}/ready", headers=auth(keys["admin"])).status_code == 409


# ---------------------------------------------------------------- transfer orders
def test_transfer_order_dispatch_in_transit_receive(client, keys, uow_factory):
    admin = auth(keys["admin"])
    src, dst = _stock(uow_factory, "CHN-FC1", SKU), _stock(uow_factory, "BLR-ST1", SKU)
    r = client.post("/transfers", json={"source": "CHN-FC1", "destination": "BLR-ST1", "reason": "store refill",
                                        "lines": [{"sku": SKU, "qty": 4}]}, headers=admin)
    assert r.status_code == 201, r.get_json()
    t = r.get_json()
    assert t["status"] == "CREATED" and _stock(uow_factory, "CHN-FC1", SKU) == src
    # the destination cannot dispatch; the source can
    assert client.post(f"/transfers/{t['id']}/dispatch", headers=auth(keys["node_mum"])).status_code == 404
    r = client.post(f"/transfers/{t['id']}/dispatch", headers=auth(keys["node_chn"]))
    assert r.status_code == 200 and r.get_json()["status"] == "DISPATCHED"
    assert _stock(uow_factory, "CHN-FC1", SKU) == (src[0] - 4, src[1])
    assert _stock(uow_factory, "BLR-ST1", SKU) == dst  # in transit: at neither node
    assert client.post(f"/transfers/{t['id']}/cancel", json={"reason": "x"}, headers=admin).status_code == 409
    r = client.post(f"/transfers/{t['id']}/receive", json={"received": {SKU: 3}}, headers=admin)
    assert r.status_code == 200, r.get_json()
    t = r.get_json()
    assert t["status"] == "RECEIVED" and t["lines"] == [{"sku": SKU, "qty": 4, "received_qty": 3}]
    assert _stock(uow_factory, "BLR-ST1", SKU)[0] == (dst[0] if dst else 0) + 3
    assert [e["to_status"] for e in t["events"]] == ["CREATED", "DISPATCHED", "RECEIVED"]
    with uow_factory(readonly=True) as uow:
        reasons = [e.reason for e in uow.events.for_entity("inventory", f"CHN-FC1:{SKU}")]
    assert reasons == ["transfer_out"]
    _invariants_hold(uow_factory)


def test_transfer_needs_unreserved_stock_and_known_nodes(client, keys, uow_factory):
    admin = auth(keys["admin"])
    src = _stock(uow_factory, "CHN-FC1", SKU)
    r = client.post("/transfers", json={"source": "CHN-FC1", "destination": "NOPE", "lines": [
        {"sku": SKU, "qty": src[0] + 1}]}, headers=admin)
    assert r.status_code == 422
    assert {e["field"] for e in r.get_json()["errors"]} == {"destination"}
    r = client.post("/transfers", json={"source": "CHN-FC1", "destination": "MUM-FC1", "lines": [
        {"sku": SKU, "qty": src[0] + 1}]}, headers=admin)
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "lines.0.qty"


def test_create_transfer_is_callable_by_the_rebalance_batch(clean_engine, settings):
    from omnialloc.services.inventory import transfers
    from omnialloc.services.context import Context

    ctx = Context(engine=clean_engine, settings=settings)
    view = transfers.create_transfer(ctx, "MUM-FC1", "PNQ-FC1", {SKU: 1}, actor="batch:rebalance", origin="rebalance")
    assert view["origin"] == "rebalance" and view["status"] == "CREATED"

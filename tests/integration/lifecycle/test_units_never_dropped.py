"""No unit is ever dropped: every path that ends a shipment re-plans its units (another node, else a backorder),
and the order's status follows its units (issue 20, item 1). SQLite and PostgreSQL.

The orders here ship from two nodes by construction: SKU-0001 is only at CHN-FC1 and SKU-0002 only at MUM-FC1
(zero elsewhere), so a two-line order is two shipments, one per node.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from omnialloc.services.fulfilment import tracking
from omnialloc.services.invariants import check
from tests.integration.lifecycle.conftest import order_status, unit_states, waiting_units

A, B = "SKU-0001", "SKU-0002"
BOX = {"weight_g": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}


@pytest.fixture
def two_node_order(stock_only_at, capture):
    stock_only_at(A, {"CHN-FC1": 3})
    stock_only_at(B, {"MUM-FC1": 3})
    order = capture([(A, 1), (B, 1)])
    assert order["status"] == "ALLOCATED"
    by_node = {s["node"]: s["id"] for s in order["shipments"]}
    assert set(by_node) == {"CHN-FC1", "MUM-FC1"}
    return order, by_node


def _ship(api, shipment_id: str) -> str:
    for action, body in (("accept", None), ("pack", BOX), ("ship", {})):
        status, out = api("post", f"/shipments/{shipment_id}/{action}", body)
        assert status == 200, (action, out)
    return out["awb"]


def _deliver(ctx, api, shipment_id: str, awb: str) -> None:
    status, shipment = api("get", f"/shipments/{shipment_id}")
    assert status == 200
    out = tracking.apply_events(ctx, shipment["carrier"], [
        {"awb": awb, "status": "delivered", "at": "2030-01-01T10:00:00Z"}])
    assert out["applied"] == 1, out


def _assert_sound(engine):
    report = check(engine)
    assert report.ok, report.summary()


def test_rejecting_the_rest_of_a_partially_shipped_order_re_plans_it_at_another_node(
        two_node_order, stock_only_at, api, clean_engine):
    order, by_node = two_node_order
    _ship(api, by_node["CHN-FC1"])
    assert order_status(clean_engine, order["id"]) == "PARTIALLY_SHIPPED"
    stock_only_at(B, {"MUM-FC1": 3, "DEL-FC1": 2})  # another node has B now

    status, _ = api("post", f"/shipments/{by_node['MUM-FC1']}/reject", {"reason": "shelf empty"})
    assert status == 200
    status, view = api("get", f"/orders/{order['id']}")
    live = [s for s in view["shipments"] if s["status"] == "ALLOCATED"]
    assert [(s["node"], s["lines"][0]["sku"]) for s in live] == [("DEL-FC1", B)]
    assert view["status"] == "PARTIALLY_SHIPPED"
    assert waiting_units(clean_engine, order["id"]) == 0
    _assert_sound(clean_engine)


def test_a_rejected_rest_that_no_node_can_take_waits_as_a_backorder_and_the_order_is_never_delivered_without_it(
        two_node_order, api, ctx, clean_engine, drain_backorders):
    order, by_node = two_node_order
    awb = _ship(api, by_node["CHN-FC1"])
    status, _ = api("post", f"/shipments/{by_node['MUM-FC1']}/reject", {"reason": "shelf empty"})
    assert status == 200
    # The B unit is not dropped: it waits, and the order says so.
    assert order_status(clean_engine, order["id"]) == "BACKORDERED"
    assert unit_states(clean_engine, order["id"])[2] == {"qty": 1, "cancelled": 0, "placed": 0, "shipped": 0}
    _assert_sound(clean_engine)
    # The shipped parcel is delivered: the order is not, one unit is still missing.
    _deliver(ctx, api, by_node["CHN-FC1"], awb)
    assert order_status(clean_engine, order["id"]) == "BACKORDERED"
    # Stock arrives at another node (MUM-FC1 rejected the order): the worker places the waiting unit.
    status, out = api("post", "/inventory/adjustments", {"adjustments": [
        {"node": "BLR-FC1", "sku": B, "delta": 1, "reason": "receipt"}]})
    assert status == 200 and out["backorder_retries_queued"] == 1
    assert drain_backorders().allocated == 1
    status, view = api("get", f"/orders/{order['id']}")
    assert view["status"] == "PARTIALLY_SHIPPED"
    new = [s for s in view["shipments"] if s["status"] == "ALLOCATED"]
    assert [s["node"] for s in new] == ["BLR-FC1"]
    awb2 = _ship(api, new[0]["id"])
    assert order_status(clean_engine, order["id"]) == "SHIPPED"
    _deliver(ctx, api, new[0]["id"], awb2)
    assert order_status(clean_engine, order["id"]) == "DELIVERED"
    _assert_sound(clean_engine)


def test_allocate_re_plans_a_partially_shipped_order_s_waiting_units(two_node_order, api, clean_engine,
                                                                      stock_only_at):
    order, by_node = two_node_order
    _ship(api, by_node["CHN-FC1"])
    api("post", f"/shipments/{by_node['MUM-FC1']}/reject", {"reason": "shelf empty"})
    stock_only_at(B, {"MUM-FC1": 3, "KOL-FC1": 1})
    status, view = api("post", f"/orders/{order['id']}/allocate")
    assert status == 200, view
    assert view["status"] == "PARTIALLY_SHIPPED"
    assert waiting_units(clean_engine, order["id"]) == 0
    _assert_sound(clean_engine)


def test_a_backordered_order_ships_what_it_holds_and_cancelling_the_wait_settles_it(
        two_node_order, api, clean_engine):
    order, by_node = two_node_order
    # MUM rejects first: B waits while A is still at CHN-FC1.
    api("post", f"/shipments/{by_node['MUM-FC1']}/reject", {"reason": "shelf empty"})
    assert order_status(clean_engine, order["id"]) == "BACKORDERED"
    _ship(api, by_node["CHN-FC1"])  # was a 409 (BACKORDERED -> SHIPPED is no move) and lost B's wait
    assert order_status(clean_engine, order["id"]) == "BACKORDERED"
    _assert_sound(clean_engine)
    status, view = api("post", f"/orders/{order['id']}/cancel", {"reason": "customer gave up on B",
                                                                 "lines": [{"line_no": 2, "qty": 1}]})
    assert status == 200, view
    assert view["status"] == "SHIPPED"
    _assert_sound(clean_engine)


def test_cancelling_the_waiting_line_of_a_backordered_order_leaves_it_allocated(two_node_order, api, clean_engine):
    order, by_node = two_node_order
    api("post", f"/shipments/{by_node['MUM-FC1']}/reject", {"reason": "shelf empty"})
    status, view = api("post", f"/orders/{order['id']}/cancel", {"reason": "no B", "lines": [{"line_no": 2, "qty": 1}]})
    assert status == 200 and view["status"] == "ALLOCATED", view
    _ship(api, by_node["CHN-FC1"])
    assert order_status(clean_engine, order["id"]) == "SHIPPED"
    _assert_sound(clean_engine)


def test_cancelling_the_unshipped_rest_of_a_partially_shipped_order_makes_it_shipped(
        two_node_order, api, ctx, clean_engine):
    order, by_node = two_node_order
    awb = _ship(api, by_node["CHN-FC1"])
    _deliver(ctx, api, by_node["CHN-FC1"], awb)
    status, view = api("post", f"/orders/{order['id']}/cancel", {"reason": "no B", "lines": [{"line_no": 2, "qty": 1}]})
    assert status == 200, view
    assert view["status"] == "DELIVERED"  # was left PARTIALLY_SHIPPED for ever: nothing would move it
    _assert_sound(clean_engine)


def test_check_names_units_in_no_state_and_a_backorder_with_nothing_waiting(two_node_order, clean_engine):
    order, by_node = two_node_order
    with clean_engine.begin() as conn:  # a rejected shipment whose units nobody re-planned (the old defect)
        conn.execute(sa.text("UPDATE shipments SET status = 'REJECTED' WHERE id = :i"), {"i": by_node["MUM-FC1"]})
        conn.execute(sa.text("UPDATE inventory SET reserved = 0 WHERE node = 'MUM-FC1' AND sku = :s"), {"s": B})
        conn.execute(sa.text("UPDATE shipment_day_counts SET live = live - 1 WHERE node = 'MUM-FC1'"))
        conn.execute(sa.text("INSERT INTO events (entity, entity_id, type, from_status, to_status, actor, at, "
                             "payload) VALUES ('shipment', :i, 'status_changed', 'ALLOCATED', 'REJECTED', 'test', "
                             ":at, '{}')"), {"i": by_node["MUM-FC1"], "at": "2030-01-01 00:00:00"})
    report = check(clean_engine)
    assert report.codes() == {"unit_unaccounted"}, report.summary()
    assert f"{order['id']} line 2" in report.summary()


def test_check_names_a_backorder_with_nothing_waiting(two_node_order, clean_engine):
    order, _ = two_node_order
    with clean_engine.begin() as conn:
        conn.execute(sa.text("UPDATE orders SET status = 'BACKORDERED' WHERE id = :i"), {"i": order["id"]})
        conn.execute(sa.text("INSERT INTO events (entity, entity_id, type, from_status, to_status, actor, at, "
                             "payload) VALUES ('order', :i, 'status_changed', 'ALLOCATED', 'BACKORDERED', 'test', "
                             ":at, '{}')"), {"i": order["id"], "at": "2030-01-01 00:00:00"})
    report = check(clean_engine)
    assert report.codes() == {"backorder_without_waiting"}, report.summary()

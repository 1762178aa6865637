"""An order whose parcels have all ended rolls up (issue 20 leftover): DELIVERED when any parcel reached the
buyer (others came back to origin), RTO only when every parcel came back; never left SHIPPED for ever.

The order ships from two nodes by construction (SKU-0001 only at CHN-FC1, SKU-0002 only at MUM-FC1). The
outcome is read back with SQL written here: the order's status, its last status event, and where its units are.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from omnialloc.services.fulfilment import tracking
from tests.integration.lifecycle.conftest import order_status, unit_states

A, B = "SKU-0001", "SKU-0002"
BOX = {"weight_g": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}


@pytest.fixture
def shipped_twice(stock_only_at, capture, api):
    """A two-parcel order with both parcels shipped: (order id, {node: (shipment id, carrier, awb)})."""
    stock_only_at(A, {"CHN-FC1": 3})
    stock_only_at(B, {"MUM-FC1": 3})
    order = capture([(A, 1), (B, 1)])
    parcels = {}
    for s in order["shipments"]:
        for action, body in (("accept", None), ("pack", BOX), ("ship", {})):
            status, out = api("post", f"/shipments/{s['id']}/{action}", body)
            assert status == 200, (action, out)
        parcels[s["node"]] = (s["id"], out["carrier"], out["awb"])
    assert set(parcels) == {"CHN-FC1", "MUM-FC1"}
    return order["id"], parcels


def _scan(ctx, parcel, *statuses: str) -> None:
    _, carrier, awb = parcel
    for i, status in enumerate(statuses):
        out = tracking.apply_events(ctx, carrier, [{"awb": awb, "status": status, "at": f"2030-01-0{i + 1}T10:00:00Z",
                                                    "event_id": f"{awb}-{status}"}])
        assert out["applied"] == 1, out


def _last_status_event(engine, order_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT to_status FROM events WHERE entity = 'order' AND entity_id = :o AND to_status IS NOT NULL "
            "ORDER BY id DESC LIMIT 1"), {"o": order_id}).scalar_one()


def _all_units_shipped(engine, order_id: str) -> bool:
    return all(u["shipped"] == u["qty"] - u["cancelled"] and u["placed"] == 0
               for u in unit_states(engine, order_id).values())


@pytest.mark.parametrize("first", ["delivered", "rto"])
def test_one_parcel_delivered_and_one_returned_to_origin_is_delivered(shipped_twice, ctx, clean_engine, first):
    order_id, parcels = shipped_twice
    steps = [(parcels["CHN-FC1"], ("delivered",)), (parcels["MUM-FC1"], ("rto_initiated", "rto_delivered"))]
    if first == "rto":
        steps.reverse()
    _scan(ctx, *steps[0][:1], *steps[0][1])
    assert order_status(clean_engine, order_id) == "SHIPPED"  # one parcel still on its way
    _scan(ctx, *steps[1][:1], *steps[1][1])
    assert order_status(clean_engine, order_id) == "DELIVERED"
    assert _last_status_event(clean_engine, order_id) == "DELIVERED"
    assert _all_units_shipped(clean_engine, order_id)
    with clean_engine.connect() as conn:
        reason = conn.execute(sa.text(
            "SELECT reason FROM events WHERE entity = 'order' AND entity_id = :o AND to_status = 'DELIVERED'"),
            {"o": order_id}).scalar_one()
    assert "returned to origin" in reason


def test_every_parcel_returned_to_origin_is_rto(shipped_twice, ctx, clean_engine):
    order_id, parcels = shipped_twice
    _scan(ctx, parcels["CHN-FC1"], "rto_initiated", "rto_delivered")
    assert order_status(clean_engine, order_id) == "SHIPPED"
    _scan(ctx, parcels["MUM-FC1"], "rto_initiated", "rto_delivered")
    assert order_status(clean_engine, order_id) == "RTO"
    assert _last_status_event(clean_engine, order_id) == "RTO"


def test_a_parcel_on_its_way_back_keeps_the_order_shipped(shipped_twice, ctx, clean_engine):
    order_id, parcels = shipped_twice
    _scan(ctx, parcels["CHN-FC1"], "delivered")
    _scan(ctx, parcels["MUM-FC1"], "rto_initiated")
    assert order_status(clean_engine, order_id) == "SHIPPED"

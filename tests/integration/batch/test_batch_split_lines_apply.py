"""A line split across nodes by the nightly batch (issue 22), planned and applied against a real store,
checked by SQL written here: the shipments carry the line's units between them, the order is ALLOCATED and
the reservations match the shipments."""

from __future__ import annotations

import sqlalchemy as sa
from test_batch_service import _ctx, _stock

from omnialloc.services.access import SYSTEM
from omnialloc.services.batch import reoptimize
from omnialloc.services.invariants import check
from omnialloc.services.orders import lifecycle

SKU = "SKU-0001"


def _capture(ctx, ext: str, qty: int) -> dict:
    body = {"channel": "web", "external_id": ext, "payment_mode": "PREPAID",
            "ship_to": {"name": "A", "line1": "1 Road", "city": "Chennai", "pin": "600002"},
            "lines": [{"sku": SKU, "qty": qty}]}
    view, _ = lifecycle.capture(ctx, SYSTEM, body)
    return view


def test_batch_splits_a_line_no_node_can_fill_alone_and_apply_reserves_each_part(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {})
    order = _capture(ctx, "two-units", qty=2)
    assert order["status"] == "BACKORDERED"
    _stock(clean_engine, {"CHN-FC1": 1, "BLR-FC1": 1})  # one unit at each of two nodes (no retry runs)

    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    assert summary["moves"] == 1
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["applied"] == 1
    with clean_engine.connect() as conn:
        status = conn.execute(sa.text("SELECT status FROM orders WHERE id = :i"), {"i": order["id"]}).scalar_one()
        parts = conn.execute(sa.text(
            "SELECT s.node, sl.line_no, sl.qty FROM shipments s JOIN shipment_lines sl ON sl.shipment_id = s.id "
            "WHERE s.order_id = :i AND s.status <> 'CANCELLED' ORDER BY s.node"), {"i": order["id"]}).all()
        reserved = dict(conn.execute(sa.text("SELECT node, reserved FROM inventory WHERE sku = :s AND reserved > 0"),
                                     {"s": SKU}).all())
    assert status == "ALLOCATED"
    assert [tuple(p) for p in parts] == [("BLR-FC1", 1, 1), ("CHN-FC1", 1, 1)]
    assert reserved == {"BLR-FC1": 1, "CHN-FC1": 1}
    assert check(clean_engine).ok, check(clean_engine).summary()

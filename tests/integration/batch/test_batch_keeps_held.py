"""A batch plan keeps what an order holds when the network changed under it (issue 22).

An ALLOCATED order must stay filled, and keeping its shipments is always possible (they hold their stock),
so a node deactivated, or a lane a rule now forbids, since the order was allocated must not stop the whole
nightly batch: the held shipment stays offered to the order and the plan keeps it, moves it within the
rules, or leaves it. Read back with SQL written here.
"""

from __future__ import annotations

import sqlalchemy as sa
from test_batch_harm import SKU, _capture, _stock
from test_batch_service import _ctx

from omnialloc.services.batch import reoptimize
from omnialloc.services.network.cache import invalidate


def _held_shipments(engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT order_id, id FROM shipments WHERE status = 'ALLOCATED'")).all()
    out: dict[str, set[str]] = {}
    for order_id, sid in rows:
        out.setdefault(order_id, set()).add(sid)
    return out


def test_a_node_deactivated_under_allocated_orders_does_not_stop_the_batch(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"CHN-FC1": 2})
    held = [_capture(ctx, f"held-{i}", "600002") for i in range(2)]
    assert all(v["status"] == "ALLOCATED" for v in held)
    waiting = _capture(ctx, "waiting", "110001")
    assert waiting["status"] == "BACKORDERED"
    before = _held_shipments(clean_engine)
    with clean_engine.begin() as conn:
        conn.execute(sa.text("UPDATE nodes SET active = :f WHERE code = 'CHN-FC1'"), {"f": False})
        conn.execute(sa.text("UPDATE inventory SET on_hand = reserved + 1, safety_stock = 0 "
                             "WHERE node = 'DEL-FC1' AND sku = :s"), {"s": SKU})
    invalidate()
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)  # was: ValueError unknown node 'CHN-FC1'
    assert summary["orders"] == 1 and summary["not_in_batch"] == 2
    reoptimize.apply_batch(ctx, summary["run_id"])
    after = _held_shipments(clean_engine)
    assert {o: after.get(o) for o in before} == before  # the held orders keep their shipments as they were
    with clean_engine.connect() as conn:
        status = dict(conn.execute(sa.text("SELECT id, status FROM orders")).all())
        node = conn.execute(sa.text("SELECT node FROM shipments WHERE order_id = :o AND status = 'ALLOCATED'"),
                            {"o": waiting["id"]}).scalar_one()
    assert status == {held[0]["id"]: "ALLOCATED", held[1]["id"]: "ALLOCATED", waiting["id"]: "ALLOCATED"}
    assert node == "DEL-FC1"

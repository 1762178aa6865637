"""`batch apply` keeps the unit rule and hands released stock to the waiting orders (issue 20 leftovers).

Every ordered unit is, after each applied move, placed, shipped, cancelled or waiting on a BACKORDERED order;
the reservations equal what live shipments hold; and stock a move releases is offered to the orders waiting
for it through the backorder queue (the batch may have been run on some orders only, so the waiting order
need not be in it). Checked with SQL written here, not with the store's repositories or `omnialloc check`.
"""

from __future__ import annotations

import sqlalchemy as sa
from test_batch_harm import _stock
from test_batch_service import _ctx

from omnialloc.services.access import SYSTEM
from omnialloc.services.batch import reoptimize
from omnialloc.services.fulfilment import shipments as fulfilment
from omnialloc.services.orders import lifecycle
from omnialloc.services.orders.backorders import drain

SKU_A, SKU_B = "SKU-0001", "SKU-0002"
CHENNAI, DELHI = "600002", "110001"
HOLDING = "('ALLOCATED','ACCEPTED','PACKED','READY_FOR_PICKUP')"
DEAD = "('REJECTED','CANCELLED')"


def _capture(ctx, ext: str, pin: str, lines: list[tuple[str, int]], priority: int | None = None) -> dict:
    body = {"channel": "web", "external_id": ext, "payment_mode": "PREPAID",
            "ship_to": {"name": "A Buyer", "line1": "1 Road", "city": "X", "pin": pin, "email": "a@example.com"},
            "lines": [{"sku": s, "qty": q} for s, q in lines]}
    if priority is not None:
        body["priority"] = priority
    view, _ = lifecycle.capture(ctx, SYSTEM, body)
    return view


def _status(engine, order_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT status FROM orders WHERE id = :i"), {"i": order_id}).scalar_one()


def _unit_rule_breaches(engine) -> list[tuple]:
    """Order lines of planned orders whose units are not all placed, shipped, cancelled or (on a BACKORDERED
    order) waiting; and BACKORDERED orders with nothing waiting."""
    per_line = f"""
        SELECT o.id, o.status, l.line_no, l.qty - l.cancelled_qty
               - COALESCE(SUM(CASE WHEN s.status IN {HOLDING} THEN sl.qty END), 0)
               - COALESCE(SUM(CASE WHEN s.status NOT IN {HOLDING} AND s.status NOT IN {DEAD} THEN sl.qty END), 0)
               AS waiting
        FROM orders o JOIN order_lines l ON l.order_id = o.id
        LEFT JOIN shipments s ON s.order_id = o.id
        LEFT JOIN shipment_lines sl ON sl.shipment_id = s.id AND sl.line_no = l.line_no
        WHERE o.status NOT IN ('CREATED', 'VALIDATED', 'ON_HOLD')
        GROUP BY o.id, o.status, l.line_no, l.qty, l.cancelled_qty"""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(per_line)).all()
    bad = [tuple(r) for r in rows if r.waiting < 0 or (r.waiting > 0 and r.status != "BACKORDERED")]
    waiting_by_order: dict[str, int] = {}
    for r in rows:
        if r.status == "BACKORDERED":
            waiting_by_order[r.id] = waiting_by_order.get(r.id, 0) + r.waiting
    bad += [(oid, "BACKORDERED", None, 0) for oid, w in waiting_by_order.items() if w <= 0]
    return bad


def _reserved_mismatches(engine) -> list[tuple]:
    """(node, sku, reserved, held by live shipments) where the two differ."""
    q = f"""
        SELECT i.node, i.sku, i.reserved, COALESCE(h.held, 0) AS held FROM inventory i
        LEFT JOIN (SELECT s.node, sl.sku, SUM(sl.qty) AS held FROM shipments s
                   JOIN shipment_lines sl ON sl.shipment_id = s.id
                   WHERE s.status IN {HOLDING} GROUP BY s.node, sl.sku) h ON h.node = i.node AND h.sku = i.sku
        WHERE i.reserved <> COALESCE(h.held, 0)"""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(q))]


def _assert_units_accounted(engine) -> None:
    assert _unit_rule_breaches(engine) == []
    assert _reserved_mismatches(engine) == []


def _put(engine, node: str, sku: str, free: int) -> None:
    """``free`` units of ``sku`` on hand at ``node`` beyond what is reserved there (safety stock 0), by hand:
    no backorder retry is queued for it."""
    with engine.begin() as conn:
        done = conn.execute(sa.text("UPDATE inventory SET on_hand = reserved + :q, safety_stock = 0 "
                                    "WHERE node = :n AND sku = :s"), {"q": free, "n": node, "s": sku}).rowcount
        if not done:
            conn.execute(sa.text("INSERT INTO inventory (node, sku, on_hand, reserved, safety_stock, updated_at) "
                                 "VALUES (:n, :s, :q, 0, 0, CURRENT_TIMESTAMP)"), {"q": free, "n": node, "s": sku})


def _plan_only(ctx, tmp_path, order_ids: list[str], **kw) -> dict:
    path = tmp_path / "orders.txt"
    path.write_text("\n".join(order_ids) + "\n")
    return reoptimize.plan_batch(ctx, orders_file=str(path), min_saving_paise=0, **kw)


def test_stock_a_move_releases_reaches_an_order_waiting_outside_the_batch(clean_engine, clean_db_url, tmp_path):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"DEL-FC1": 2})
    far = [_capture(ctx, f"far-{i}", CHENNAI, [(SKU_A, 1)]) for i in range(2)]
    assert all(v["status"] == "ALLOCATED" for v in far)
    waiting = _capture(ctx, "waiting", DELHI, [(SKU_A, 1)])
    assert waiting["status"] == "BACKORDERED"
    drain(ctx)  # its own 'waiting' retry finds nothing
    assert _status(clean_engine, waiting["id"]) == "BACKORDERED"
    _stock(clean_engine, {"CHN-FC1": 2})  # counted in by hand: no retry queued for it
    summary = _plan_only(ctx, tmp_path, [v["id"] for v in far])
    assert summary["orders_moved"] == 2
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["moved"] == 2
    _assert_units_accounted(clean_engine)
    # the two Delhi units the moves released go to the order waiting for them, by the backorder worker
    drain(ctx)
    assert _status(clean_engine, waiting["id"]) == "ALLOCATED"
    with clean_engine.connect() as conn:
        node = conn.execute(sa.text("SELECT node FROM shipments WHERE order_id = :o AND status = 'ALLOCATED'"),
                            {"o": waiting["id"]}).scalar_one()
    assert node == "DEL-FC1"
    _assert_units_accounted(clean_engine)


def _half_held(ctx, engine) -> dict:
    """An order holding line A at Chennai whose line B (rejected at Delhi, stocked nowhere else) waits."""
    _stock(engine, {}, SKU_A)
    _stock(engine, {}, SKU_B)
    _put(engine, "CHN-FC1", SKU_A, 1)
    _put(engine, "DEL-FC1", SKU_B, 1)
    order = _capture(ctx, "half", CHENNAI, [(SKU_A, 1), (SKU_B, 1)])
    assert order["status"] == "ALLOCATED"
    with engine.connect() as conn:
        b_ship = conn.execute(sa.text(
            "SELECT s.id FROM shipments s JOIN shipment_lines sl ON sl.shipment_id = s.id "
            "WHERE s.order_id = :o AND sl.sku = :b"), {"o": order["id"], "b": SKU_B}).scalar_one()
    fulfilment.reject(ctx, SYSTEM, b_ship, "damaged")
    assert _status(engine, order["id"]) == "BACKORDERED"
    drain(ctx)
    return order


def test_a_half_held_backorder_moved_whole_by_the_batch_keeps_every_unit(clean_engine, clean_db_url, tmp_path):
    ctx = _ctx(clean_engine, clean_db_url)
    half = _half_held(ctx, clean_engine)
    # an order outside the batch waits for an A unit
    other = _capture(ctx, "other", CHENNAI, [(SKU_A, 1)])
    assert other["status"] == "BACKORDERED"
    drain(ctx)
    # both lines are now stocked together at the Chennai store, by hand: nothing is retried for it
    for sku in (SKU_A, SKU_B):
        _put(clean_engine, "CHN-ST1", sku, 1)
    summary = _plan_only(ctx, tmp_path, [half["id"]])
    assert summary["moves"] == 1, summary
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["applied"] == 1, tally
    assert _status(clean_engine, half["id"]) == "ALLOCATED"
    _assert_units_accounted(clean_engine)
    drain(ctx)
    _assert_units_accounted(clean_engine)
    with clean_engine.connect() as conn:
        held_at_chennai = conn.execute(sa.text(
            "SELECT COUNT(*) FROM shipments WHERE order_id = :o AND status = 'ALLOCATED' AND node = 'CHN-FC1'"),
            {"o": half["id"]}).scalar_one()
    if not held_at_chennai:  # the batch moved line A away from Chennai: the waiting order gets the unit
        assert _status(clean_engine, other["id"]) == "ALLOCATED"


def test_unallocating_a_half_held_backorder_keeps_every_unit_and_offers_its_stock(clean_engine, clean_db_url,
                                                                                  tmp_path):
    ctx = _ctx(clean_engine, clean_db_url)
    half = _half_held(ctx, clean_engine)
    urgent = _capture(ctx, "urgent", CHENNAI, [(SKU_A, 1)], priority=10)
    assert urgent["status"] == "BACKORDERED"
    drain(ctx)
    summary = _plan_only(ctx, tmp_path, [half["id"], urgent["id"]], allow_unallocate=True)
    assert summary["orders_unallocated"] == 1 and summary["orders_allocated"] == 1
    reoptimize.apply_batch(ctx, summary["run_id"])
    assert _status(clean_engine, urgent["id"]) == "ALLOCATED"
    assert _status(clean_engine, half["id"]) == "BACKORDERED"
    _assert_units_accounted(clean_engine)
    # the order now waits for both its lines: both are queued for a retry (as any order that starts waiting)
    with clean_engine.connect() as conn:
        queued = set(conn.execute(sa.text("SELECT sku FROM backorder_jobs WHERE claimed_by IS NULL")).scalars())
    assert {SKU_A, SKU_B} <= queued

"""The nightly batch never harms a customer (issue 22), checked by SQL written here.

- no ALLOCATED order is BACKORDERED by `batch apply` unless the plan was made with ``allow_unallocate``
  (the issue's demo: `load-demo --orders`, `batch plan`, `batch apply` backordered 70 allocated orders);
- a higher-priority order never loses stock to a lower-priority one (issue 30);
- a move never makes a shipment arrive after the date the buyer was promised;
- a buyer whose confirmed order is moved or un-allocated gets a message in the outbox.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from test_batch_service import _ctx

from omnialloc.services.batch import reoptimize
from omnialloc.services.orders import lifecycle
from omnialloc.services.access import SYSTEM
from omnialloc.services.network.demo import load_demo
from omnialloc.services.invariants import check
from omnialloc.store.tables.network import channels as channels_t
from omnialloc.store.tables.orders import orders as orders_t
from omnialloc.store.tables.promise import node_calendars
from omnialloc.store.tables.shipments import shipments as shipments_t

SKU = "SKU-0001"


def _stock(engine, levels: dict[str, int], sku: str = SKU) -> None:
    """on_hand of ``sku`` = reserved + the given free units at those nodes, free 0 elsewhere (no retries run)."""
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE inventory SET on_hand = reserved, safety_stock = 0 WHERE sku = :s"), {"s": sku})
        for node, q in levels.items():
            conn.execute(sa.text("UPDATE inventory SET on_hand = reserved + :q WHERE sku = :s AND node = :n"),
                         {"q": q, "s": sku, "n": node})


def _capture(ctx, ext: str, pin: str, qty: int = 1) -> dict:
    body = {"channel": "web", "external_id": ext, "payment_mode": "PREPAID",
            "ship_to": {"name": "A Buyer", "line1": "1 Road", "city": "X", "pin": pin, "email": "a@example.com"},
            "lines": [{"sku": SKU, "qty": qty}]}
    view, _ = lifecycle.capture(ctx, SYSTEM, body)
    return view


def _statuses(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT id, status FROM orders")).all())


def _fully_allocated(engine) -> set[str]:
    """Orders whose live (not cancelled) shipments hold every open unit: by SQL, not by the services."""
    q = sa.text("""
        SELECT o.id FROM orders o
        WHERE o.status = 'ALLOCATED' AND NOT EXISTS (
            SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.qty - l.cancelled_qty >
              (SELECT COALESCE(SUM(sl.qty), 0) FROM shipment_lines sl JOIN shipments s ON s.id = sl.shipment_id
               WHERE s.order_id = o.id AND sl.line_no = l.line_no AND s.status <> 'CANCELLED'))""")
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(q)}


def _messages(engine, kind: str) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT order_id, COUNT(*) FROM notifications WHERE kind = :k "
                                         "GROUP BY order_id"), {"k": kind}).all())


def test_the_demo_batch_never_backorders_an_allocated_order(clean_engine, clean_db_url):
    load_demo(with_orders=True, engine=clean_engine)
    ctx = _ctx(clean_engine, clean_db_url)
    before = _statuses(clean_engine)
    allocated = {o for o, s in before.items() if s == "ALLOCATED"}
    assert allocated and _fully_allocated(clean_engine) == allocated
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    assert summary["orders_unallocated"] == 0
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    after = _statuses(clean_engine)
    assert {o for o in allocated if after[o] != "ALLOCATED"} == set()
    assert allocated <= _fully_allocated(clean_engine)
    assert tally["unallocated"] == 0
    assert check(clean_engine).ok, check(clean_engine).summary()


def _far(engine, url, n: int):
    """n Chennai orders allocated from Delhi (Chennai had no stock), then Chennai receives stock."""
    ctx = _ctx(engine, url)
    _stock(engine, {"DEL-FC1": 50})
    views = [_capture(ctx, f"h-{i}", "600002") for i in range(n)]
    assert all(v["status"] == "ALLOCATED" for v in views)
    _stock(engine, {"CHN-FC1": 50})
    return ctx, views


def test_a_moved_buyer_is_told_and_the_promise_holds(clean_engine, clean_db_url):
    ctx, views = _far(clean_engine, clean_db_url, 2)
    with clean_engine.connect() as conn:
        promised = dict(conn.execute(sa.text("SELECT order_id, sla_days FROM shipments")).all())
    summary = reoptimize.plan_batch(ctx)
    assert summary["orders_moved"] == 2 and summary["saving_money_paise"]["shipping"] > 0
    assert summary["units_filled_more"] == 0
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["moved"] == 2 and tally["saving_money_paise"] > 0
    told = _messages(clean_engine, "order_updated")
    assert {v["id"] for v in views} <= set(told)
    with clean_engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT order_id, sla_days FROM shipments WHERE status = 'ALLOCATED'")).all()
    assert rows and all(sla <= promised[oid] for oid, sla in rows)  # created today: arrives no later


def test_a_move_that_would_arrive_after_the_promise_is_not_planned(clean_engine, clean_db_url):
    ctx, views = _far(clean_engine, clean_db_url, 2)
    # the Delhi shipments were made long enough ago that their promised date is today
    today = datetime.now(KOLKATA).date()
    with clean_engine.begin() as conn:
        for sid, sla in conn.execute(sa.text("SELECT id, sla_days FROM shipments")).all():
            conn.execute(sa.text("UPDATE shipments SET created_at = :t WHERE id = :i"),
                         {"t": datetime.now(UTC) - timedelta(days=sla), "i": sid})
        # and the order's stored promise (and the shipments' EDD) is today
        conn.execute(shipments_t.update().values(delivery_date=today))
        conn.execute(orders_t.update().values(promised_by=_end_of(today)))
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    assert summary["moves"] == 0


KOLKATA = ZoneInfo("Asia/Kolkata")


def _end_of(day):
    """The UTC instant a promise for the local ``day`` runs out (what orders.promised_by stores)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=KOLKATA).astimezone(UTC)


def _closed(engine, node: str, days: int) -> None:
    """``node`` is closed (holidays) for the next ``days`` days: its parcels leave only after them."""
    today = datetime.now(KOLKATA).date()
    with engine.begin() as conn:
        conn.execute(node_calendars.delete().where(node_calendars.c.node == node))
        conn.execute(node_calendars.insert().values(
            node=node, timezone="Asia/Kolkata", cutoff="14:00", working_days="Mon-Sun",
            holidays=[(today + timedelta(days=i)).isoformat() for i in range(days + 1)], pickup_days={}))


def _promises(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(orders_t.c.id, orders_t.c.promised_by)).all())


def _met(engine, promised: dict) -> bool:
    """Every live shipment's delivery date is on or before its order's promised (local) day, by SQL."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(shipments_t.c.order_id, shipments_t.c.delivery_date)
                            .where(shipments_t.c.status == "ALLOCATED")).all()
    return bool(rows) and all(d is not None and d <= (promised[o] - timedelta(microseconds=1)).astimezone(KOLKATA)
                              .date() for o, d in rows)


def _policy(engine, policy: str) -> None:
    with engine.begin() as conn:
        conn.execute(channels_t.update().where(channels_t.c.code == "web").values(promise_policy=policy))


def test_a_cheaper_node_closed_past_the_promise_gets_no_move_on_a_hard_channel(clean_engine, clean_db_url):
    """Chennai is cheaper and 1-2 transit days away, but closed for the next 10 days: by the delivery clock
    (holidays, cut-off) its parcel arrives after the stored promise, which transit days alone do not see."""
    ctx, views = _far(clean_engine, clean_db_url, 2)
    _policy(clean_engine, "hard")
    promised = _promises(clean_engine)
    assert all(promised[v["id"]] is not None for v in views) and _met(clean_engine, promised)
    _closed(clean_engine, "CHN-FC1", 10)
    ctx = _ctx(clean_engine, clean_db_url)
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    assert summary["moves"] == 0
    reoptimize.apply_batch(ctx, summary["run_id"])
    assert _promises(clean_engine) == promised and _met(clean_engine, promised)
    with clean_engine.connect() as conn:
        nodes = {r[0] for r in conn.execute(sa.text("SELECT node FROM shipments WHERE status = 'ALLOCATED'"))}
    assert nodes == {"DEL-FC1"}


def test_an_open_cheaper_node_is_moved_to_and_the_new_shipments_keep_the_promise(clean_engine, clean_db_url):
    """The same orders with Chennai open: moved, promised_by unchanged and met by the new shipments' EDD."""
    ctx, views = _far(clean_engine, clean_db_url, 2)
    _policy(clean_engine, "hard")
    promised = _promises(clean_engine)
    ctx = _ctx(clean_engine, clean_db_url)
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    assert summary["moves"] == 2
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["moved"] == 2
    assert _promises(clean_engine) == promised and _met(clean_engine, promised)
    with clean_engine.connect() as conn:
        nodes = {r[0] for r in conn.execute(sa.text("SELECT node FROM shipments WHERE status = 'ALLOCATED'"))}
    assert nodes == {"CHN-FC1"}


def _set_priority(engine, order_id: str, priority: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE orders SET priority = :p WHERE id = :i"), {"p": priority, "i": order_id})


def test_the_batch_gives_scarce_stock_to_the_higher_priority_order(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {})
    low = _capture(ctx, "low", "600002")  # Chennai, first, and nearer the stock
    high = _capture(ctx, "high", "110001")  # Delhi, later, urgent
    assert low["status"] == high["status"] == "BACKORDERED"
    _set_priority(clean_engine, high["id"], 10)
    _stock(clean_engine, {"CHN-FC1": 1})
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    reoptimize.apply_batch(ctx, summary["run_id"])
    after = _statuses(clean_engine)
    assert after[high["id"]] == "ALLOCATED" and after[low["id"]] == "BACKORDERED"


def test_allow_unallocate_takes_stock_from_lower_priority_only_and_tells_the_buyer(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"CHN-FC1": 1})
    low = _capture(ctx, "low", "600002")
    assert low["status"] == "ALLOCATED"
    high = _capture(ctx, "high", "600002")
    assert high["status"] == "BACKORDERED"
    _set_priority(clean_engine, high["id"], 10)
    # without the option the confirmed order keeps its unit
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    assert summary["moves"] == 0
    assert _statuses(clean_engine)[low["id"]] == "ALLOCATED"
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0, allow_unallocate=True)
    assert summary["orders_unallocated"] == 1 and summary["orders_allocated"] == 1
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["unallocated"] == 1
    after = _statuses(clean_engine)
    assert after[high["id"]] == "ALLOCATED" and after[low["id"]] == "BACKORDERED"
    assert _messages(clean_engine, "order_delayed") == {low["id"]: 2}  # e-mail and SMS
    assert check(clean_engine).ok, check(clean_engine).summary()
    # and never the other way round: the lower-priority order does not get it back
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0, allow_unallocate=True)
    assert summary["moves"] == 0


def test_allow_unallocate_never_unallocates_only_to_save_shipping(clean_engine, clean_db_url):
    ctx, views = _far(clean_engine, clean_db_url, 2)
    _stock(clean_engine, {})
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0, allow_unallocate=True)
    assert summary["orders_unallocated"] == 0



@pytest.mark.parametrize("policy,moves", [("soft", 2), ("hard", 0)])
def test_a_plan_already_late_moves_no_later_on_soft_and_not_at_all_on_hard(clean_engine, clean_db_url, policy, moves):
    """The stored promise ran out yesterday (the Delhi shipments arrive later): on a soft channel a move may
    arrive after the promise but never later than the current plan (open Chennai: moved); on a hard channel
    no new shipment may arrive after the promise, so none is made."""
    ctx, views = _far(clean_engine, clean_db_url, 2)
    ids = {v["id"] for v in views}
    _policy(clean_engine, policy)
    yesterday = datetime.now(KOLKATA).date() - timedelta(days=1)
    with clean_engine.begin() as conn:
        conn.execute(orders_t.update().where(orders_t.c.id.in_(ids)).values(promised_by=_end_of(yesterday)))
        before = dict(conn.execute(sa.select(shipments_t.c.order_id, shipments_t.c.delivery_date)
                                   .where(shipments_t.c.order_id.in_(ids))).all())
    promised = _promises(clean_engine)
    ctx = _ctx(clean_engine, clean_db_url)
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    assert summary["moves"] == moves
    reoptimize.apply_batch(ctx, summary["run_id"])
    assert _promises(clean_engine) == promised
    with clean_engine.connect() as conn:
        after = conn.execute(sa.select(shipments_t.c.order_id, shipments_t.c.node, shipments_t.c.delivery_date)
                             .where(shipments_t.c.status == "ALLOCATED", shipments_t.c.order_id.in_(ids))).all()
    assert after and all(d is not None and d <= before[o] for o, _, d in after)  # no worse than today
    assert {n for _, n, _ in after} == ({"CHN-FC1"} if moves else {"DEL-FC1"})

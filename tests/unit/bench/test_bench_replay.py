"""What-if replay over the store's history: read-only, and faithful when replaying the live strategy."""

import datetime as dt

import pytest
import sqlalchemy as sa

from benchmarks.replay import replay
from omnialloc.config import get_settings
from omnialloc.network_files import load_sample_orders
from omnialloc.services.access import SYSTEM
from omnialloc.services.context import Context
from omnialloc.services.orders.lifecycle import capture


def _snapshot(engine) -> dict:
    with engine.connect() as c:
        return {t: c.execute(sa.text(f"SELECT COUNT(*), {cols} FROM {t}")).one()
                for t, cols in (("orders", "MAX(version)"), ("shipments", "MAX(version)"),
                                ("inventory", "SUM(reserved) + 1000000 * SUM(on_hand)"), ("events", "MAX(id)"))}


def test_replay_never_writes_and_reproduces_the_live_optimal_plans(clean_engine):
    ctx = Context(engine=clean_engine, settings=get_settings())
    for body in load_sample_orders()[:12]:
        capture(ctx, SYSTEM, body)
    before = _snapshot(clean_engine)
    since = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)

    rows, same = replay(ctx, since, "optimal")
    _, other = replay(ctx, since, "nearest")
    assert other["orders"] == 12

    assert _snapshot(clean_engine) == before
    assert same["orders"] == 12
    # Allocation ran the optimal strategy on the same stock, in the same order: nothing changes.
    assert same["replay_paise"] == same["actual_paise"] and same["compared"] > 0


def _receipts_for(ctx, orders: list[dict]) -> int:
    """A receipt, after the orders, of every SKU they ordered at every node: stock they never had."""
    from omnialloc.services.inventory.positions import adjust

    with ctx.uow(readonly=True) as uow:
        nodes = [n.code for n in uow.nodes.list()]
    skus = sorted({ln["sku"] for body in orders for ln in body["lines"]})
    adjustments = [{"node": n, "sku": s, "delta": 50, "reason": "receipt"} for n in nodes for s in skus]
    adjust(ctx, SYSTEM, adjustments)
    return len(adjustments)


def test_replay_undoes_stock_received_after_the_start(clean_engine):
    ctx = Context(engine=clean_engine, settings=get_settings())
    bodies = load_sample_orders()[:12]
    for body in bodies:
        capture(ctx, SYSTEM, body)
    received = _receipts_for(ctx, bodies)
    before = _snapshot(clean_engine)
    since = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)

    _, same = replay(ctx, since, "optimal")

    assert _snapshot(clean_engine) == before
    assert same["stock_changes_replayed"] == received
    # The receipts came after every order: replayed in time order, no order may use them.
    assert same["replay_paise"] == same["actual_paise"] and same["compared"] > 0


def test_stock_ledger_starts_before_later_changes_and_replays_them_in_time_order():
    from types import SimpleNamespace

    from benchmarks.replay import StockChange, StockLedger

    t = [dt.datetime(2026, 10, d, tzinfo=dt.timezone.utc) for d in (1, 2, 3, 4)]
    now = [SimpleNamespace(node="FC1", sku="A", on_hand=30, reserved=4, safety_stock=1)]
    held = {("FC1", "A"): 4, ("FC2", "A"): 2}   # units the replayed orders' shipments hold or shipped
    changes = [StockChange(t[3], "FC1", "A", -5), StockChange(t[1], "FC1", "A", 20)]
    ledger = StockLedger(now, held, changes)
    # today 25 ATP + 4 held, minus the +20 receipt, plus the 5 written off since: 14 at the start
    assert ledger.atp[("FC1", "A")] == 14 and ledger.atp[("FC2", "A")] == 2
    ledger.advance_to(t[0])
    assert ledger.atp[("FC1", "A")] == 14
    ledger.advance_to(t[2])
    assert ledger.atp[("FC1", "A")] == 34
    ledger.advance_to(t[3])
    assert ledger.atp[("FC1", "A")] == 29


def test_replay_with_other_weights_reads_only_and_a_high_split_penalty_splits_no_more(clean_engine):
    from benchmarks.replay import Weights

    ctx = Context(engine=clean_engine, settings=get_settings())
    for body in load_sample_orders()[:12]:
        capture(ctx, SYSTEM, body)
    before = _snapshot(clean_engine)
    since = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)

    _, live = replay(ctx, since, "optimal")
    _, unsplit = replay(ctx, since, "optimal", weights=Weights(split_penalty_paise=10_000_000))
    _, near = replay(ctx, since, "optimal", weights=Weights(distance_weight_paise_per_km=100, priority_weight_paise=5))

    assert _snapshot(clean_engine) == before
    assert unsplit["weights"] == "split_penalty_paise=10000000"
    assert unsplit["replay_split"] <= live["replay_split"]
    assert near["orders"] == live["orders"] == 12 and near["weights"].startswith("distance_weight_paise_per_km=100")


def test_weights_refuse_negative_or_fractional_paise():
    from benchmarks.replay import Weights

    for bad in (dict(split_penalty_paise=-1), dict(distance_weight_paise_per_km=1.5), dict(priority_weight_paise=True)):
        with pytest.raises(ValueError, match="non-negative integer"):
            Weights(**bad)


def _atp(engine) -> dict[tuple[str, str], int]:
    with engine.connect() as c:
        return {(r.node, r.sku): r.on_hand - r.reserved - r.safety_stock
                for r in c.exec_driver_sql("SELECT node, sku, on_hand, reserved, safety_stock FROM inventory")}


def test_replay_starts_from_the_stock_as_it_was_before_snapshot_and_delta_imports(clean_engine):
    from benchmarks.replay import StockLedger, _stock_changes
    from omnialloc.services.inventory.positions import adjust
    from omnialloc.services.inventory.stock_import import import_stock

    ctx = Context(engine=clean_engine, settings=get_settings())
    for body in load_sample_orders()[:6]:
        capture(ctx, SYSTEM, body)
    at_start = _atp(clean_engine)          # the store as it was at the replay's start
    since = dt.datetime.now(dt.timezone.utc)
    with clean_engine.connect() as c:
        kol = c.exec_driver_sql("SELECT sku, on_hand, safety_stock FROM inventory WHERE node = 'KOL-FC1' "
                                "AND on_hand > reserved ORDER BY sku").all()
        chn = c.exec_driver_sql("SELECT sku FROM inventory WHERE node = 'CHN-FC1' AND on_hand > reserved + 2 "
                                "ORDER BY sku").scalars().all()
        fresh = c.exec_driver_sql("SELECT code FROM skus WHERE code NOT IN (SELECT sku FROM inventory "
                                  "WHERE node = 'CHN-FC1') ORDER BY code").scalars().first()
    # Snapshot of KOL-FC1: one count up with more safety stock, one the same, the reserved ones listed (a
    # snapshot may not zero them), every other position left out, so zeroed.
    with clean_engine.connect() as c:
        reserved = c.exec_driver_sql("SELECT sku, on_hand FROM inventory WHERE node = 'KOL-FC1' AND reserved > 0").all()
    counts = {kol[0].sku: f"{kol[0].on_hand + 40},{kol[0].safety_stock + 5}", kol[1].sku: f"{kol[1].on_hand},",
              **{r.sku: f"{r.on_hand}," for r in reserved}}
    report = import_stock(ctx, SYSTEM, "sku,qty,safety_stock\n" + "".join(f"{k},{v}\n" for k, v in counts.items()),
                          mode="snapshot", node="KOL-FC1")
    assert report["zeroed"] > 0 and report["updated"] >= 1
    adjust(ctx, SYSTEM, [{"node": "CHN-FC1", "sku": chn[0], "delta": 11, "reason": "receipt"}])
    import_stock(ctx, SYSTEM, f"node,sku,qty,safety_stock\nCHN-FC1,{chn[0]},-2,\nCHN-FC1,{chn[1]},9,1\n"
                              f"CHN-FC1,{fresh},6,\n", mode="delta")
    assert _atp(clean_engine) != at_start

    with ctx.uow(readonly=True) as uow:
        changes, not_undone = _stock_changes(uow, since)
        ledger = StockLedger(uow.inventory.list(), {}, changes)
    assert not_undone == 0
    keys = set(at_start) | set(ledger.atp)
    assert {k: ledger.atp.get(k, 0) for k in keys} == {k: at_start.get(k, 0) for k in keys}
    ledger.advance_to(dt.datetime.now(dt.timezone.utc))     # and forward again: today's stock
    now = _atp(clean_engine)
    assert {k: ledger.atp.get(k, 0) for k in keys} == {k: now.get(k, 0) for k in keys}

    before = _snapshot(clean_engine)
    _, summary = replay(ctx, since - dt.timedelta(days=1), "optimal")
    assert _snapshot(clean_engine) == before
    assert (summary["imports_replayed"], summary["imports_not_undone"], summary["stock_changes_replayed"]) == (2, 0, 1)


def test_imports_from_before_change_records_are_counted_as_not_undone(clean_engine):
    from omnialloc.services.events import record

    ctx = Context(engine=clean_engine, settings=get_settings())
    for body in load_sample_orders()[:2]:
        capture(ctx, SYSTEM, body)
    with ctx.uow() as uow:   # an import event as written before migration 0010: no "changes" count
        record(uow, "inventory", "imp_old", "imported", "test", mode="delta", rows=3, updated=3, inserted=0, zeroed=0)
        uow.commit()
    _, summary = replay(ctx, dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), "optimal")
    assert summary["imports_not_undone"] == 1 and summary["imports_replayed"] == 0


def test_stock_ledger_undoes_an_import_at_its_time_with_the_adjustments():
    from types import SimpleNamespace

    from benchmarks.replay import StockChange, StockImport, StockLedger

    t = [dt.datetime(2026, 10, d, tzinfo=dt.timezone.utc) for d in (1, 2, 3, 4)]
    now = [SimpleNamespace(node="FC1", sku="A", on_hand=30, reserved=4, safety_stock=10),
           SimpleNamespace(node="FC1", sku="B", on_hand=0, reserved=0, safety_stock=0)]
    # an import at t2: A's on_hand +20 and safety stock +12 (ATP +8), B zeroed from 7 (ATP -7)
    imp = StockImport(t[2], "imp_1", [("FC1", "A"), ("FC1", "B")], [8, -7])
    ledger = StockLedger(now, {}, [imp, StockChange(t[1], "FC1", "A", -3)])
    assert ledger.atp[("FC1", "A")] == 16 - 8 + 3 and ledger.atp[("FC1", "B")] == 7
    ledger.advance_to(t[1])
    assert ledger.atp[("FC1", "A")] == 8
    ledger.advance_to(t[3])
    assert (ledger.atp[("FC1", "A")], ledger.atp[("FC1", "B")]) == (16, 0)

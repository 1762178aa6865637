"""What-if replay over the store's history: read-only, and faithful when replaying the live strategy."""

import datetime as dt

import pytest
import sqlalchemy as sa

from benchmarks.replay import replay
from omnialloc.config import get_settings
from omnialloc.network_files import load_sample_orders
from omnialloc.services.access import SYSTEM
from omnialloc.services.context import Context
from omnialloc.services.lifecycle import capture


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
    from omnialloc.services.inventory import adjust

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

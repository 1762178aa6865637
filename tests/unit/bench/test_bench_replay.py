"""What-if replay over the store's history: read-only, and faithful when replaying the live strategy."""

import datetime as dt

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

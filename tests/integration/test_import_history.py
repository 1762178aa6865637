"""Pruning old stock-import change records keeps replays honest (SQLite + PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from omnialloc.config import get_settings
from omnialloc.domain.errors import ValidationFailed
from omnialloc.network_files import load_sample_orders
from omnialloc.services.access import SYSTEM
from omnialloc.services.context import Context
from omnialloc.services.inventory.import_history import PRUNED, horizon, prune
from omnialloc.services.orders.lifecycle import capture
from omnialloc.services.inventory.stock_import import import_stock
from omnialloc.store.tables.events import events
from omnialloc.store.tables.stock_imports import inventory_import_changes as changes_t
from omnialloc.store.uow import UnitOfWork

pytestmark = pytest.mark.db


def _ctx(engine) -> Context:
    return Context(engine=engine, settings=get_settings())


def _rows(engine) -> dict[str, int]:
    with engine.connect() as c:
        return dict(c.execute(sa.select(changes_t.c.import_id, sa.func.count())
                              .group_by(changes_t.c.import_id)).all())


def _two_imports(engine, days_ago: int) -> tuple[str, str]:
    """An old import (backdated `days_ago` days) and a fresh one, each changing two positions."""
    with engine.connect() as c:
        a, b = c.exec_driver_sql("SELECT sku FROM inventory WHERE node = 'CHN-FC1' ORDER BY sku").scalars().all()[:2]
    ctx = _ctx(engine)
    old = import_stock(ctx, SYSTEM, f"node,sku,qty\nCHN-FC1,{a},5\nCHN-FC1,{b},3\n", mode="delta")["import_id"]
    new = import_stock(ctx, SYSTEM, f"node,sku,qty\nCHN-FC1,{a},2\nCHN-FC1,{b},1\n", mode="delta")["import_id"]
    with engine.begin() as c:
        c.execute(sa.update(events).where(events.c.entity_id == old)
                  .values(at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)))
    return old, new


def test_prune_deletes_only_the_change_rows_of_imports_older_than_the_retention(clean_engine):
    old, new = _two_imports(clean_engine, days_ago=200)
    assert _rows(clean_engine) == {old: 2, new: 2}
    seen = []

    report = prune(_ctx(clean_engine), "test", progress=lambda done, total: seen.append((done, total)))

    assert (report.imports, report.rows) == (1, 2)          # default retention: 180 days
    assert _rows(clean_engine) == {new: 2}
    assert seen == [(0, 1), (1, 1)]
    with clean_engine.connect() as c:                       # the imports' own audit events stay
        assert c.execute(sa.select(sa.func.count()).where(events.c.type == "imported")).scalar() == 2
    with UnitOfWork(clean_engine, readonly=True) as uow:
        cutoff = horizon(uow)
    assert abs(cutoff - (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=180))) < dt.timedelta(minutes=5)
    again = prune(_ctx(clean_engine), "test")
    assert (again.imports, again.rows) == (0, 0)


def test_a_replay_counts_pruned_imports_as_not_undone(clean_engine):
    from benchmarks.replay import replay

    ctx = _ctx(clean_engine)
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=365)
    old, new = _two_imports(clean_engine, days_ago=40)

    for body in load_sample_orders()[:2]:
        capture(ctx, SYSTEM, body)
    _, summary = replay(ctx, since, "optimal")
    assert (summary["imports_replayed"], summary["imports_not_undone"]) == (2, 0)

    prune(ctx, "test", older_than_days=30)
    _, summary = replay(ctx, since, "optimal")
    assert (summary["imports_replayed"], summary["imports_not_undone"]) == (1, 1)


def test_the_horizon_is_committed_before_any_row_goes_so_an_interrupted_prune_stays_conservative(clean_engine):
    from benchmarks.replay import _stock_changes

    ctx = _ctx(clean_engine)
    old, new = _two_imports(clean_engine, days_ago=40)

    def crash(done, total):
        raise KeyboardInterrupt   # the operator's Ctrl-C (or a kill) before the first delete

    with pytest.raises(KeyboardInterrupt):
        prune(ctx, "test", older_than_days=30, progress=crash)
    assert _rows(clean_engine) == {old: 2, new: 2}            # nothing deleted yet ...
    with ctx.uow(readonly=True) as uow:                        # ... but no replay relies on the old rows
        changes, not_undone = _stock_changes(uow, dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    assert not_undone == 1 and [c.import_id for c in changes if hasattr(c, "import_id")] == [new]
    assert prune(ctx, "test", older_than_days=30).rows == 2   # running it again finishes the job


def test_a_retention_under_one_day_is_refused_and_changes_nothing(clean_engine):
    old, new = _two_imports(clean_engine, days_ago=3)
    with pytest.raises(ValidationFailed, match="at least 1 day"):
        prune(_ctx(clean_engine), "test", older_than_days=0)
    with clean_engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).where(events.c.type == PRUNED)).scalar() == 0
    assert _rows(clean_engine) == {old: 2, new: 2}


def test_cli_prune_history_reports_what_it_deleted(clean_engine, monkeypatch):
    from omnialloc.cli import main

    old, new = _two_imports(clean_engine, days_ago=10)
    monkeypatch.setattr("omnialloc.cli.inventory.default_context", lambda: _ctx(clean_engine))
    result = CliRunner().invoke(main, ["inventory", "prune-history", "--older-than-days", "7"])
    assert result.exit_code == 0, result.output
    assert '"imports": 1, "rows": 2' in result.output
    assert _rows(clean_engine) == {new: 2}
    bad = CliRunner().invoke(main, ["inventory", "prune-history", "--older-than-days", "0"])
    assert bad.exit_code == 2 and "0 is not in the range x>=1" in bad.output

"""A check that a PostgreSQL writer takes its stock-row locks in (node, SKU) order.

Allocations and receipts both lock inventory rows until their commit; two writers taking the same rows in
opposite orders would deadlock. The check: another transaction holds the *later* row, the writer runs in a
thread (asked for both rows, later one first), and once it waits for that lock the *earlier* row must already
be locked by it (a NOWAIT lock attempt on it fails).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from omnialloc.store.tables.inventory import inventory


def _row(pos: tuple[str, str]):
    return (inventory.c.node == pos[0]) & (inventory.c.sku == pos[1])


def run_behind_a_held_row(engine: sa.Engine, earlier: tuple[str, str], later: tuple[str, str],
                          writer: Callable[[], Any]) -> list[Any]:
    """Run `writer` while `later` is held; assert it locked `earlier` before waiting. Returns [its result or
    the exception it raised], after the held row is let go and the writer finished."""
    holder = engine.connect()
    holder.execute(inventory.update().where(_row(later)).values(updated_at=sa.func.now()))
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(writer())
        except Exception as exc:  # (shown by the caller's assertion)
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        with engine.connect() as probe:
            for _ in range(500):  # until the writer waits for the held row's lock
                waiting = probe.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                                "'Lock' AND datname = current_database()")).scalar_one()
                probe.rollback()
                if waiting:
                    break
                time.sleep(0.01)
            assert waiting, "the writer never waited for the held row"
            with pytest.raises(sa.exc.OperationalError, match="could not obtain lock"):
                probe.execute(sa.select(inventory.c.node).where(_row(earlier)).with_for_update(nowait=True))
            probe.rollback()
    finally:
        holder.rollback()
        holder.close()
        thread.join(timeout=30)
    return outcome

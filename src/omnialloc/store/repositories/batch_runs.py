"""The nightly batch's persisted plans: runs and their per-order moves (Core SQL in, ``domain.batch`` out).

A plan is written whole before anything is applied; applying moves each order
in its own transaction and marks its move there, so a run killed half way is
finished by running it again (the PENDING rest).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from omnialloc.domain.batch import BatchMove, BatchRun
from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables.batch import batch_moves as M
from omnialloc.store.tables.batch import batch_runs as R

_CHUNK = 1000  # moves per INSERT


def _move_row(m: BatchMove) -> dict:
    return dict(run_id=m.run_id, order_id=m.order_id, seq=m.seq, old=m.old, new=m.new,
                cost_before_paise=m.cost_before_paise, cost_after_paise=m.cost_after_paise, state=m.state,
                reason=m.reason)


class BatchRunRepository(Repository):
    # -------------------------------------------------------------- reads
    def get(self, run_id: str) -> BatchRun | None:
        row = self.conn.execute(sa.select(R).where(R.c.id == run_id)).first()
        return None if row is None else BatchRun(**row._mapping)

    def latest_unapplied(self) -> str | None:
        """The id of the newest run not yet APPLIED, or None."""
        return self.conn.execute(sa.select(R.c.id).where(R.c.status != "APPLIED")
                                 .order_by(R.c.created_at.desc()).limit(1)).scalar()

    def newest_first(self, limit: int = 10) -> list[BatchRun]:
        q = sa.select(R).order_by(R.c.created_at.desc()).limit(limit)
        return [BatchRun(**r._mapping) for r in self.conn.execute(q)]

    def pending_moves(self, run_id: str) -> list[BatchMove]:
        """The run's moves still PENDING, in apply order."""
        q = sa.select(M).where(M.c.run_id == run_id, M.c.state == "PENDING").order_by(M.c.seq)
        return [BatchMove(**r._mapping) for r in self.conn.execute(q).all()]

    # -------------------------------------------------------------- writes
    def add(self, run: BatchRun, moves: list[BatchMove]) -> None:
        """Store a new run with its moves."""
        self.conn.execute(R.insert().values(id=run.id, status=run.status, summary=run.summary,
                                            created_by=run.created_by, created_at=run.created_at))
        rows = [_move_row(m) for m in moves]
        for k in range(0, len(rows), _CHUNK):
            self.conn.execute(M.insert(), rows[k:k + _CHUNK])

    def set_status(self, run_id: str, status: str, *, applied_at: datetime | None = None) -> None:
        values: dict[str, Any] = {"status": status}
        if applied_at is not None:
            values["applied_at"] = applied_at
        self.conn.execute(R.update().where(R.c.id == run_id).values(**values))

    def mark_move(self, run_id: str, order_id: str, state: str, at: datetime, reason: str | None = None) -> None:
        """The order's move is APPLIED or SKIPPED (``reason``: why) at ``at``."""
        values = {"state": state, "applied_at": at}
        if reason is not None:
            values["reason"] = reason
        self.conn.execute(M.update().where(M.c.run_id == run_id, M.c.order_id == order_id).values(**values))

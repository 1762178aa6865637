"""Retention of stock-import change records (``inventory_import_changes``).

Every stock import writes one before/after row per position it changes, so a
what-if replay can undo it (``benchmarks/replay.py``). A nightly 1M-row
snapshot import can add up to a million rows a day; nothing else ever deletes
them. ``prune`` drops the rows of imports older than a retention horizon
(``OMNIALLOC_IMPORT_HISTORY_DAYS``, or ``--older-than-days``) in bounded
transactions, one batch of imports at a time.

The horizon is announced before anything is deleted: an ``inventory`` /
``import_history_pruned`` event with ``before`` = the cutoff is committed
first. A replay reads the latest such horizon and counts every import before it
as "not undone" instead of trusting rows that may be gone, so a prune killed
half-way leaves replays conservative, never silently wrong; running it again
finishes the deletion. The imports' own events stay (the audit trail is not
pruned).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from omnialloc.domain.errors import ValidationFailed
from omnialloc.services.events import now, record

PRUNED = "import_history_pruned"
HORIZON_ENTITY_ID = "import-history"
BATCH_IMPORTS = 20  # imports per delete transaction: a 1M-row import alone is one bounded transaction


@dataclass
class PruneReport:
    before: dt.datetime
    imports: int = 0   # imports older than the horizon that still had rows
    rows: int = 0      # change rows deleted

    def as_dict(self) -> dict:
        return {"before": self.before.isoformat(), "imports": self.imports, "rows": self.rows}


def horizon(uow) -> dt.datetime | None:
    """The latest pruning cutoff: change rows of imports before it may be gone (None: never pruned)."""
    cutoffs = [dt.datetime.fromisoformat(e.payload["before"]) for e in uow.events.of_type("inventory", PRUNED)
               if e.payload and "before" in e.payload]
    return max(cutoffs) if cutoffs else None


def prune(ctx, actor: str, *, older_than_days: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> PruneReport:
    """Delete the change rows of stock imports made more than ``older_than_days`` days ago
    (default ``settings.import_history_days``). ``progress(done, total)`` is called per batch."""
    days = ctx.settings.import_history_days if older_than_days is None else older_than_days
    if days < 1:
        raise ValidationFailed(f"the retention must be at least 1 day (got {days}): a replay of today's "
                               "orders needs today's import changes")
    report = PruneReport(before=now() - dt.timedelta(days=days))
    with ctx.uow() as uow:   # announce the horizon first (see the module docstring)
        record(uow, "inventory", HORIZON_ENTITY_ID, PRUNED, actor,
               reason=f"stock-import change rows older than {days} day(s) pruned", before=report.before.isoformat())
        uow.commit()
    with ctx.uow(readonly=True) as uow:
        old = uow.stock_imports.changed_before(report.before)
    if progress:
        progress(0, len(old))
    for start in range(0, len(old), BATCH_IMPORTS):
        batch = old[start:start + BATCH_IMPORTS]
        with ctx.uow() as uow:
            report.rows += uow.stock_imports.forget_changes(batch)
            uow.commit()
        report.imports += len(batch)
        if progress:
            progress(report.imports, len(old))
    return report

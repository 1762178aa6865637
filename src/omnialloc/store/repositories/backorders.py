"""The backorder retry queue (``backorder_jobs``): append a SKU in the changing transaction, claim, finish.

Claiming follows the notification outbox: a short transaction picks due rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` write lock
serialises claimers), stamps each with the worker and the time (the update
repeats the "still due" condition: a compare-and-set), and commits. Rows of a SKU
another worker holds a fresh claim on are left alone, so one worker at a time
retries a SKU and serves its waiting orders in order of urgency. The worker does
the retries outside that transaction and deletes its rows. A row whose claim is
older than the lease (its worker died) is due again. Writers only ever INSERT, so
a receipt never waits for a worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from omnialloc.store.repositories._base import Repository, utcnow
from omnialloc.store.tables.backorders import backorder_jobs as J

_INSERT = J.insert()
#: PostgreSQL advisory lock key serialising claims (any fixed 64-bit number no other feature uses).
CLAIM_LOCK = 0x6F61_626F_6A6F_6273  # "oabojobs"


class BackorderJobRepository(Repository):
    def add(self, skus: Iterable[str], reason: str, *, at: datetime | None = None) -> int:
        """Queue a retry of the orders waiting for each of ``skus``; returns how many rows were written."""
        at = at or utcnow()
        rows = [{"sku": sku, "reason": reason[:40], "created_at": at} for sku in sorted(set(skus))]
        if rows:
            self.conn.execute(_INSERT, rows)
        return len(rows)

    def claim(self, worker: str, *, now: datetime, stale_before: datetime, limit: int) -> list[tuple[int, str]]:
        """Stamp the due rows (never claimed, or claimed before ``stale_before``) of up to ``limit`` SKUs as
        this worker's, oldest SKUs first, skipping SKUs another worker holds a fresh claim on; returns (id,
        sku) of the rows won, oldest first. Run in its own short transaction and commit at once.

        One worker at a time retries a SKU, so the most urgent waiting order gets its stock first even with
        many workers. For that, claims run one after another: on PostgreSQL under a transaction-level
        advisory lock (SQLite's write lock already serialises them); rows are still picked ``FOR UPDATE
        SKIP LOCKED`` so a claim never waits on a row another transaction is deleting. One statement:
        ``UPDATE ... WHERE id IN (SELECT ... SKIP LOCKED) AND <still due> RETURNING``."""
        pg = self.conn.dialect.name == "postgresql"
        if pg:
            self.conn.execute(sa.select(sa.func.pg_advisory_xact_lock(CLAIM_LOCK)))
        due = sa.or_(J.c.claimed_at.is_(None), J.c.claimed_at < stale_before)
        held = sa.select(J.c.sku).where(J.c.claimed_at >= stale_before, J.c.claimed_by != worker[:80])
        skus = (sa.select(J.c.sku).where(due, J.c.sku.not_in(held)).group_by(J.c.sku)
                .order_by(sa.func.min(J.c.id)).limit(limit))
        pick = sa.select(J.c.id).where(due, J.c.sku.in_(skus))
        if pg:
            pick = pick.with_for_update(skip_locked=True)
        q = (J.update().where(J.c.id.in_(pick), due)
             .values(claimed_by=worker[:80], claimed_at=now).returning(J.c.id, J.c.sku))
        return sorted((r.id, r.sku) for r in self.conn.execute(q))

    def finish(self, ids: Iterable[int], worker: str) -> int:
        """Delete the rows this worker claimed and handled (not ones another worker re-claimed since)."""
        ids = list(ids)
        done = 0
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            done += self.conn.execute(J.delete().where(J.c.id.in_(chunk), J.c.claimed_by == worker[:80])).rowcount
        return done

    def last_id(self, *, excluding: Iterable[str] = ()) -> int:
        """The newest row's id (0: none kept), leaving out rows queued for one of the reasons ``excluding``:
        it grows with every change that queues a retry, claimed or not (the worker's sign that stock changes,
        i.e. requests, are arriving; the worker's own re-queues are excluded by their reason)."""
        q = sa.select(sa.func.coalesce(sa.func.max(J.c.id), 0))
        excluding = sorted(excluding)
        if excluding:
            q = q.where(J.c.reason.not_in(excluding))
        return self.conn.execute(q).scalar_one()

    def pending(self) -> int:
        """Rows not yet finished (claimed or not)."""
        return self.conn.execute(sa.select(sa.func.count()).select_from(J)).scalar_one()

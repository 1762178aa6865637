"""The notification outbox and buyers' channel opt-outs (Core SQL in, ``domain.notifications`` out).

Outbox rows are written with their events (``repositories.events``); this
repository reads them for the admin's views and moves them through the
dispatcher's states. Every move is a compare-and-set on what the caller read
(status, attempts, and for an outcome the claiming worker), so two workers
never both own a row and a late outcome never overwrites a newer claim: each
method says whether its row was still as read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain.notifications import ChannelPreference, Notification
from omnialloc.store.repositories._base import Repository, insert
from omnialloc.store.tables.notifications import customer_preferences as P
from omnialloc.store.tables.notifications import notifications as N


def _notification(r) -> Notification:
    return Notification(**r._mapping)


class NotificationRepository(Repository):
    # -------------------------------------------------------------- reads
    def get(self, notification_id: str) -> Notification | None:
        row = self.conn.execute(sa.select(N).where(N.c.id == notification_id)).first()
        return None if row is None else _notification(row)

    def newest_first(self, *, status: str | None = None, order_id: str | None = None, channel: str | None = None,
                     kind: str | None = None, before: tuple[datetime, str] | None = None,
                     limit: int = 50) -> list[Notification]:
        """One page, newest first (created_at, id descending), after the keyset position ``before``."""
        q = sa.select(N)
        for column, value in ((N.c.status, status), (N.c.order_id, order_id), (N.c.channel, channel),
                              (N.c.kind, kind)):
            if value is not None:
                q = q.where(column == value)
        if before is not None:
            at, id_ = before
            q = q.where(sa.or_(N.c.created_at < at, sa.and_(N.c.created_at == at, N.c.id < id_)))
        q = q.order_by(N.c.created_at.desc(), N.c.id.desc()).limit(limit)
        return [_notification(r) for r in self.conn.execute(q)]

    def count_by_status(self) -> dict[str, int]:
        rows = self.conn.execute(sa.select(N.c.status, sa.func.count()).group_by(N.c.status)).all()
        return {status: n for status, n in rows}

    def due(self, now: datetime, *, stale_before: datetime, limit: int) -> list[Notification]:
        """Rows to send now: pending and due, or left ``sending`` by a worker whose claim went stale before
        ``stale_before``; oldest due first. On PostgreSQL locked rows are skipped (another worker is claiming
        them); SQLite's write lock serialises claimers."""
        q = (sa.select(N)
             .where(sa.or_(sa.and_(N.c.status == "pending", N.c.next_attempt_at <= now),
                           sa.and_(N.c.status == "sending", N.c.claimed_at < stale_before)))
             .order_by(N.c.next_attempt_at, N.c.id).limit(limit))
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        return [_notification(r) for r in self.conn.execute(q).all()]

    # -------------------------------------------------------------- moves (compare-and-set)
    @staticmethod
    def _as_read(n: Notification):
        return N.c.id == n.id, N.c.status == n.status, N.c.attempts == n.attempts

    def claim(self, n: Notification, worker: str, at: datetime) -> bool:
        """``n`` (as read) becomes ``sending``, owned by ``worker``, one attempt more."""
        return self.conn.execute(N.update().where(*self._as_read(n)).values(
            status="sending", attempts=n.attempts + 1, claimed_by=worker, claimed_at=at,
            updated_at=at)).rowcount == 1

    def skip(self, n: Notification, reason: str, at: datetime) -> bool:
        """``n`` (as read) will not be sent, for ``reason``."""
        return self.conn.execute(N.update().where(*self._as_read(n)).values(
            status="skipped", last_error=reason, updated_at=at)).rowcount == 1

    def record_outcome(self, notification_id: str, *, attempts: int, worker: str, at: datetime, **outcome) -> bool:
        """Write a send's outcome (status, last_error, sent_at, provider_ref, next_attempt_at, the rendered
        subject/body/body_html) if ``worker`` still owns the claim of attempt ``attempts``."""
        return self.conn.execute(N.update().where(
            N.c.id == notification_id, N.c.status == "sending", N.c.attempts == attempts,
            N.c.claimed_by == worker).values(**outcome, updated_at=at)).rowcount == 1

    def requeue(self, n: Notification, *, at: datetime, note: str) -> bool:
        """``n`` (as read) is pending again from a fresh attempt count, due at ``at``; the idempotency key stays."""
        return self.conn.execute(N.update().where(N.c.id == n.id, N.c.status == n.status).values(
            status="pending", attempts=0, next_attempt_at=at, claimed_by=None, claimed_at=None, updated_at=at,
            last_error=note)).rowcount == 1


class ChannelPreferenceRepository(Repository):
    """Opt-outs per (subject, channel); subjects are stored normalised (the caller normalises)."""

    def for_subject(self, subject: str) -> dict[str, ChannelPreference]:
        """The subject's stored preferences by channel (a channel never set is absent)."""
        return {r.channel: ChannelPreference(**r._mapping)
                for r in self.conn.execute(sa.select(P).where(P.c.subject == subject))}

    def opted_out(self, subjects: Iterable[str], channel: str) -> bool:
        """Whether any of ``subjects`` opted out of ``channel``."""
        keys = sorted(set(subjects))
        if not keys:
            return False
        q = sa.select(sa.func.count()).select_from(P).where(P.c.subject.in_(keys), P.c.channel == channel,
                                                            P.c.opted_out.is_(True))
        return self.conn.execute(q).scalar_one() > 0

    def put(self, preference: ChannelPreference) -> None:
        """Store ``preference``, replacing the subject's earlier one for that channel (two requests may race to
        write it first: one upsert)."""
        stmt = insert(self.conn, P).values(subject=preference.subject, channel=preference.channel,
                                           opted_out=preference.opted_out, updated_at=preference.updated_at,
                                           updated_by=preference.updated_by)
        stmt = stmt.on_conflict_do_update(index_elements=[P.c.subject, P.c.channel],
                                          set_={"opted_out": stmt.excluded.opted_out,
                                                "updated_at": stmt.excluded.updated_at,
                                                "updated_by": stmt.excluded.updated_by})
        self.conn.execute(stmt)

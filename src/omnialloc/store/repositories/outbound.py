"""The outbound outbox (shop pushes and webhook deliveries) and its attempt log (issue 27).

Every move is a compare-and-set on what the caller read (status, attempts, and for an outcome the claiming
worker), as in ``repositories.notifications``: two workers never both own a row, and a late outcome never
overwrites a newer claim.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain.outbound import OutboundAttempt, OutboundMessage
from omnialloc.store.repositories._base import Repository, insert
from omnialloc.store.tables.outbound import outbound_attempts as T
from omnialloc.store.tables.outbound import outbound_messages as M


def _message(r) -> OutboundMessage:
    return OutboundMessage(**r._mapping)


class OutboundRepository(Repository):
    def add(self, rows: list[dict]) -> int:
        """Queue messages (dicts of the columns); a row whose idempotency key exists is not written again.
        Returns how many were new."""
        new = 0
        for row in rows:
            stmt = insert(self.conn, M).values(**row).on_conflict_do_nothing(
                index_elements=[M.c.idempotency_key]).returning(M.c.id)
            new += self.conn.execute(stmt).first() is not None
        return new

    def get(self, message_id: str) -> OutboundMessage | None:
        row = self.conn.execute(sa.select(M).where(M.c.id == message_id)).first()
        return None if row is None else _message(row)

    def newest_first(self, *, kind: str | None = None, target: str | None = None, status: str | None = None,
                     topic: str | None = None, before: tuple[datetime, str] | None = None,
                     limit: int = 50) -> list[OutboundMessage]:
        q = sa.select(M)
        for column, value in ((M.c.kind, kind), (M.c.target, target), (M.c.status, status), (M.c.topic, topic)):
            if value is not None:
                q = q.where(column == value)
        if before is not None:
            at, id_ = before
            q = q.where(sa.or_(M.c.created_at < at, sa.and_(M.c.created_at == at, M.c.id < id_)))
        q = q.order_by(M.c.created_at.desc(), M.c.id.desc()).limit(limit)
        return [_message(r) for r in self.conn.execute(q)]

    def count_by_status(self, *, kind: str | None = None) -> dict[str, int]:
        q = sa.select(M.c.status, sa.func.count()).group_by(M.c.status)
        if kind is not None:
            q = q.where(M.c.kind == kind)
        return {status: n for status, n in self.conn.execute(q).all()}

    def due(self, now: datetime, *, stale_before: datetime, limit: int) -> list[OutboundMessage]:
        """Rows to send now: pending and due, or left ``sending`` by a worker whose claim went stale."""
        q = (sa.select(M)
             .where(sa.or_(sa.and_(M.c.status == "pending", M.c.next_attempt_at <= now),
                           sa.and_(M.c.status == "sending", M.c.claimed_at < stale_before)))
             .order_by(M.c.next_attempt_at, M.c.id).limit(limit))
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        return [_message(r) for r in self.conn.execute(q).all()]

    def claim(self, m: OutboundMessage, worker: str, at: datetime) -> bool:
        return self.conn.execute(M.update().where(M.c.id == m.id, M.c.status == m.status,
                                                  M.c.attempts == m.attempts).values(
            status="sending", attempts=m.attempts + 1, claimed_by=worker, claimed_at=at, updated_at=at)).rowcount == 1

    def record_outcome(self, message_id: str, *, attempts: int, worker: str, at: datetime, **outcome) -> bool:
        """Write an attempt's outcome (status, last_error, last_status, next_attempt_at, delivered_at, payload)
        if ``worker`` still owns the claim of attempt ``attempts``."""
        return self.conn.execute(M.update().where(
            M.c.id == message_id, M.c.status == "sending", M.c.attempts == attempts,
            M.c.claimed_by == worker).values(**outcome, updated_at=at)).rowcount == 1

    def requeue(self, m: OutboundMessage, *, at: datetime, note: str) -> bool:
        """``m`` (as read) is pending again from a fresh attempt count (a replay); the idempotency key stays."""
        return self.conn.execute(M.update().where(M.c.id == m.id, M.c.status == m.status).values(
            status="pending", attempts=0, next_attempt_at=at, claimed_by=None, claimed_at=None, updated_at=at,
            last_error=note)).rowcount == 1

    def cancel_pending(self, *, kind: str, target: str, at: datetime, note: str) -> int:
        """Pending messages to ``target`` will not be sent (a subscription deleted or gone)."""
        return self.conn.execute(M.update().where(M.c.kind == kind, M.c.target == target,
                                                  M.c.status == "pending").values(
            status="cancelled", last_error=note, updated_at=at)).rowcount

    # -- the attempt log
    def log_attempt(self, attempt: OutboundAttempt) -> None:
        self.conn.execute(T.insert().values(message_id=attempt.message_id, attempt=attempt.attempt, at=attempt.at,
                                            outcome=attempt.outcome, http_status=attempt.http_status,
                                            duration_ms=attempt.duration_ms, detail=attempt.detail[:2000]))

    def attempts(self, message_id: str) -> list[OutboundAttempt]:
        q = sa.select(T).where(T.c.message_id == message_id).order_by(T.c.attempt, T.c.id)
        return [OutboundAttempt(message_id=r.message_id, attempt=r.attempt, at=r.at, outcome=r.outcome,
                                http_status=r.http_status, duration_ms=r.duration_ms, detail=r.detail)
                for r in self.conn.execute(q)]

"""Idempotency keys: claim, wait on, mark, answer, release and prune rows of ``idempotency_keys``.

The one link to the units of work: while a request holds a key, :data:`HELD` names it (a
context variable: one per request thread), and every write unit of work that commits in
that request marks the key ``committed`` in its own transaction (:func:`mark_in`), so
"this request's change is stored" and "this key is spent" commit together or not at all.
A request that lost its key (taken over after its lease ran out) cannot commit: the mark
finds no row it owns and raises.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain.errors import Conflict
from omnialloc.domain.idempotency import Held, IdempotencyKey
from omnialloc.store.repositories._base import Repository, insert
from omnialloc.store.tables.idempotency import idempotency_keys as K


HELD: ContextVar[Held | None] = ContextVar("omnialloc_idempotency_key", default=None)


def mark_in(conn) -> Held | None:
    """In the committing transaction of a request that holds a key: mark the key ``committed``. Returns
    what it marked (the caller sets ``committed`` once the commit succeeded), None when nothing is held."""
    held = HELD.get()
    if held is None or held.committed:
        return None
    done = conn.execute(K.update().where(K.c.scope == held.scope, K.c.key == held.key, K.c.owner == held.owner,
                                         K.c.state.in_(("pending", "committed")))
                        .values(state="committed")).rowcount
    if done != 1:
        raise Conflict("this request's Idempotency-Key was taken over by a retry after the request ran past its "
                       "lease; nothing of it was stored, the retry's answer stands")
    return held


class IdempotencyRepository(Repository):
    def claim(self, *, scope: str, key: str, fingerprint: str, method: str, path: str, owner: str,
              now: datetime, expires_at: datetime) -> bool:
        """Take the key for a new request: True if it was free (the row is made, ``pending``)."""
        row = dict(scope=scope, key=key, fingerprint=fingerprint, method=method, path=path[:500], state="pending",
                   owner=owner, created_at=now, claimed_at=now, expires_at=expires_at)
        made = insert(self.conn, K).values(**row).on_conflict_do_nothing().returning(K.c.key)
        return self.conn.execute(made).first() is not None

    def get(self, scope: str, key: str) -> IdempotencyKey | None:
        row = self.conn.execute(sa.select(K).where(K.c.scope == scope, K.c.key == key)).first()
        return None if row is None else IdempotencyKey(**row._mapping)

    def take_over(self, *, scope: str, key: str, from_owner: str, owner: str, fingerprint: str, method: str,
                  path: str, now: datetime, expires_at: datetime, states: tuple[str, ...]) -> bool:
        """Take the key from ``from_owner`` (its row expired, or its request died before committing)."""
        return self.conn.execute(
            K.update().where(K.c.scope == scope, K.c.key == key, K.c.owner == from_owner, K.c.state.in_(states))
            .values(owner=owner, state="pending", fingerprint=fingerprint, method=method, path=path[:500],
                    created_at=now, claimed_at=now, expires_at=expires_at, response_status=None,
                    response_type=None, response_headers=None, response_body=None)).rowcount == 1

    def answer(self, held: Held, *, status: int, content_type: str | None, headers: dict, body: bytes) -> bool:
        return self.conn.execute(
            K.update().where(K.c.scope == held.scope, K.c.key == held.key, K.c.owner == held.owner)
            .values(state="done", response_status=status, response_type=content_type, response_headers=headers,
                    response_body=body)).rowcount == 1

    def release(self, held: Held) -> None:
        """The request changed nothing: free the key (only if nothing of it committed meanwhile)."""
        self.conn.execute(K.delete().where(K.c.scope == held.scope, K.c.key == held.key, K.c.owner == held.owner,
                                           K.c.state == "pending"))

    def prune(self, now: datetime, *, batch: int = 1000) -> int:
        """Delete up to ``batch`` rows past their ``expires_at``; how many went."""
        old = sa.select(K.c.scope, K.c.key).where(K.c.expires_at < now).limit(batch)
        return self.conn.execute(K.delete().where(sa.tuple_(K.c.scope, K.c.key).in_(old))).rowcount

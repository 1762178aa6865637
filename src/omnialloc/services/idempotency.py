"""Idempotency keys for unsafe requests (issue 20), as Stripe and the IETF draft
"The Idempotency-Key HTTP Header Field" describe them.

A client sends ``Idempotency-Key: <1-255 printable characters>`` with a POST, PUT, PATCH or
DELETE. Per caller (API key, or signed sender) and key:

- the first request runs; if it changed something (its transaction committed), its answer
  (status, content type, body) is stored with the key in the store, for ``KEEP`` (24 h);
- the same key with the same request (method, path, query and body; JSON compared as
  parsed, so key order and spacing do not matter) replays that answer, with
  ``Idempotent-Replayed: true``, and changes nothing;
- the same key with another request is 422 (the draft's choice; Stripe answers 400);
- a duplicate that arrives while the first is still running waits for it (up to
  ``WAIT_SECONDS``) and then replays its answer, or gets 409 with Retry-After;
- a request that changed nothing (refused: 4xx; or failed: 5xx) frees the key, so a
  corrected or later retry runs afresh (Stripe keeps some failures; ours change nothing,
  so running again is safe); one that changed something keeps its answer, even an error
  raised after the change committed;
- the key is spent in the same transaction as the change (``store.repositories.idempotency``),
  so a crash can never leave a change without its key or the other way round. If the server
  stops after the change committed and before the answer was stored, a retry gets 409 saying
  so instead of doing it twice;
- a request that holds a key longer than ``LEASE`` without committing (its worker was
  killed) loses it to the next retry, and could not commit after that.

Keys live in the ``idempotency_keys`` table, so every worker and host sees them; rows past
their 24 h are free and pruned as new keys arrive (at most once a minute per process).
"""

from __future__ import annotations

import secrets
from contextvars import Token
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from omnialloc.domain.errors import Conflict, DomainError, FieldError
from omnialloc.domain.idempotency import Held
from omnialloc.store.repositories.idempotency import HELD

KEEP = timedelta(hours=24)
LEASE = timedelta(seconds=90)    # a request holding a key longer than this without committing has died
WAIT_SECONDS = 10.0              # how long a duplicate waits for the first before a 409
PRUNE_EVERY_SECONDS = 60.0
_IGNORED_HEADERS = {"content-length", "content-type", "date", "server", "set-cookie", "connection",
                    "transfer-encoding"}


class KeyReused(DomainError):
    """The key was used with another request (422)."""

    title = "Idempotency-Key reused"


class KeyInProgress(Conflict):
    """The first request with this key is still running (409, with Retry-After)."""

    title = "Idempotency-Key in use"
    retry_after = 1


@dataclass(frozen=True)
class Replay:
    status: int
    content_type: str | None
    headers: dict
    body: bytes


_last_prune = [0.0]


def begin(ctx, *, scope: str, key: str, fingerprint: str, method: str, path: str) -> Held | Replay:
    """Hold the key for this request (a :class:`Held`), or the stored answer to replay (a :class:`Replay`)."""
    _prune_now_and_then(ctx)
    owner = secrets.token_hex(16)
    request = dict(fingerprint=fingerprint, method=method, path=path)
    deadline = time.monotonic() + WAIT_SECONDS
    pause = 0.02
    row = None
    while True:
        now = datetime.now(UTC)
        if row is None or _free(row, now):  # (first look, or the key came free): try to take it
            with ctx.uow() as uow:
                repo = uow.idempotency
                if row is None:
                    taken = repo.claim(scope=scope, key=key, owner=owner, now=now, expires_at=now + KEEP, **request)
                else:
                    taken = repo.take_over(scope=scope, key=key, from_owner=row.owner, owner=owner, now=now,
                                           expires_at=now + KEEP, states=_free(row, now), **request)
                uow.commit()
            if taken:
                return Held(scope, key, owner)
        with ctx.uow(readonly=True) as uow:  # waiting reads only: no write lock while the first one works
            row = uow.idempotency.get(scope, key)
        if row is None or _free(row, now):
            continue  # released, expired or abandoned meanwhile: take it
        if row.fingerprint != fingerprint:
            raise KeyReused(
                f"this Idempotency-Key was used for another request ({row.method} {row.path}, or another body) "
                f"in the last {KEEP.total_seconds() / 3600:.0f} h; send a new key with a new request",
                field_errors=[FieldError("header.Idempotency-Key", "already used with another request")])
        if row.state == "done":
            return Replay(row.response_status, row.response_type, dict(row.response_headers or {}),
                          bytes(row.response_body or b""))
        if row.state == "committed" and now - row.claimed_at > LEASE:
            raise Conflict("the request with this Idempotency-Key was carried out, but the server stopped before "
                           "its answer was stored; do not send it again under a new key: read the resource to see "
                           "its outcome", field_errors=[FieldError("header.Idempotency-Key", "answer lost")])
        if time.monotonic() >= deadline:
            raise KeyInProgress("a request with this Idempotency-Key is still being processed; retry in a moment "
                                "to get its answer", field_errors=[FieldError("header.Idempotency-Key", "in use")])
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _free(row, now: datetime) -> tuple[str, ...]:
    """The states in which ``row`` may be taken over now (empty: it may not)."""
    if row is None:
        return ()
    if row.expires_at <= now:
        return ("pending", "committed", "done")
    if row.state == "pending" and now - row.claimed_at > LEASE:
        return ("pending",)  # its request died before changing anything
    return ()


def hold(held: Held) -> Token[Held | None]:
    """Name ``held`` as this request's key while its view runs: every write unit of work that commits in
    the request spends the key in its own transaction. Give back the token to :func:`let_go`."""
    return HELD.set(held)


def let_go(token: Token[Held | None]) -> None:
    """End :func:`hold` (before freeing or answering the key: that write must not spend it)."""
    HELD.reset(token)


def finish(ctx, held: Held, *, status: int, content_type: str | None, headers, body: bytes) -> None:
    """The request answered: store the answer if it changed something (or succeeded), else free the key."""
    if held.committed or status < 400:
        if status < 500:
            kept = {k: v for k, v in headers if k.lower() not in _IGNORED_HEADERS}
            with ctx.uow() as uow:
                uow.idempotency.answer(held, status=status, content_type=content_type,
                                                       headers=kept, body=body)
                uow.commit()
        return  # committed but failed after (e.g. the database went away): the key stays spent, answer lost
    abandon(ctx, held)


def abandon(ctx, held: Held) -> None:
    """The request failed before or without changing anything: free the key for a retry."""
    if held.committed:
        return
    with ctx.uow() as uow:
        uow.idempotency.release(held)
        uow.commit()


def _prune_now_and_then(ctx) -> None:
    clock = time.monotonic()
    if clock - _last_prune[0] < PRUNE_EVERY_SECONDS:
        return
    _last_prune[0] = clock
    prune(ctx)


def prune(ctx, *, batch: int = 1000) -> int:
    """Delete up to ``batch`` keys past their 24 h; how many went."""
    with ctx.uow() as uow:
        gone = uow.idempotency.prune(datetime.now(UTC), batch=batch)
        uow.commit()
    return gone

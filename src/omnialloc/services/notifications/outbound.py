"""The outbound outbox (issue 27): messages to shops and to webhook subscribers, sent after the commit.

A message is queued (``message_row`` + ``uow.outbound.add``) in the transaction of the change that calls for
it, so a rolled-back change sends nothing and a committed one always has its message; the idempotency key
is unique, so the same change queued twice is one message. ``OutboundDispatcher`` works as the notification
dispatcher (``services.notifications.worker``) does: it claims due rows in a short transaction (``SKIP
LOCKED`` on PostgreSQL, a compare-and-set on status and attempts everywhere), sends outside any
transaction through the sender registered for the row's ``kind``, and records the outcome and the attempt
(the delivery log) in a second one. A transient failure is retried with exponential backoff under the
kind's ``webhooks.RetryPolicy`` (never sooner than the receiver's ``Retry-After``) until the attempts are
used up, then dead-lettered (``failed``); a permanent one is dead-lettered at once. An admin re-queues
(replays) it.

``targets`` answers, per process and reference revision, which channels push to their shop and which
webhook subscriptions are active, so the subscribers on the message bus cost nothing for the events no
one listens to.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.outbound import OUTBOUND_STATUSES, REPLAYABLE, OutboundAttempt, OutboundMessage
from omnialloc.services import paging
from omnialloc.services.context import Context
from omnialloc.services.events import now, record
from omnialloc.webhooks.delivery import DeliveryResult, RetryPolicy, Verdict

log = logging.getLogger("omnialloc.outbound")

DELIVERED, RETRY, FAILED = "delivered", "retry", "failed"


@dataclass(frozen=True)
class SendResult:
    """What a sender says about one attempt."""

    outcome: str                       # delivered | retry | failed
    detail: str = ""
    http_status: int | None = None
    retry_after: float | None = None
    duration_ms: int | None = None
    payload: dict | None = None        # a retry's narrowed payload (what is left to do), if any


Sender = Callable[[OutboundMessage], SendResult]


def message_row(kind: str, target: str, topic: str, key: str, payload: dict, at: datetime, *,
                delay_seconds: float = 0, prefix: str = "out_") -> dict:
    """A new outbox row for ``uow.outbound.add`` (``prefix``: of its id, which a receiver may see)."""
    return dict(id=prefix + secrets.token_hex(8), kind=kind, target=target, topic=topic, idempotency_key=key[:255],
                payload=payload, status="pending", attempts=0,
                next_attempt_at=at + timedelta(seconds=delay_seconds), created_at=at, updated_at=at)


# ------------------------------------------------------------------ who listens (cached per revision)
@dataclass(frozen=True)
class Targets:
    channels: dict                     # channel -> (kind, push_orders, push_stock)
    subscriptions: tuple               # active WebhookSubscription, secrets included (never shown)


_targets: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # engine -> (token, Targets, loaded at)
TTL_SECONDS = 30.0
_lock = threading.Lock()


def targets(uow) -> Targets:
    """The pushing channels and active subscriptions as of this transaction's reference revision (every
    write of either bumps it, so the next transaction of every process sees the change)."""
    token = uow.revision()
    hit = _targets.get(uow.engine)
    # A store without a revision token yet (never loaded) is read again after TTL_SECONDS, like the network.
    if hit is not None and hit[0] == token and (token is not None or time.monotonic() - hit[2] < TTL_SECONDS):
        return hit[1]
    found = Targets(uow.channel_push.pushing_channels(), tuple(uow.webhook_subscriptions.list(active_only=True)))
    with _lock:
        _targets[uow.engine] = (token, found, time.monotonic())
    return found


# ------------------------------------------------------------------ the dispatcher
@dataclass
class Tally:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0

    def add(self, other: "Tally") -> None:
        for f in ("claimed", "delivered", "retrying", "failed", "lost"):
            setattr(self, f, getattr(self, f) + getattr(other, f))

    def as_dict(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in ("claimed", "delivered", "retrying", "failed", "lost")}


@dataclass
class OutboundDispatcher:
    """Claims due outbound messages, sends each through the sender of its kind, records the outcome."""

    ctx: Context
    senders: dict[str, Sender]
    policies: dict[str, RetryPolicy] = field(default_factory=dict)   # per kind; default: the notify settings'
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")
    clock: Callable[[], datetime] = now
    max_attempts: int | None = None      # overrides every policy's (tests, a one-off drain)

    def __post_init__(self) -> None:
        s = self.ctx.settings
        self.default_policy = RetryPolicy(max_attempts=s.notify_max_attempts, base_seconds=s.notify_backoff_seconds,
                                          max_seconds=s.notify_backoff_max_seconds)

    def policy(self, kind: str) -> RetryPolicy:
        policy = self.policies.get(kind, self.default_policy)
        return replace(policy, max_attempts=self.max_attempts) if self.max_attempts else policy

    def run_once(self, limit: int | None = None) -> Tally:
        tally = Tally()
        for claim in self._claim(limit or self.ctx.settings.notify_batch_size):
            tally.claimed += 1
            self._deliver(claim, tally)
        return tally

    def drain(self, max_batches: int = 1000) -> Tally:
        total = Tally()
        for _ in range(max_batches):
            tally = self.run_once()
            total.add(tally)
            if tally.claimed == 0:
                break
        return total

    def _claim(self, limit: int) -> list[OutboundMessage]:
        s = self.ctx.settings
        at = self.clock()
        claims = []
        with self.ctx.uow() as uow:
            for m in uow.outbound.due(at, stale_before=at - timedelta(seconds=s.notify_lease_seconds), limit=limit):
                if uow.outbound.claim(m, self.worker_id, at):
                    claims.append(m)
            uow.commit()
        return claims

    def _deliver(self, m: OutboundMessage, tally: Tally) -> None:
        attempt = m.attempts + 1
        sender = self.senders.get(m.kind)
        try:
            result = sender(m) if sender is not None else SendResult(FAILED, f"no sender for {m.kind!r} messages")
        except Exception as exc:  # noqa: BLE001 - a sender's bug is retried, then dead-lettered, never loses the row
            log.exception("outbound %s (%s %s): unexpected error", m.id, m.kind, m.topic)
            result = SendResult(RETRY, f"{type(exc).__name__}: {exc}")
        at = self.clock()
        detail = (result.detail or "")[:2000]
        values: dict = {"last_status": result.http_status}
        if result.outcome == DELIVERED:
            values.update(status="delivered", delivered_at=at, last_error=None)
            counter = "delivered"
        elif result.outcome == RETRY and (when := self.policy(m.kind).next_attempt(attempt, DeliveryResult(
                Verdict.RETRY, result.http_status, detail, result.duration_ms or 0, result.retry_after), at)):
            values.update(status="pending", next_attempt_at=when, last_error=f"attempt {attempt}: {detail}")
            counter = "retrying"
        else:
            why = (f"gave up after {attempt} attempts: {detail}" if result.outcome == RETRY
                   else f"permanent failure: {detail}")
            values.update(status="failed", last_error=why)
            counter = "failed"
        if result.payload is not None:
            values["payload"] = result.payload
        with self.ctx.uow() as uow:
            ok = uow.outbound.record_outcome(m.id, attempts=attempt, worker=self.worker_id, at=at, **values)
            if ok:
                outcome = FAILED if counter == "failed" else result.outcome
                uow.outbound.log_attempt(OutboundAttempt(m.id, attempt, at, outcome, result.http_status,
                                                         result.duration_ms, detail))
            uow.commit()
        if not ok:
            tally.lost += 1
            log.warning("outbound %s: claim by %s expired before its outcome was recorded", m.id, self.worker_id)
            return
        setattr(tally, counter, getattr(tally, counter) + 1)
        level = logging.ERROR if counter == "failed" else logging.INFO
        log.log(level, "outbound %s (%s %s -> %s) attempt %d: %s %s", m.id, m.kind, m.topic, m.target, attempt,
                counter, detail)


# ------------------------------------------------------------------ the admin's view: list, log, replay
_ID = re.compile(r"[A-Za-z0-9_\-]{1,40}")


def message_view(m: OutboundMessage, attempts: list[OutboundAttempt] | None = None) -> dict:
    out = {"id": m.id, "kind": m.kind, "target": m.target, "topic": m.topic, "status": m.status,
           "attempts": m.attempts, "next_attempt_at": m.next_attempt_at, "last_error": m.last_error,
           "last_status": m.last_status, "created_at": m.created_at, "updated_at": m.updated_at,
           "delivered_at": m.delivered_at, "payload": m.payload}
    if attempts is not None:
        out["log"] = [{"attempt": a.attempt, "at": a.at, "outcome": a.outcome, "http_status": a.http_status,
                       "duration_ms": a.duration_ms, "detail": a.detail} for a in attempts]
    return out


def list_messages(ctx, principal, *, kind: str | None = None, target: str | None = None, status: str | None = None,
                  limit: int = 50, cursor: str | None = None, with_log: bool = False) -> dict:
    """Newest first; ``status=failed`` is the dead-letter queue."""
    principal.require(Role.ADMIN)
    if status is not None and status not in OUTBOUND_STATUSES:
        raise ValidationFailed("bad filter", field_errors=[FieldError("status",
                                                                      f"must be one of {', '.join(OUTBOUND_STATUSES)}")])
    limit = max(1, min(int(limit), ctx.settings.max_page_size))
    before = paging.decode(ctx.settings.secret_key, "outbound", cursor, (datetime, str)) if cursor else None
    with ctx.uow(readonly=True) as uow:
        rows = uow.outbound.newest_first(kind=kind, target=target, status=status, before=before, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        items = [message_view(m, uow.outbound.attempts(m.id) if with_log else None) for m in rows]
    return {"items": items, "next_cursor": paging.encode(ctx.settings.secret_key, "outbound",
                                                         (rows[-1].created_at, rows[-1].id)) if more and rows else None}


def get_message(ctx, principal, message_id: str, *, kind: str | None = None) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow(readonly=True) as uow:
        m = uow.outbound.get(message_id) if _ID.fullmatch(message_id or "") else None
        if m is None or (kind is not None and m.kind != kind):
            raise NotFound(f"message {message_id} not found")
        return message_view(m, uow.outbound.attempts(m.id))


def replay(ctx, principal, message_id: str, *, kind: str | None = None) -> dict:
    """Send a dead-lettered (or delivered, or cancelled) message again from a fresh attempt count; the
    idempotency key stays, so a receiver that already had it can tell."""
    principal.require(Role.ADMIN)
    at = now()
    with ctx.uow() as uow:
        m = uow.outbound.get(message_id) if _ID.fullmatch(message_id or "") else None
        if m is None or (kind is not None and m.kind != kind):
            raise NotFound(f"message {message_id} not found")
        if m.status == "pending":
            return message_view(m, uow.outbound.attempts(m.id))
        if m.status not in REPLAYABLE:
            raise Conflict(f"message {message_id} is {m.status}; it can be replayed once it is failed or delivered")
        if not uow.outbound.requeue(m, at=at, note=f"replayed by {principal.actor}; was {m.status}: "
                                                   f"{m.last_error or ''}".strip()):
            raise Conflict(f"message {message_id} changed while being replayed; try again")
        record(uow, "outbound", m.id, "replayed", principal.actor, from_status=m.status, to_status="pending")
        uow.commit()
        return message_view(uow.outbound.get(message_id), uow.outbound.attempts(m.id))

"""The notification delivery worker: claims due outbox rows, renders and sends them, records the outcome.

``Dispatcher.run_once`` claims due rows in a short transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` write lock serialises claimers), and every claim is also
a compare-and-set on (status, attempts), so two workers can never both own a row. Then it renders
and sends outside any transaction, and records the outcome in a second short transaction. A
transient failure is retried with exponential backoff until ``OMNIALLOC_NOTIFY_MAX_ATTEMPTS``,
then the row is dead-lettered as ``failed``. A permanent failure is dead-lettered at once. The
provider sees the same idempotency key on every attempt. A row left in ``sending`` by a crashed
worker can be claimed again after ``OMNIALLOC_NOTIFY_LEASE_SECONDS``. A buyer's opt-out
(``services.notifications.preferences``) is checked at send time.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from omnialloc.domain.notifications import Notification
from omnialloc.notify import catalog
from omnialloc.notify import context as message_context
from omnialloc.notify.backoff import next_attempt_at
from omnialloc.notify.catalog import Channel
from omnialloc.notify.email import LogEmailSender, OutgoingEmail, SmtpSender, make_email_sender
from omnialloc.notify.errors import DeliveryError, PermanentError, TransientError
from omnialloc.notify.sms import OutgoingSms, SmsProvider, make_sms_provider
from omnialloc.notify.templates import Templates, TemplateProblem
from omnialloc.observability import metrics
from omnialloc.observability.logs import mask
from omnialloc.services.context import Context
from omnialloc.services.events import now
from omnialloc.services.notifications.outbound_worker import run_outbound
from omnialloc.services.notifications.preferences import opted_out
from omnialloc.services.fulfilment.carrier_booking import run_worker as run_booking_retries
from omnialloc.services.fulfilment.tracking_poll import run_worker as run_tracking_polls
from omnialloc.services.orders.backorders import run_worker as run_backorders

log = logging.getLogger("omnialloc.notify")


@dataclass
class Tally:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    lost: int = 0          # outcome not recorded: the claim expired and another worker took the row

    def add(self, other: "Tally") -> None:
        for f in ("claimed", "sent", "retrying", "failed", "skipped", "lost"):
            setattr(self, f, getattr(self, f) + getattr(other, f))

    def as_dict(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in ("claimed", "sent", "retrying", "failed", "skipped", "lost")}


@dataclass
class _Claim:
    id: str
    kind: str
    channel: str
    recipient: str
    idempotency_key: str
    context: dict
    attempts: int           # including this one


# by the kind's name as a row holds it (a Kind is a str: the same keys)
_STALE_AFTER: dict[str, timedelta] = {str(kind): after for kind, after in catalog.STALE_AFTER.items()}


def _csv(value: str) -> frozenset[str]:
    return frozenset(p.strip() for p in (value or "").split(",") if p.strip())


@dataclass
class Dispatcher:
    """Claims due notifications, sends them, records the outcome. One per worker process or thread."""

    ctx: Context
    email: SmtpSender | LogEmailSender | None = None   # None: made from the settings by __post_init__
    sms: SmsProvider | None = None                     # likewise
    templates: Templates | None = None                 # likewise
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")
    clock: Callable[[], datetime] = now

    def __post_init__(self) -> None:
        s = self.ctx.settings
        self.email = self.email if self.email is not None else make_email_sender(s)
        self.sms = self.sms if self.sms is not None else make_sms_provider(s)
        self.templates = self.templates or Templates(s.templates_dir or None)
        self.channels = _csv(s.notify_channels)
        self.mandatory = _csv(s.notify_mandatory)

    # -- public

    def run_once(self, limit: int | None = None) -> Tally:
        """Claim one batch of due rows and send each; the tally says what happened."""
        tally = Tally()
        claims = self._claim(limit or self.ctx.settings.notify_batch_size, tally)
        for claim in claims:
            self._deliver(claim, tally)
        return tally

    def drain(self, max_batches: int = 10_000, stop=None) -> Tally:
        """Batches until nothing is due (for ``notify-send --once`` and tests)."""
        total = Tally()
        for _ in range(max_batches):
            if stop is not None and stop.is_set():
                break
            tally = self.run_once()
            total.add(tally)
            if tally.claimed == 0 and tally.skipped == 0:
                break
        return total

    def close(self) -> None:
        for sender in (self.email, self.sms):
            close = getattr(sender, "close", None)
            if close is not None:
                close()

    # -- claim

    def _claim(self, limit: int, tally: Tally) -> list[_Claim]:
        s = self.ctx.settings
        now = self.clock()
        stale = now - timedelta(seconds=s.notify_lease_seconds)
        claims = []
        with self.ctx.uow() as uow:
            for r in uow.notifications.due(now, stale_before=stale, limit=limit):
                skip = self._skip_reason(uow, r, now)
                if skip is not None:
                    if uow.notifications.skip(r, skip, now):
                        tally.skipped += 1
                    continue
                if uow.notifications.claim(r, self.worker_id, now):
                    claims.append(_Claim(r.id, r.kind, r.channel, r.recipient, r.idempotency_key, dict(r.context),
                                         r.attempts + 1))
            uow.commit()
        tally.claimed += len(claims)
        return claims

    def _skip_reason(self, uow, r: Notification, now: datetime) -> str | None:
        stale_after = _STALE_AFTER.get(r.kind)
        if stale_after is not None and r.created_at < now - stale_after:
            return f"stale: a {r.kind} message more than {stale_after} old would mislead the buyer"
        if r.channel not in self.channels:
            return f"the {r.channel} channel is turned off (OMNIALLOC_NOTIFY_CHANNELS)"
        if r.kind not in self.mandatory and opted_out(uow, [r.customer_id, r.recipient], r.channel):
            return f"the customer opted out of {r.channel}"
        return None

    # -- send

    def _deliver(self, claim: _Claim, tally: Tally) -> None:
        s = self.ctx.settings
        rendered = None
        try:
            ctx = message_context.finish(claim.context, brand=s.notify_brand, tracking_base_url=s.tracking_base_url,
                                         return_window_days=s.return_window_days)
            assert self.templates is not None  # set by __post_init__
            try:
                rendered = self.templates.render(claim.kind, claim.channel, ctx)
            except TemplateProblem as exc:
                raise PermanentError(f"template problem: {exc}") from exc
            ref = self._send(claim, rendered)
        except DeliveryError as exc:
            self._failed(claim, exc, rendered, tally)
        except Exception as exc:  # noqa: BLE001 - an unexpected adapter bug is retried, then dead-lettered
            log.exception("unexpected error sending notification %s", claim.id)
            self._failed(claim, TransientError(f"{type(exc).__name__}: {exc}"), rendered, tally)
        else:
            self._sent(claim, ref, rendered, tally)

    def _send(self, claim: _Claim, rendered) -> str:
        assert self.email is not None and self.sms is not None  # set by __post_init__
        if claim.channel == Channel.EMAIL:
            return self.email.send(OutgoingEmail(to=claim.recipient, subject=rendered.subject, text=rendered.text,
                                                 html=rendered.html, idempotency_key=claim.idempotency_key))
        if claim.channel == Channel.SMS:
            return self.sms.send(OutgoingSms(to=claim.recipient, text=rendered.text,
                                             idempotency_key=claim.idempotency_key, reference=claim.id))
        raise PermanentError(f"unknown channel {claim.channel!r}")

    def _finish(self, claim: _Claim, values: dict) -> bool:
        """Record the outcome, only if this worker still owns the claim."""
        with self.ctx.uow() as uow:
            ok = uow.notifications.record_outcome(claim.id, attempts=claim.attempts, worker=self.worker_id,
                                                  at=self.clock(), **values)
            uow.commit()
        if not ok:
            log.warning("notification %s: claim by %s expired before its outcome was recorded", claim.id,
                        self.worker_id)
        return ok

    @staticmethod
    def _content(rendered) -> dict:
        if rendered is None:
            return {}
        return {"subject": rendered.subject, "body": rendered.text, "body_html": rendered.html}

    def _sent(self, claim: _Claim, ref, rendered, tally: Tally) -> None:
        values = {"status": "sent", "sent_at": self.clock(), "provider_ref": None if ref is None else str(ref)[:255],
                  "last_error": None, **self._content(rendered)}
        if self._finish(claim, values):
            tally.sent += 1
            metrics.NOTIFICATIONS.labels(claim.kind, claim.channel, "sent").inc()
            log.info("notification %s (%s %s) sent to %s", claim.id, claim.kind, claim.channel, mask(claim.recipient))
        else:
            tally.lost += 1
            metrics.NOTIFICATIONS.labels(claim.kind, claim.channel, "lost").inc()

    def _failed(self, claim: _Claim, exc: DeliveryError, rendered, tally: Tally) -> None:
        s = self.ctx.settings
        error = exc.message[:2000]
        if exc.transient and claim.attempts < s.notify_max_attempts:
            when = next_attempt_at(self.clock(), claim.attempts, s.notify_backoff_seconds, s.notify_backoff_max_seconds)
            values = {"status": "pending", "next_attempt_at": when, "last_error": f"attempt {claim.attempts}: {error}"}
            counter = "retrying"
            log.warning("notification %s attempt %d failed (retry at %s): %s", claim.id, claim.attempts,
                        when.isoformat(), error)
        else:
            why = (f"gave up after {claim.attempts} attempts: {error}" if exc.transient
                   else f"permanent failure: {error}")
            values = {"status": "failed", "last_error": why}
            counter = "failed"
            log.error("notification %s dead-lettered: %s", claim.id, why)
        values.update(self._content(rendered))
        if self._finish(claim, values):
            setattr(tally, counter, getattr(tally, counter) + 1)
            metrics.NOTIFICATIONS.labels(claim.kind, claim.channel, "retry" if counter == "retrying" else "failed").inc()
        else:
            tally.lost += 1
            metrics.NOTIFICATIONS.labels(claim.kind, claim.channel, "lost").inc()


def run_worker(ctx, stop, *, poll_seconds: float | None = None, dispatcher: Dispatcher | None = None,
               on_batch=None) -> Tally:
    """Send until ``stop`` (a ``threading.Event``) is set; between empty batches, wait ``poll_seconds``.

    Stopping is graceful: the batch in hand is finished and recorded first.
    """
    poll = ctx.settings.notify_poll_seconds if poll_seconds is None else poll_seconds
    own = dispatcher is None
    dispatcher = dispatcher or Dispatcher(ctx)
    total = Tally()
    try:
        while not stop.is_set():
            tally = dispatcher.run_once()
            total.add(tally)
            if on_batch is not None:
                on_batch(tally)
            if tally.claimed == 0 and tally.skipped == 0:
                stop.wait(poll)
    finally:
        if own:
            dispatcher.close()
    return total


def send_due(ctx) -> Tally:
    """Everything due now, then return (``omnialloc notify-send --once``)."""
    dispatcher = Dispatcher(ctx)
    try:
        return dispatcher.drain()
    finally:
        dispatcher.close()


def worker_main(ctx, *, poll_seconds: float | None = None, backorders: bool = True) -> Tally:
    """``omnialloc notify-worker``: run until SIGTERM or SIGINT, then finish the batch in hand and return.

    ``backorders``: also run the backorder retry queue (``services.orders.backorders.run_worker``) in a thread of
    this process, so a slow SMTP relay never delays an allocation and a long retry pass never delays a
    message.
    """
    stop = threading.Event()
    retries = None
    if backorders:
        retries = threading.Thread(target=run_backorders, args=(ctx, stop), name="backorders", daemon=True)
    # Shop pushes, webhook deliveries and the debounced stock sync (issue 27): their own thread, so a slow shop
    # never delays a customer message.
    outbound = threading.Thread(target=run_outbound, args=(ctx, stop), name="outbound", daemon=True)

    # Carrier bookings that failed (issue 26): retried with backoff in a thread of their own.
    bookings = threading.Thread(target=run_booking_retries, args=(ctx, stop), name="carrier-bookings",
                                daemon=True)
    # Tracking pulled from carriers with a tracking API (issue 26): polled with backoff in a thread of its own.
    polls = threading.Thread(target=run_tracking_polls, args=(ctx, stop), name="tracking-polls", daemon=True)

    def _stop(signum, _frame):
        log.info("notify-worker: signal %s received, stopping after the current batch", signum)
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("notify-worker started (email via %s, SMS via %s%s)", ctx.settings.email_provider,
             ctx.settings.sms_provider, "; backorder retries" if retries is not None else "")
    if retries is not None:
        retries.start()
    outbound.start()
    bookings.start()
    polls.start()
    try:
        return run_worker(ctx, stop, poll_seconds=poll_seconds)
    finally:
        stop.set()
        if retries is not None:
            retries.join(timeout=60)
        outbound.join(timeout=60)
        bookings.join(timeout=60)
        polls.join(timeout=60)
        for sig, handler in previous.items():
            signal.signal(sig, handler)

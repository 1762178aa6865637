"""Customer notifications as use cases: the outbox, the dispatcher, opt-outs and the admin's dead-letter queue.

Outbox. ``outbox_rows(uow, event)`` is called by ``services.events.record`` for
every audit event, inside the same transaction. When the event is one a buyer
hears about (``notify.catalog``), it gives one row per channel with the facts
the templates need, which the event repository writes with the event. A rolled-back change therefore leaves no notification and a
committed one always has its rows. The idempotency key is unique, so recording
the same change twice writes nothing new.

Dispatcher. ``Dispatcher.run_once`` claims due rows in a short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` write lock
serialises claimers), and every claim is also a compare-and-set on
(status, attempts), so two workers can never both own a row. Then it renders
and sends outside any transaction, and records the outcome in a second short
transaction. A transient failure is retried with exponential backoff until
``OMNIALLOC_NOTIFY_MAX_ATTEMPTS``, then the row is dead-lettered as ``failed``. A
permanent failure is dead-lettered at once. The provider sees the same
idempotency key on every attempt. A row left in ``sending`` by a crashed worker
can be claimed again after ``OMNIALLOC_NOTIFY_LEASE_SECONDS``.

Preferences. A buyer may opt out per channel, by customer id or by address.
The dispatcher checks at send time (an opt-out after the change still counts)
and skips the row, unless its kind is one the seller made mandatory
(``OMNIALLOC_NOTIFY_MANDATORY``).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.notify import catalog
from omnialloc.notify import context as message_context
from omnialloc.notify.backoff import next_attempt_at
from omnialloc.notify.catalog import Channel, Kind
from omnialloc.notify.email import OutgoingEmail, make_email_sender
from omnialloc.notify.errors import DeliveryError, PermanentError, TransientError
from omnialloc.observability import metrics
from omnialloc.observability.logs import mask
from omnialloc.notify.sms import OutgoingSms, make_sms_provider
from omnialloc.notify.templates import Templates, TemplateProblem
from omnialloc.domain.notifications import REQUEUEABLE, STATUSES, ChannelPreference, Notification
from omnialloc.services import paging

log = logging.getLogger("omnialloc.notify")

_ID = re.compile(r"[A-Za-z0-9_\-]{1,40}")


def utcnow() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ outbox


def outbox_rows(uow, event, *, order=None) -> list[dict]:
    """The outbox rows ``event`` calls for (none for most events), for ``uow.events.add`` to write with it.

    ``order``: the order of an order event as it stands in this transaction, if the caller has it.
    """
    due = catalog.due_for(event)
    if due is None:
        return []
    facts = _facts(uow, due, event, order)
    if facts is None:
        log.warning("no order found for %s %s; no notification written", due.entity, due.entity_id)
        return []
    order, ctx = facts
    at = event.at or utcnow()
    rows = []
    for channel in Channel:
        recipient = _recipient(order, channel)
        rows.append(dict(
            id="ntf_" + secrets.token_hex(8), idempotency_key=catalog.idempotency_key(due, channel, at),
            order_id=order.id, entity=due.entity, entity_id=due.entity_id, kind=str(due.kind),
            channel=str(channel), recipient=recipient, customer_id=order.customer_id, context=ctx,
            status="pending" if recipient else "skipped", attempts=0, next_attempt_at=at,
            last_error=None if recipient else f"the order has no {_CONTACT[channel]}",
            created_at=at, updated_at=at,
        ))
    return rows


_CONTACT = {Channel.EMAIL: "email address", Channel.SMS: "phone number"}


def _recipient(order, channel: Channel) -> str:
    to = order.ship_to
    value = (to.email if channel == Channel.EMAIL else to.phone) or ""
    return value.strip()


def _facts(uow, due: catalog.Due, event, order=None):
    """(order, template facts) for the subject of ``due``, read in the event's own transaction
    (an order event's ``order`` is taken as given when the caller passes it)."""
    payload = dict(event.payload or {})
    shipment = rma = pickup = None
    if due.entity == "order":
        if order is None or order.id != due.entity_id:
            order = uow.orders.get(due.entity_id)
        if due.kind == Kind.REFUND_ISSUED:
            rma = _return_facts(uow, payload.get("return_id"), payload)
        elif due.kind == Kind.READY_FOR_PICKUP and order is not None:
            pickup = _pickup_facts(uow, order, payload)
    elif due.entity == "shipment":
        shipment = uow.shipments.get(due.entity_id)
        order = uow.orders.get(shipment.order_id if shipment else payload.get("order_id"))
    elif due.entity == "return":
        rma = _return_facts(uow, due.entity_id, payload)
        order = uow.orders.get(rma.get("order_id")) if rma.get("order_id") else None
    else:
        return None
    if order is None:
        return None
    codes = {l.sku for l in order.lines}
    # The per-process SKU master cache (services.network.cache) that capture and allocation already use.
    from omnialloc.services.network.cache import skus as sku_master

    sku_names = {code: sku.name for code, sku in sku_master(uow, sorted(codes)).items()} if codes else {}
    carriers = {c for c in (shipment.carrier if shipment else None, (rma or {}).get("carrier")) if c}
    carrier_names = {}
    for code in carriers:
        carrier = uow.carriers.get(code)
        if carrier is not None:
            carrier_names[code] = carrier.name
    # Only a carrier's remark on a failed attempt is meant for the buyer; other reasons are internal.
    reason = event.reason if due.kind == Kind.DELIVERY_FAILED else payload.get("customer_reason")
    ctx = message_context.build(order=order, shipment=shipment, rma=rma, reason=reason, carrier_names=carrier_names,
                                sku_names=sku_names, awb=payload.get("awb"), pickup=pickup)
    return order, _jsonable(ctx)


def _pickup_facts(uow, order, payload: dict) -> dict:
    """Where and until when the order waits at the counter, and the code to show there (``services.fulfilment.pickups``
    stores the code before it records the order's move to READY_FOR_PICKUP, in the same transaction)."""
    store = payload.get("pickup_node") or order.pickup_node
    node = uow.nodes.get(store) if store else None
    address = None
    if node is not None:
        address = ", ".join(part for part in (node.address, node.city, f"{node.state} {node.pin}".strip()) if part)
    expires = payload.get("expires_at")
    return {"code": uow.orders.pickup_code(order.id), "store_name": node.name if node is not None else store,
            "store_address": address, "expires_on": str(expires)[:10] if expires else None}


def _return_facts(uow, return_id: str | None, payload: dict) -> dict:
    """What templates need about a return: from the returns repository when there is one, then the event."""
    facts: dict = {}
    repo = getattr(uow, "returns", None)
    if return_id and repo is not None and hasattr(repo, "get"):
        record = repo.get(return_id)
        if record is not None:
            source = record if isinstance(record, dict) else vars(record)
            facts.update({k: v for k, v in source.items() if not k.startswith("_")})
        refund = repo.refund(return_id) if hasattr(repo, "refund") else None
        if refund:
            facts.setdefault("refund_paise", refund.get("amount_paise"))
            facts["refund_method"] = refund.get("method") or facts.get("refund_method")
    facts.update({k: v for k, v in payload.items() if v is not None})
    facts.setdefault("id", return_id or payload.get("return_id"))
    for alias in ("amount_paise", "refund_amount_paise"):
        if facts.get("refund_paise") is None and facts.get(alias) is not None:
            facts["refund_paise"] = facts[alias]
    if facts.get("pickup_date") is None and facts.get("pickup_at") is not None:
        facts["pickup_date"] = str(facts["pickup_at"])[:10]
    return facts


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return value.value
    return value


# ------------------------------------------------------------------ preferences


def normalise_subject(subject: str) -> str:
    """Customer ids as given; email addresses lower-cased; phone numbers without spaces and dashes."""
    s = (subject or "").strip()
    if "@" in s:
        return s.lower()
    compact = s.replace(" ", "").replace("-", "")
    if compact.lstrip("+").isdigit():
        return compact
    return s


def _opted_out(uow, subjects: list[str], channel: str) -> bool:
    return uow.preferences.opted_out({normalise_subject(s) for s in subjects if s}, channel)


def get_preferences(ctx, principal, subject: str) -> dict:
    principal.require(Role.ADMIN, Role.CHANNEL)
    key = _check_subject(subject)
    with ctx.uow(readonly=True) as uow:
        _ensure_customer_of(uow, principal, key)
        stored = uow.preferences.for_subject(key)
    return _preferences_view(key, stored)


def set_preferences(ctx, principal, subject: str, changes: dict[str, bool]) -> dict:
    """``changes`` maps channel -> receives (True) or opted out (False); channels not given stay as they are."""
    principal.require(Role.ADMIN, Role.CHANNEL)
    key = _check_subject(subject)
    unknown = [c for c in changes if c not in {ch.value for ch in Channel}]
    if unknown:
        raise ValidationFailed("unknown channel", field_errors=[FieldError(c, "must be email or sms") for c in unknown])
    now = utcnow()
    with ctx.uow() as uow:
        _ensure_customer_of(uow, principal, key)
        for channel, receives in sorted(changes.items()):
            if receives is None:
                continue
            uow.preferences.put(ChannelPreference(subject=key, channel=channel, opted_out=not receives,
                                                  updated_at=now, updated_by=principal.actor))
        uow.commit()
        stored = uow.preferences.for_subject(key)
    return _preferences_view(key, stored)


def _ensure_customer_of(uow, principal, subject: str) -> None:
    """A channel key reaches only its own channel's customers (those its orders name); others are not found."""
    if principal.role == Role.CHANNEL and not uow.customers.of_channel(principal.channel, subject):
        raise NotFound(f"customer {subject} not found")


def _check_subject(subject: str) -> str:
    key = normalise_subject(subject)
    if not key or len(key) > 254 or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise ValidationFailed("a customer id, email address or phone number is required (at most 254 characters)",
                               field_errors=[FieldError("subject", "must be 1-254 printable characters")])
    return key


def _preferences_view(key: str, stored: dict[str, ChannelPreference]) -> dict:
    out = {"subject": key}
    for channel in Channel:
        p = stored.get(channel.value)
        out[channel.value] = not (p is not None and p.opted_out)
    stamps = [p.updated_at for p in stored.values()]
    out["updated_at"] = max(stamps).isoformat() if stamps else None
    return out


# ------------------------------------------------------------------ admin views


def _view(r: Notification, *, with_body: bool = True) -> dict:
    out = {
        "id": r.id, "status": r.status, "kind": r.kind, "channel": r.channel, "recipient": r.recipient,
        "order_id": r.order_id, "entity": r.entity, "entity_id": r.entity_id, "event_id": r.event_id,
        "customer_id": r.customer_id, "idempotency_key": r.idempotency_key, "attempts": r.attempts,
        "next_attempt_at": _iso(r.next_attempt_at), "last_error": r.last_error, "provider_ref": r.provider_ref,
        "created_at": _iso(r.created_at), "updated_at": _iso(r.updated_at), "sent_at": _iso(r.sent_at),
    }
    if with_body:
        out.update(subject=r.subject, body=r.body)
    return out


def _iso(value):
    return None if value is None else value.isoformat()


def list_notifications(ctx, principal, *, status: str | None = None, order_id: str | None = None,
                       channel: str | None = None, kind: str | None = None, limit: int = 50,
                       cursor: str | None = None) -> dict:
    """Newest first, keyset-paginated; ``status=failed`` is the dead-letter queue."""
    principal.require(Role.ADMIN)
    errors = []
    if status is not None and status not in STATUSES:
        errors.append(FieldError("status", f"must be one of {', '.join(STATUSES)}"))
    if channel is not None and channel not in {c.value for c in Channel}:
        errors.append(FieldError("channel", "must be email or sms"))
    if kind is not None and kind not in {k.value for k in Kind}:
        errors.append(FieldError("kind", f"must be one of {', '.join(k.value for k in Kind)}"))
    if errors:
        raise ValidationFailed("bad filter", field_errors=errors)
    limit = max(1, min(int(limit), ctx.settings.max_page_size))
    before = paging.decode(ctx.settings.secret_key, "notifications", cursor, (datetime, str)) if cursor else None
    with ctx.uow(readonly=True) as uow:
        rows = uow.notifications.newest_first(status=status, order_id=order_id, channel=channel, kind=kind,
                                              before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_view(r) for r in rows], "next_cursor": paging.encode(
        ctx.settings.secret_key, "notifications", (rows[-1].created_at, rows[-1].id)) if more and rows else None}


def get_notification(ctx, principal, notification_id: str) -> dict:
    principal.require(Role.ADMIN)
    if not _ID.fullmatch(notification_id or ""):
        raise NotFound(f"notification {notification_id} not found")
    with ctx.uow(readonly=True) as uow:
        r = uow.notifications.get(notification_id)
    if r is None:
        raise NotFound(f"notification {notification_id} not found")
    return _view(r)


def counts(ctx) -> dict[str, int]:
    with ctx.uow(readonly=True) as uow:
        stored = uow.notifications.count_by_status()
    out = dict.fromkeys(STATUSES, 0)
    out.update(stored)
    return out


def requeue(ctx, principal, notification_id: str) -> dict:
    """Send a dead-lettered (or skipped) message again, from a fresh attempt count.

    The idempotency key stays the same: if an earlier attempt did reach the
    provider after all, the provider still recognises the message.
    """
    principal.require(Role.ADMIN)
    from omnialloc.services.events import record

    if not _ID.fullmatch(notification_id or ""):
        raise NotFound(f"notification {notification_id} not found")
    now = utcnow()
    with ctx.uow() as uow:
        r = uow.notifications.get(notification_id)
        if r is None:
            raise NotFound(f"notification {notification_id} not found")
        if r.status == "pending":
            return _view(r)
        if r.status not in REQUEUEABLE:
            raise Conflict(f"notification {notification_id} is {r.status}; only failed or skipped ones can be re-queued")
        if not r.recipient:
            raise Conflict(f"notification {notification_id} has no recipient; fix the order's contact details first")
        uow.notifications.requeue(r, at=now, note=f"re-queued by {principal.actor}; was {r.status}: "
                                                 f"{r.last_error or ''}".strip())
        record(uow, "notification", r.id, "requeued", principal.actor, from_status=r.status, to_status="pending",
               reason=r.last_error)
        uow.commit()
        r = uow.notifications.get(notification_id)
    return _view(r)


# ------------------------------------------------------------------ dispatcher


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


def _csv(value: str) -> frozenset[str]:
    return frozenset(p.strip() for p in (value or "").split(",") if p.strip())


@dataclass
class Dispatcher:
    """Claims due notifications, sends them, records the outcome. One per worker process or thread."""

    ctx: object
    email: object | None = None
    sms: object | None = None
    templates: Templates | None = None
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")
    clock: object = utcnow

    def __post_init__(self):
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
        stale_after = catalog.STALE_AFTER.get(r.kind)
        if stale_after is not None and r.created_at < now - stale_after:
            return f"stale: a {r.kind} message more than {stale_after} old would mislead the buyer"
        if r.channel not in self.channels:
            return f"the {r.channel} channel is turned off (OMNIALLOC_NOTIFY_CHANNELS)"
        if r.kind not in self.mandatory and _opted_out(uow, [r.customer_id, r.recipient], r.channel):
            return f"the customer opted out of {r.channel}"
        return None

    # -- send

    def _deliver(self, claim: _Claim, tally: Tally) -> None:
        s = self.ctx.settings
        rendered = None
        try:
            ctx = message_context.finish(claim.context, brand=s.notify_brand, tracking_base_url=s.tracking_base_url,
                                         return_window_days=s.return_window_days)
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
    import signal
    import threading

    stop = threading.Event()
    retries = None
    if backorders:
        from omnialloc.services.orders.backorders import run_worker as run_backorders

        retries = threading.Thread(target=run_backorders, args=(ctx, stop), name="backorders", daemon=True)

    def _stop(signum, _frame):
        log.info("notify-worker: signal %s received, stopping after the current batch", signum)
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("notify-worker started (email via %s, SMS via %s%s)", ctx.settings.email_provider,
             ctx.settings.sms_provider, "; backorder retries" if retries is not None else "")
    if retries is not None:
        retries.start()
    try:
        return run_worker(ctx, stop, poll_seconds=poll_seconds)
    finally:
        stop.set()
        if retries is not None:
            retries.join(timeout=60)
        for sig, handler in previous.items():
            signal.signal(sig, handler)

"""Outbound webhooks for other systems (ERP, WMS, BI) (issue 27): subscriptions, signed delivery, the log.

Admins manage subscriptions (URL, event types, secret; the secret is shown once, at creation). Every
recorded audit event is offered to the active subscriptions (``on_recorded``, a subscriber of ``Recorded``
on the message bus): its type is ``<entity>.<new status>`` for a status change (``order.cancelled``,
``shipment.shipped``) and ``<entity>.<event type>`` otherwise (``order.captured``). A subscription takes the
types it lists, ``<entity>.*``, or ``*``. One outbound message per (subscription, event), written with the
event, is delivered by the outbound worker as a signed POST (``webhooks.delivery``: HMAC-SHA256 over
"timestamp.body", the delivery id and the event type in headers), retried with backoff on no answer, 408,
425, 429 and 5xx, dead-lettered on any other answer or when the attempts are used up, and replayable. A
410 Gone disables the subscription. Each attempt is in the subscription's delivery log.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import FieldError, NotFound, ValidationFailed
from omnialloc.domain.outbound import OutboundMessage, WebhookSubscription
from omnialloc.services.access import Principal
from omnialloc.services.events import now, record
from omnialloc.services.messages import Recorded
from omnialloc.services.notifications import outbound
from omnialloc.services.notifications.outbound import DELIVERED, FAILED, RETRY, SendResult, message_row, targets
from omnialloc.webhooks.delivery import Subscription, Verdict, WebhookEvent, WebhookSender, check_subscription_url
from omnialloc.webhooks.signing import generate_secret

KIND = "webhook"
_QUIET = frozenset({"outbound", "webhook_subscription"})   # our own bookkeeping is not an event for others


def event_type(event) -> str:
    if event.to_status:
        return f"{event.entity}.{str(event.to_status).lower()}"
    return f"{event.entity}.{event.type}"


# ------------------------------------------------------------------ queued with the event
def on_recorded(uow, recorded: Recorded) -> None:
    subs = targets(uow).subscriptions
    event = recorded.event
    if not subs or event.entity in _QUIET:
        return None
    kind = event_type(event)
    wanted = [s for s in subs if s.wants(kind)]
    if not wanted:
        return None
    at = event.at or now()
    event_id = "evt_" + secrets.token_hex(10)
    data = {"entity": event.entity, "id": event.entity_id, "type": event.type, "from_status": event.from_status,
            "to_status": event.to_status, "reason": event.reason, "actor": event.actor,
            "details": _jsonable(dict(event.payload or {}))}
    order = recorded.subject
    if order is not None and event.entity == "order" and order.id == event.entity_id:
        data["order"] = {"channel": order.channel, "external_id": order.external_id, "status": str(order.status)}
    body = {"id": event_id, "type": kind, "occurred_at": at.isoformat(), "data": data}
    uow.outbound.add([message_row(KIND, s.id, kind, f"webhook:{s.id}:{event_id}", body, at, prefix="dlv_")
                      for s in wanted])
    return None


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# ------------------------------------------------------------------ sending
class WebhookDeliverySender:
    """Sends ``webhook`` messages: the stored event, signed with the subscription's secret."""

    def __init__(self, ctx, *, sender: WebhookSender | None = None):
        self.ctx = ctx
        self.http = sender or WebhookSender()

    def __call__(self, m: OutboundMessage) -> SendResult:
        with self.ctx.uow(readonly=True) as uow:
            sub = uow.webhook_subscriptions.get(m.target)
        if sub is None or not sub.active:
            return SendResult(FAILED, f"subscription {m.target} is {'gone' if sub is None else 'disabled'}")
        body = m.payload
        try:
            subscription = Subscription(sub.url, (sub.secret,), allow_insecure=self.ctx.settings.webhooks_allow_http)
            occurred = datetime.fromisoformat(body["occurred_at"])
            encoded = WebhookEvent(body["id"], body["type"], occurred, body["data"]).encode()
        except (ValueError, KeyError, TypeError) as exc:
            return SendResult(FAILED, f"cannot send: {exc}")
        result = self.http.deliver(subscription, m.id, m.topic, encoded)
        detail = result.detail + (f"; answer: {result.response_excerpt[:200]}" if result.response_excerpt else "")
        if result.verdict is Verdict.DELIVERED:
            return SendResult(DELIVERED, detail, result.status, duration_ms=result.duration_ms)
        if result.verdict is Verdict.RETRY:
            return SendResult(RETRY, detail, result.status, result.retry_after, result.duration_ms)
        if result.verdict is Verdict.UNSUBSCRIBE:
            with self.ctx.uow() as uow:
                uow.webhook_subscriptions.update(sub.id, at=now(), active=False, disabled_reason=result.detail)
                record(uow, "webhook_subscription", sub.id, "disabled", "webhook-worker", reason=result.detail)
                uow.commit()
        return SendResult(FAILED, detail, result.status, duration_ms=result.duration_ms)

    def close(self) -> None:
        self.http.close()


# ------------------------------------------------------------------ admin
def _view(sub: WebhookSubscription, *, secret: bool = False) -> dict:
    out = {"id": sub.id, "url": sub.url, "events": list(sub.events), "description": sub.description,
           "active": sub.active, "disabled_reason": sub.disabled_reason, "created_at": sub.created_at,
           "created_by": sub.created_by, "updated_at": sub.updated_at}
    if secret:
        out["secret"] = sub.secret
    return out


def _checked(ctx, url: str | None, events) -> list[FieldError]:
    errors = []
    if url is not None:
        try:
            check_subscription_url(url, allow_insecure=ctx.settings.webhooks_allow_http)
        except ValueError as exc:
            errors.append(FieldError("url", str(exc)))
    if events is not None:
        if not events:
            errors.append(FieldError("events", "at least one event type (or \"*\")"))
        for i, e in enumerate(events):
            if not (e == "*" or (e.count(".") == 1 and all(part for part in e.split(".")))):
                errors.append(FieldError(f"events.{i}", "an event type like order.cancelled, order.* or *"))
    return errors


def create_subscription(ctx, principal: Principal, body: dict) -> dict:
    principal.require(Role.ADMIN)
    errors = _checked(ctx, body["url"], body["events"])
    if errors:
        raise ValidationFailed("the subscription cannot be used: " + "; ".join(e.message for e in errors),
                               field_errors=errors)
    at = now()
    sub = WebhookSubscription(id="whs_" + secrets.token_hex(8), url=body["url"].strip(),
                              events=tuple(dict.fromkeys(body["events"])), secret=body.get("secret") or generate_secret(),
                              description=body.get("description") or "", created_at=at, created_by=principal.actor,
                              updated_at=at)
    with ctx.uow() as uow:
        uow.webhook_subscriptions.add(sub)
        record(uow, "webhook_subscription", sub.id, "created", principal.actor, events=list(sub.events))
        uow.commit()
    return _view(sub, secret=True)   # the only time the secret is shown


def list_subscriptions(ctx, principal: Principal) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow(readonly=True) as uow:
        return {"items": [_view(s) for s in uow.webhook_subscriptions.list()]}


def get_subscription(ctx, principal: Principal, sub_id: str) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow(readonly=True) as uow:
        sub = uow.webhook_subscriptions.get(sub_id)
        if sub is None:
            raise NotFound(f"webhook subscription {sub_id} not found")
        out = _view(sub)
        out["counts"] = {s: n for s, n in sorted(_counts(uow, sub_id).items())}
    return out


def _counts(uow, sub_id: str) -> dict:
    counts: dict[str, int] = {}
    for m in uow.outbound.newest_first(kind=KIND, target=sub_id, limit=1000):
        counts[m.status] = counts.get(m.status, 0) + 1
    return counts


def update_subscription(ctx, principal: Principal, sub_id: str, body: dict) -> dict:
    principal.require(Role.ADMIN)
    errors = _checked(ctx, body.get("url"), body.get("events"))
    if errors:
        raise ValidationFailed("the subscription cannot be used: " + "; ".join(e.message for e in errors),
                               field_errors=errors)
    values = {k: v for k, v in body.items() if v is not None and k in ("url", "events", "description", "active",
                                                                        "secret")}
    if values.get("active"):
        values["disabled_reason"] = None
    with ctx.uow() as uow:
        if not uow.webhook_subscriptions.update(sub_id, at=now(), **values):
            raise NotFound(f"webhook subscription {sub_id} not found")
        record(uow, "webhook_subscription", sub_id, "changed", principal.actor, fields=sorted(values))
        uow.commit()
        return _view(uow.webhook_subscriptions.get(sub_id))


def delete_subscription(ctx, principal: Principal, sub_id: str) -> None:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        if not uow.webhook_subscriptions.delete(sub_id):
            raise NotFound(f"webhook subscription {sub_id} not found")
        uow.outbound.cancel_pending(kind=KIND, target=sub_id, at=now(), note="the subscription was deleted")
        record(uow, "webhook_subscription", sub_id, "deleted", principal.actor)
        uow.commit()


def deliveries(ctx, principal: Principal, sub_id: str, **q) -> dict:
    """The subscription's delivery log, newest first, each with its attempts."""
    principal.require(Role.ADMIN)
    with ctx.uow(readonly=True) as uow:
        if uow.webhook_subscriptions.get(sub_id) is None:
            raise NotFound(f"webhook subscription {sub_id} not found")
    return outbound.list_messages(ctx, principal, kind=KIND, target=sub_id, with_log=True, **q)


def replay(ctx, principal: Principal, sub_id: str, delivery_id: str) -> dict:
    out = outbound.replay(ctx, principal, delivery_id, kind=KIND)
    if out["target"] != sub_id:
        raise NotFound(f"delivery {delivery_id} not found")
    return out

"""The admin's view of the notification outbox: list and read messages, counts by status, and
re-queue a dead-lettered one (``status=failed`` is the dead-letter queue)."""

from __future__ import annotations

import re
from datetime import datetime

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.notifications import REQUEUEABLE, STATUSES, Notification
from omnialloc.notify.catalog import Channel, Kind
from omnialloc.services import paging
from omnialloc.services.events import now, record

_ID = re.compile(r"[A-Za-z0-9_\-]{1,40}")


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
    if not _ID.fullmatch(notification_id or ""):
        raise NotFound(f"notification {notification_id} not found")
    at = now()
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
        uow.notifications.requeue(r, at=at, note=f"re-queued by {principal.actor}; was {r.status}: "
                                                 f"{r.last_error or ''}".strip())
        record(uow, "notification", r.id, "requeued", principal.actor, from_status=r.status, to_status="pending",
               reason=r.last_error)
        uow.commit()
        r = uow.notifications.get(notification_id)
    return _view(r)

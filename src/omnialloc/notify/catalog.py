"""Which status changes a buyer hears about, as message kinds.

``kind_for`` is the single decision: given an audit event (entity, type,
from/to status), is a customer message due, and which one? It is pure, so the
outbox (``services.notifications.outbox``) stays a thin writer and the rules are tested
without a database.

A kind is *once per subject* when the buyer should hear about it only once for
that order, shipment or return, however often the event is recorded (an order
re-allocated after a hold is not confirmed twice). The others (out for delivery,
delivery failed) can honestly happen again and are keyed per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omnialloc.domain import Event


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Kind(StrEnum):
    ORDER_CONFIRMED = "order_confirmed"
    ORDER_SHIPPED = "order_shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    ORDER_CANCELLED = "order_cancelled"
    READY_FOR_PICKUP = "ready_for_pickup"
    RETURN_APPROVED = "return_approved"
    RETURN_PICKUP_SCHEDULED = "return_pickup_scheduled"
    RETURN_RECEIVED = "return_received"
    REFUND_ISSUED = "refund_issued"
    STORE_CREDIT_ISSUED = "store_credit_issued"
    ORDER_UPDATED = "order_updated"  # the nightly batch moved a confirmed order's shipments
    ORDER_DELAYED = "order_delayed"  # the nightly batch took a confirmed order's stock (--allow-unallocate)


ONCE_PER_SUBJECT = frozenset({
    Kind.ORDER_CONFIRMED, Kind.ORDER_SHIPPED, Kind.DELIVERED, Kind.ORDER_CANCELLED, Kind.READY_FOR_PICKUP,
    Kind.RETURN_APPROVED, Kind.RETURN_PICKUP_SCHEDULED, Kind.RETURN_RECEIVED, Kind.REFUND_ISSUED,
    Kind.STORE_CREDIT_ISSUED,
})

# Messages about a moment that passes: sent late (a worker was down for a day) they mislead more than
# they help ("out for delivery today" two days later), so the dispatcher skips them once this old.
STALE_AFTER: dict[Kind, timedelta] = {
    Kind.OUT_FOR_DELIVERY: timedelta(hours=12),
    Kind.DELIVERY_FAILED: timedelta(hours=48),
}

# (entity, to_status) -> kind, for status changes.
_BY_STATUS: dict[tuple[str, str], Kind] = {
    ("order", "ALLOCATED"): Kind.ORDER_CONFIRMED,
    ("order", "CANCELLED"): Kind.ORDER_CANCELLED,
    ("order", "READY_FOR_PICKUP"): Kind.READY_FOR_PICKUP,  # BOPIS: the pickup code, the store, until when
    ("shipment", "SHIPPED"): Kind.ORDER_SHIPPED,
    ("shipment", "OUT_FOR_DELIVERY"): Kind.OUT_FOR_DELIVERY,
    ("shipment", "DELIVERED"): Kind.DELIVERED,
    ("shipment", "DELIVERY_FAILED"): Kind.DELIVERY_FAILED,
    ("return", "APPROVED"): Kind.RETURN_APPROVED,
    ("return", "PICKUP_SCHEDULED"): Kind.RETURN_PICKUP_SCHEDULED,
    ("return", "RECEIVED"): Kind.RETURN_RECEIVED,
}

# Event types that are a customer message whatever the status (a refund is money, not a status).
_BY_TYPE: dict[tuple[str, str], Kind] = {
    ("return", "refund_issued"): Kind.REFUND_ISSUED,
    ("return", "refunded"): Kind.REFUND_ISSUED,
    ("order", "refund_issued"): Kind.REFUND_ISSUED,
    ("order", "refunded"): Kind.REFUND_ISSUED,
    ("return", "store_credit_issued"): Kind.STORE_CREDIT_ISSUED,
    ("order", "replanned"): Kind.ORDER_UPDATED,
    ("order", "delayed"): Kind.ORDER_DELAYED,
}

# Audit-only event types that never notify even if they carry a status (e.g. a stale scan).
_SILENT_TYPES = frozenset({"tracking_ignored", "note"})


@dataclass(frozen=True)
class Due:
    """A message is due: which kind, about which subject (entity and id)."""

    kind: Kind
    entity: str
    entity_id: str

    def subject_key(self) -> str:
        return f"{self.kind}:{self.entity}:{self.entity_id}"


def kind_for(entity: str, type_: str, from_status: str | None, to_status: str | None) -> Kind | None:
    """The message kind an event calls for, or None."""
    if type_ in _SILENT_TYPES:
        return None
    by_type = _BY_TYPE.get((entity, type_))
    if by_type is not None:
        return by_type
    if to_status is None or to_status == from_status:
        return None
    return _BY_STATUS.get((entity, str(to_status)))


def due_for(event: Event) -> Due | None:
    """``kind_for`` applied to an ``omnialloc.domain.Event``."""
    kind = kind_for(event.entity, event.type, event.from_status, event.to_status)
    return None if kind is None else Due(kind, event.entity, event.entity_id)


def idempotency_key(due: Due, channel: str, event_at: datetime | None = None) -> str:
    """Stable key of one message: the outbox stores it once, providers see it on every attempt.

    Once-per-subject kinds use the subject only, so recording the same change twice
    yields one message; repeatable kinds add the event time.
    """
    base = f"{due.subject_key()}:{channel}"
    if due.kind in ONCE_PER_SUBJECT or event_at is None:
        return base
    return f"{base}:{event_at.isoformat()}"

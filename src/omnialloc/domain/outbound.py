"""Channels both ways (issue 27): what we send out, to shops and to subscribers, and what came in broken.

* ``OutboundMessage``: one row of the outbound outbox, a push to a shop (``kind='shop_push'``, target = the
  channel) or a webhook delivery (``kind='webhook'``, target = the subscription): pending, sending, then
  delivered or failed (the dead letter, re-queued by an admin); ``OutboundAttempt``: one try, for the log;
* ``ChannelPush``: a channel's shop platform, credentials (``settings``, never shown) and what to push;
* ``WebhookSubscription``: who gets which events, signed with which secret (never shown after creation);
* ``FailedIntake``: an order a shop or caller sent that did not validate, kept with its raw body and errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OUTBOUND_STATUSES = ("pending", "sending", "delivered", "failed", "cancelled")
#: Statuses an admin may send again (replay) from a fresh attempt count.
REPLAYABLE = ("failed", "cancelled", "delivered")
INTAKE_STATUSES = ("open", "resubmitted", "discarded")


@dataclass(frozen=True)
class OutboundMessage:
    id: str
    kind: str
    target: str
    topic: str
    idempotency_key: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    last_error: str | None = None
    last_status: int | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class OutboundAttempt:
    message_id: str
    attempt: int
    at: datetime
    outcome: str                  # delivered | retry | failed
    http_status: int | None = None
    duration_ms: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class ChannelPush:
    channel: str
    kind: str                                             # shopify | woocommerce
    settings: dict[str, Any] = field(repr=False)          # credentials inside: never shown
    push_orders: bool = True
    push_stock: bool = True
    locations: dict[str, str] = field(default_factory=dict)   # node code -> the shop's location id
    stock_cursor: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str = ""


@dataclass(frozen=True)
class WebhookSubscription:
    id: str
    url: str
    events: tuple[str, ...]
    secret: str = field(repr=False)
    description: str = ""
    active: bool = True
    disabled_reason: str | None = None
    created_at: datetime | None = None
    created_by: str = ""
    updated_at: datetime | None = None

    def wants(self, event_type: str) -> bool:
        return self.active and ("*" in self.events or event_type in self.events
                                or f"{event_type.split('.')[0]}.*" in self.events)


@dataclass(frozen=True)
class FailedIntake:
    id: str
    channel: str
    source: str                   # shopify | woocommerce | api
    raw_body: str
    errors: list[dict[str, str]]
    status: str
    created_at: datetime
    updated_at: datetime
    external_id: str | None = None
    payload: Any = None
    attempts: int = 1
    order_id: str | None = None
    resolved_by: str | None = None

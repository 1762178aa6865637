"""Notifications: the outbox's notifications (list, one, re-queue) and buyers' channel preferences."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Open, Strict, WholeNumber, same_values
from omnialloc.notify.catalog import Kind

Status = Literal["pending", "sending", "sent", "failed", "skipped"]
ChannelName = Literal["email", "sms"]
KindName = Literal[
    "order_confirmed", "order_shipped", "out_for_delivery", "delivered", "delivery_failed", "order_cancelled",
    "ready_for_pickup", "return_approved", "return_pickup_scheduled", "return_received", "refund_issued",
    "store_credit_issued", "order_updated", "order_delayed",
]
same_values(KindName, Kind)  # written out so that mypy reads it; checked against the enum


class NotificationQuery(Strict):
    status: Status | None = None
    order_id: Annotated[str | None, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")] = None
    channel: ChannelName | None = None
    kind: KindName | None = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Annotated[int, Field(ge=1, le=200), WholeNumber] = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class NotificationOut(Open):
    id: str
    status: str
    kind: str
    channel: str
    recipient: str
    order_id: str | None = None
    attempts: int
    last_error: str | None = None
    idempotency_key: str


class NotificationPage(Open):
    items: list[NotificationOut]
    next_cursor: str | None = None


class PreferencesIn(Strict):
    """``true``: the buyer receives this channel; ``false``: opted out. Omitted channels stay as they are."""

    email: bool | None = None
    sms: bool | None = None


class PreferencesOut(Open):
    subject: str
    email: bool
    sms: bool
    updated_at: str | None = None

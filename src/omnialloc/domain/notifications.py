"""Customer notifications: one outbox message to a buyer on one channel, and a buyer's opt-outs.

A ``Notification`` is written in the transaction of the change it tells the
buyer about (pending), claimed by a dispatcher (sending), and ends sent,
failed (dead-lettered) or skipped; ``attempts`` counts the sends tried. Its
``context`` holds the facts its templates need, so it can be rendered again
on a retry. A ``ChannelPreference`` says whether one subject (a customer id,
an email address or a phone number) opted out of one channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

STATUSES = ("pending", "sending", "sent", "failed", "skipped")
#: Statuses an admin may send again from a fresh attempt count.
REQUEUEABLE = ("failed", "skipped")


@dataclass(frozen=True)
class Notification:
    id: str
    idempotency_key: str
    kind: str                  # the template: order_shipped, ...
    channel: str               # email | sms
    recipient: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    entity: str
    entity_id: str
    context: dict[str, Any]
    order_id: str | None = None
    event_id: int | None = None
    customer_id: str | None = None
    subject: str | None = None      # as sent (filled when rendered)
    body: str | None = None
    body_html: str | None = None
    last_error: str | None = None
    provider_ref: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class ChannelPreference:
    subject: str               # normalised: a customer id, a lower-cased email, a phone number without spaces
    channel: str
    opted_out: bool
    updated_at: datetime
    updated_by: str = ""

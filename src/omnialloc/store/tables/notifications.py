"""Customer notifications: the outbox and customers' channel opt-outs.

On the store's one ``MetaData`` (``store.tables.common``), so migrations,
the "no diff" check and the test reset see them like any other table.

``notifications`` is a transactional outbox: a row is written in the same
transaction as the status change it tells the buyer about, then claimed and
sent by ``omnialloc notify-worker``. ``idempotency_key`` is unique: recording
the same change twice yields one row, and providers see the key on every
attempt so a retry never delivers twice.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import BigIntId, JSONType, UTCDateTime

NOTIFICATION_STATUSES = ("pending", "sending", "sent", "failed", "skipped")
NOTIFICATION_CHANNELS = ("email", "sms")

notifications = sa.Table(
    "notifications", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
    sa.Column("event_id", BigIntId, nullable=True, index=True),
    sa.Column("order_id", sa.String(40), nullable=True, index=True),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),          # the template: order_shipped, ...
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=True),
    sa.Column("context", JSONType, nullable=False),           # template variables, so it can be re-rendered
    sa.Column("subject", sa.Text, nullable=True),             # as sent (filled when rendered)
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("body_html", sa.Text, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("provider_ref", sa.String(255), nullable=True),
    sa.Column("claimed_by", sa.String(100), nullable=True),
    sa.Column("claimed_at", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("sent_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint(f"status IN {NOTIFICATION_STATUSES!r}", name="status_known"),
    sa.CheckConstraint(f"channel IN {NOTIFICATION_CHANNELS!r}", name="channel_known"),
    sa.CheckConstraint("attempts >= 0", name="attempts_nonneg"),
    sa.Index(None, "status", "next_attempt_at"),              # the dispatcher's claim query
)

# One row per (customer or address, channel) the buyer opted out of (or back into).
# ``subject`` is an order's customer_id, or an email address / phone number.
customer_preferences = sa.Table(
    "customer_preferences", metadata,
    sa.Column("subject", sa.String(254), primary_key=True),
    sa.Column("channel", sa.String(8), primary_key=True),
    sa.Column("opted_out", sa.Boolean, nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False, server_default=""),
    sa.CheckConstraint(f"channel IN {NOTIFICATION_CHANNELS!r}", name="channel_known"),
)

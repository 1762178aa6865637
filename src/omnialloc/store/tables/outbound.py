"""The outbound outbox (issue 27): messages to other systems, written with the change that calls for them.

One row per message: a push to a shop (``kind='shop_push'``, ``target`` = the channel, ``topic`` fulfil /
cancel / stock) or an outbound webhook delivery (``kind='webhook'``, ``target`` = the subscription). The
delivery worker claims due rows (compare-and-set on status and attempts, ``SKIP LOCKED`` on PostgreSQL),
sends, and records each attempt in ``outbound_attempts`` (the delivery log). ``failed`` is the dead letter;
an admin re-queues (replays) it. ``idempotency_key`` is unique: the same change queued twice is one message.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import BigIntId, JSONType, UTCDateTime

OUTBOUND_KINDS = ("shop_push", "webhook")
OUTBOUND_STATUSES = ("pending", "sending", "delivered", "failed", "cancelled")

outbound_messages = sa.Table(
    "outbound_messages", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("target", sa.String(64), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("claimed_by", sa.String(100), nullable=True),
    sa.Column("claimed_at", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint(f"kind IN {OUTBOUND_KINDS!r}", name="kind_known"),
    sa.CheckConstraint(f"status IN {OUTBOUND_STATUSES!r}", name="status_known"),
    sa.CheckConstraint("attempts >= 0", name="attempts_nonneg"),
    sa.Index(None, "status", "next_attempt_at"),              # the worker's claim query
    sa.Index(None, "kind", "target", "created_at"),           # a channel's pushes, a subscription's log
)

outbound_attempts = sa.Table(
    "outbound_attempts", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(40), sa.ForeignKey("outbound_messages.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),      # delivered | retry | failed
    sa.Column("http_status", sa.Integer, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=True),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Index(None, "message_id", "attempt"),
)

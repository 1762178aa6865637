"""Outbound webhook subscriptions (issue 27): who gets which of our events, signed with which secret."""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import JSONType, UTCDateTime

webhook_subscriptions = sa.Table(
    "webhook_subscriptions", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("events", JSONType, nullable=False),            # event types ("order.cancelled"), or ["*"]
    sa.Column("secret", sa.String(200), nullable=False),      # never returned after creation
    sa.Column("description", sa.String(300), nullable=False, server_default=""),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

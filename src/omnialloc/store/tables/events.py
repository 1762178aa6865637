"""Events: the audit trail of every status change and stock movement (entity, from, to, who, why, when)."""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import BigIntId, JSONType, UTCDateTime

events = sa.Table(
    "events", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("from_status", sa.String(32), nullable=True),
    sa.Column("to_status", sa.String(32), nullable=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("payload", JSONType, nullable=False),
    sa.Index(None, "entity", "entity_id"),
    sa.Index(None, "at"),
)

"""API keys: hashed tokens with their role and the channel, node or carrier a key is bound to."""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import api_role, created_at, metadata
from omnialloc.store.types import UTCDateTime

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False, index=True),  # first chars of the token, for lookup
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex
    sa.Column("role", api_role, nullable=False),
    sa.Column("channel", sa.String(64), sa.ForeignKey("channels.code"), nullable=True),
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code"), nullable=True),
    sa.Column("carrier", sa.String(64), sa.ForeignKey("carriers.code"), nullable=True),
    created_at(),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
)

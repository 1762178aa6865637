"""Channels both ways (issue 27): what a channel needs so we can push back to its shop.

* ``channel_push_settings``: per channel, the shop platform and its credentials (``settings``: the shop's URL
  and API keys; write-only through the API, never returned or logged), what to push, and the stock sync's
  cursor (the newest inventory change already looked at);
* ``channel_stock_levels``: the sellable quantity last queued for the shop per SKU, so a stock change that
  does not move what the channel may sell (a buffer absorbs it) pushes nothing;
* ``sku_aliases``: a channel's own SKU for one of ours (fixes an intake that named an unknown SKU).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import JSONType, UTCDateTime

PUSH_KINDS = ("shopify", "woocommerce")

channel_push_settings = sa.Table(
    "channel_push_settings", metadata,
    sa.Column("channel", sa.String(64), sa.ForeignKey("channels.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("settings", JSONType, nullable=False),          # secrets inside: never returned by the API
    sa.Column("push_orders", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("push_stock", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("locations", JSONType, nullable=False),         # node code -> the shop's location id
    sa.Column("stock_cursor", UTCDateTime(), nullable=True),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False, server_default=""),
    sa.CheckConstraint(f"kind IN {PUSH_KINDS!r}", name="kind_known"),
)

channel_stock_levels = sa.Table(
    "channel_stock_levels", metadata,
    sa.Column("channel", sa.String(64), sa.ForeignKey("channels.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("available", sa.Integer, nullable=False),
    sa.Column("queued_at", UTCDateTime(), nullable=False),
)

sku_aliases = sa.Table(
    "sku_aliases", metadata,
    sa.Column("channel", sa.String(64), sa.ForeignKey("channels.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("alias", sa.String(64), primary_key=True),
    sa.Column("sku", sa.String(64), sa.ForeignKey("skus.code"), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
)

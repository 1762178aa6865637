"""Orders: the captured order with its ship-to address, its lines, and the nodes it may not go to again."""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import Money, created_at, metadata, payment_mode
from omnialloc.store.types import JSONType, UTCDateTime

orders = sa.Table(
    "orders", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("channel", sa.String(64), sa.ForeignKey("channels.code"), nullable=False),
    sa.Column("external_id", sa.String(128), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=True),  # sha256 of the canonical capture body
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_reason", sa.Text, nullable=True),
    sa.Column("payment_mode", payment_mode, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, server_default="INR"),
    sa.Column("value_paise", Money, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
    sa.Column("tags", JSONType, nullable=False),
    sa.Column("promised_days", sa.Integer, nullable=True),
    sa.Column("delivery_mode", sa.String(16), nullable=False, server_default="ship"),
    sa.Column("pickup_node", sa.String(64), sa.ForeignKey("nodes.code"), nullable=True),
    sa.Column("pickup_code", sa.String(32), nullable=True),
    sa.Column("customer_id", sa.String(128), nullable=True),
    sa.Column("channel_order_number", sa.String(64), nullable=True),  # the shop's own "#9001" (issue 27)
    sa.Column("ship_name", sa.String(200), nullable=False),
    sa.Column("ship_line1", sa.String(300), nullable=False),
    sa.Column("ship_line2", sa.String(300), nullable=False, server_default=""),
    sa.Column("ship_city", sa.String(100), nullable=False),
    sa.Column("ship_state", sa.String(100), nullable=False),
    sa.Column("ship_pin", sa.String(6), nullable=False),
    sa.Column("ship_phone", sa.String(32), nullable=False, server_default=""),
    sa.Column("ship_email", sa.String(254), nullable=False, server_default=""),
    sa.Column("ship_lat", sa.Float, nullable=True),
    sa.Column("ship_lon", sa.Float, nullable=True),
    sa.Column("hold_reason", sa.Text, nullable=True),
    created_at(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # The promised delivery (issue 24): the UTC end of the promised day, and where the promise came from
    # (request, channel, rule, fastest).
    sa.Column("promised_by", UTCDateTime(), nullable=True),
    sa.Column("promise_source", sa.String(16), nullable=True),
    sa.UniqueConstraint("channel", "external_id"),
    sa.Index(None, "status"),
    sa.Index(None, "created_at", "id"),  # cursor pagination by (created_at, id)
    sa.Index(None, "ship_pin"),
)
# A channel's customers, by what their orders name them (store.repositories.customers; migration 0014).
sa.Index("ix_orders_customer_id_channel", orders.c.customer_id, orders.c.channel)
sa.Index("ix_orders_email_channel", sa.func.lower(orders.c.ship_email), orders.c.channel)
sa.Index("ix_orders_phone_channel",
         sa.func.replace(sa.func.replace(orders.c.ship_phone, sa.literal_column("' '"), sa.literal_column("''")),
                         sa.literal_column("'-'"), sa.literal_column("''")), orders.c.channel)

order_lines = sa.Table(
    "order_lines", metadata,
    sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), sa.ForeignKey("skus.code"), nullable=False),
    sa.Column("qty", sa.Integer, nullable=False),
    sa.Column("unit_price_paise", Money, nullable=False),
    sa.Column("cancelled_qty", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.CheckConstraint("cancelled_qty >= 0 AND cancelled_qty <= qty", name="cancelled_qty_range"),
    sa.Index(None, "sku"),
)

# Nodes that rejected an order: hopping never offers the order to them again.
order_excluded_nodes = sa.Table(
    "order_excluded_nodes", metadata,
    sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code"), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("at", UTCDateTime(), nullable=False),
)

"""Shipments: what one node sends by one carrier for an order, their lines, and live shipments per node and day."""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import Money, created_at, metadata
from omnialloc.store.types import JSONType, UTCDateTime

shipments = sa.Table(
    "shipments", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code"), nullable=False, index=True),
    sa.Column("carrier", sa.String(64), sa.ForeignKey("carriers.code"), nullable=False),
    sa.Column("status", sa.String(32), nullable=False, index=True),
    sa.Column("weight_g", sa.Integer, nullable=False, server_default="0"),
    sa.Column("billed_weight_g", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cost_paise", Money, nullable=False, server_default="0"),
    sa.Column("cost_breakdown", JSONType, nullable=False),
    sa.Column("sla_days", sa.Integer, nullable=True),
    sa.Column("awb", sa.String(64), nullable=True, unique=True),
    sa.Column("box_length_mm", sa.Integer, nullable=True),
    sa.Column("box_width_mm", sa.Integer, nullable=True),
    sa.Column("box_height_mm", sa.Integer, nullable=True),
    created_at(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("shipped_at", UTCDateTime(), nullable=True),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # The estimated delivery (issue 24): the service, when the parcel must be ready (the node's cut-off, UTC),
    # the destination's local delivery date and the UTC end of that day (on time = delivered before it).
    sa.Column("service", sa.String(16), nullable=True),
    sa.Column("ship_by", UTCDateTime(), nullable=True),
    sa.Column("delivery_date", sa.Date, nullable=True),
    sa.Column("deliver_by", UTCDateTime(), nullable=True),
)

# A shipment in ALLOCATED/ACCEPTED/PACKED holds a reservation: per (node, sku),
# inventory.reserved == sum of those shipments' line qty.
shipment_lines = sa.Table(
    "shipment_lines", metadata,
    sa.Column("shipment_id", sa.String(40), sa.ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), sa.ForeignKey("skus.code"), nullable=False),
    sa.Column("qty", sa.Integer, nullable=False),
    sa.CheckConstraint("qty >= 0", name="qty_nonneg"),
)

# Live shipments (not REJECTED / CANCELLED) created per node and UTC day: what a node's daily
# capacity is measured against, kept in step by ShipmentRepository (created +1, killed -1) so an
# allocation reads a few rows instead of counting the day's shipments.
shipment_day_counts = sa.Table(
    "shipment_day_counts", metadata,
    sa.Column("node", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("live", sa.Integer, nullable=False, server_default="0"),
)

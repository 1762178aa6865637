"""The network: nodes, SKUs, sales channels, carriers, their rate cards and serviceability.

Reference data (loaded by ``load-demo`` / admin edits, kept by the test reset: ``REFERENCE_TABLES``);
every write of it changes the reference revision token (``rules.rules_revision``).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import Money, metadata, node_kind, zone
from omnialloc.store.types import JSONType

nodes = sa.Table(
    "nodes", metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", node_kind, nullable=False),
    sa.Column("address", sa.String(500), nullable=False, server_default=""),
    sa.Column("pin", sa.String(6), nullable=False),
    sa.Column("city", sa.String(100), nullable=False),
    sa.Column("state", sa.String(100), nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("capabilities", JSONType, nullable=False),
    sa.Column("daily_capacity", sa.Integer, nullable=False),
    sa.Column("handling_cost_paise", Money, nullable=False, server_default="0"),
    sa.Column("priority", sa.Integer, nullable=False, server_default="100"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("groups", JSONType, nullable=False),
    sa.Column("gstin", sa.String(15), nullable=False, server_default=""),
    sa.CheckConstraint("daily_capacity >= 0", name="daily_capacity_nonneg"),
)

skus = sa.Table(
    "skus", metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("unit_weight_g", sa.Integer, nullable=False),
    sa.Column("length_mm", sa.Integer, nullable=False),
    sa.Column("width_mm", sa.Integer, nullable=False),
    sa.Column("height_mm", sa.Integer, nullable=False),
    sa.Column("unit_price_paise", Money, nullable=False),
    sa.Column("hazmat", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("fragile", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("returnable", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("hsn_code", sa.String(8), nullable=False, server_default=""),
    sa.Column("gst_rate_bp", sa.Integer, nullable=False, server_default="0"),
    sa.Column("barcodes", JSONType, nullable=False, server_default=sa.text("'[]'")),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.CheckConstraint("unit_weight_g >= 0", name="unit_weight_nonneg"),
    sa.CheckConstraint("unit_price_paise >= 0", name="unit_price_nonneg"),
)

channels = sa.Table(
    "channels", metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("return_window_days", sa.Integer, nullable=False),
    sa.Column("buffer_units", sa.Integer, nullable=False, server_default="0"),
    sa.Column("buffer_percent", sa.Integer, nullable=False, server_default="0"),
    sa.Column("feeding_nodes", JSONType, nullable=False),
    sa.Column("webhook_secret", sa.String(200), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("return_windows", JSONType, nullable=False, server_default=sa.text("'{}'")),
    sa.Column("default_promise_days", sa.Integer, nullable=True),
    sa.Column("promise_policy", sa.String(8), nullable=False, server_default="soft"),
    sa.Column("late_penalty_paise", Money, nullable=True),
)

carriers = sa.Table(
    "carriers", metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("modes", JSONType, nullable=False),
    sa.Column("max_weight_g", sa.Integer, nullable=False),
    sa.Column("cod_supported", sa.Boolean, nullable=False),
    sa.Column("volumetric_divisor", sa.Integer, nullable=False),
    sa.Column("reverse_supported", sa.Boolean, nullable=False),
    sa.Column("webhook_secret", sa.String(200), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

rate_cards = sa.Table(
    "rate_cards", metadata,
    sa.Column("carrier", sa.String(64), sa.ForeignKey("carriers.code"), primary_key=True),
    sa.Column("zone", zone, primary_key=True),
    sa.Column("first_slab_paise", Money, nullable=False),
    sa.Column("additional_slab_paise", Money, nullable=False),
    sa.Column("cod_fixed_paise", Money, nullable=False),
    sa.Column("cod_percent_bp", sa.Integer, nullable=False),
    sa.Column("rto_multiplier_pct", sa.Integer, nullable=False),
    sa.Column("reverse_multiplier_pct", sa.Integer, nullable=False),
    sa.Column("slab_g", sa.Integer, nullable=False),
    sa.Column("fuel_surcharge_bp", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("slab_g > 0", name="slab_positive"),
)

serviceability = sa.Table(
    "serviceability", metadata,
    sa.Column("carrier", sa.String(64), sa.ForeignKey("carriers.code"), primary_key=True),
    sa.Column("pin_prefix", sa.String(6), primary_key=True),
    sa.Column("forward", sa.Boolean, nullable=False),
    sa.Column("reverse", sa.Boolean, nullable=False),
    sa.Column("cod", sa.Boolean, nullable=False),
    sa.Column("sla_days_a", sa.Integer, nullable=False),
    sa.Column("sla_days_b", sa.Integer, nullable=False),
    sa.Column("sla_days_c", sa.Integer, nullable=False),
    sa.Column("sla_days_d", sa.Integer, nullable=False),
    sa.Column("sla_days_e", sa.Integer, nullable=False),
    sa.Column("pickup", sa.Boolean, nullable=False, server_default=sa.true()),
)

"""The database schema as SQLAlchemy Core tables on one ``MetaData``.

Core, not ORM: repositories write explicit SQL and map rows to the domain
dataclasses. Money is integer paise (BigInteger), weight integer grams, time
aware UTC. Stable vocabularies (node kind, payment mode, zone, API role) are
native enums; statuses are plain strings checked by the domain state machines,
so new statuses never need an enum migration.

Adding a table: define it here (or in a ``store/tables_<feature>.py`` module on
this same ``metadata``: ``load_all()`` picks those up), then ``python -m omnialloc.store.migrate revision -m "..."``
(see store/migrate.py) and review the generated file. If the new table holds
per-test data, nothing else is needed: the test reset truncates every table
that is not listed in ``REFERENCE_TABLES``.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.domain.enums import NodeKind, PaymentMode, Role, Zone
from omnialloc.domain.quantities import QTY_MAX
from omnialloc.store.types import BigIntId, JSONType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


def _enum(enum_cls, name: str) -> sa.Enum:
    # Store the lower-case values the API speaks, not the Python member names.
    return sa.Enum(enum_cls, name=name, values_callable=_values, validate_strings=True)


node_kind = _enum(NodeKind, "node_kind")
payment_mode = _enum(PaymentMode, "payment_mode")
zone = _enum(Zone, "zone")
api_role = _enum(Role, "api_role")

#: Every named enum type, so migrations can drop them on PostgreSQL.
ENUM_TYPES = (node_kind, payment_mode, zone, api_role)

Money = sa.BigInteger  # integer paise


def _created() -> sa.Column:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


# ---------------------------------------------------------------- reference data

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
    sa.CheckConstraint("unit_weight_g >= 0", name="unit_weight_nonneg"),
    sa.CheckConstraint("unit_price_paise >= 0", name="unit_price_nonneg"),
)

inventory = sa.Table(
    "inventory", metadata,
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code"), primary_key=True),
    sa.Column("sku", sa.String(64), sa.ForeignKey("skus.code"), primary_key=True),
    sa.Column("on_hand", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reserved", sa.Integer, nullable=False, server_default="0"),
    sa.Column("safety_stock", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("on_hand >= 0", name="on_hand_nonneg"),
    sa.CheckConstraint("reserved >= 0", name="reserved_nonneg"),
    sa.CheckConstraint("reserved <= on_hand", name="reserved_le_on_hand"),
    sa.CheckConstraint("safety_stock >= 0", name="safety_stock_nonneg"),
    # One range for every stored quantity on both backends (domain.quantities; migration 0013).
    *(sa.CheckConstraint(f"{c} <= {QTY_MAX}", name=f"{c}_range") for c in ("on_hand", "reserved", "safety_stock")),
    sa.Index(None, "sku"),  # ATP by SKU across nodes (the PK leads with node)
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
)

# ---------------------------------------------------------------- transactional data

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
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
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
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("shipped_at", UTCDateTime(), nullable=True),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
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

# Nodes that rejected an order: hopping never offers the order to them again.
order_excluded_nodes = sa.Table(
    "order_excluded_nodes", metadata,
    sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code"), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("at", UTCDateTime(), nullable=False),
)

# Every solve: the plan, its bound and its explanation.
allocations = sa.Table(
    "allocations", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(40), nullable=True, index=True),
    _created(),
    sa.Column("strategy", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("objective_paise", Money, nullable=True),
    sa.Column("bound_paise", Money, nullable=True),
    sa.Column("solve_ms", sa.Float, nullable=True),
    sa.Column("plan", JSONType, nullable=False),
)

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
    _created(),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
)

#: Tables that hold the network (loaded by load-demo / admin edits), not per-request data.
#: The test reset keeps these and truncates everything else, so tables added later
#: are reset without anyone having to remember to list them. ``inventory`` is
#: reference data whose quantities the reset restores from a snapshot.
REFERENCE_TABLES = frozenset({"nodes", "skus", "inventory", "channels", "carriers", "rate_cards", "serviceability"})


def load_all() -> sa.MetaData:
    """Import every ``store/tables_<feature>.py`` so its tables join ``metadata``; returns ``metadata``.

    Features may keep their tables in their own module on this one MetaData;
    migrations, the "no diff" test and the test reset call this to see them all.
    """
    import importlib
    import pkgutil

    import omnialloc.store as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("tables_"):
            importlib.import_module(f"omnialloc.store.{info.name}")
    return metadata

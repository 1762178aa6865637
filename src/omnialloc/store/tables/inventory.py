"""Stock per (node, SKU): on hand, reserved by live shipments, safety stock.

Reference data whose quantities the test reset restores from a snapshot (``REFERENCE_TABLES``).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.domain.quantities import QTY_MAX
from omnialloc.store.tables.common import metadata
from omnialloc.store.types import UTCDateTime

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

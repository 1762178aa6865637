"""Work orders: refurbishment / repair jobs that receiving a graded return (grade B or D) opens at the node.

On the store's one ``MetaData`` (``store.tables.common``).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import UTCDateTime

work_orders = sa.Table(
    "work_orders", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("return_id", sa.String(40), sa.ForeignKey("returns.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code"), nullable=False, index=True),
    sa.Column("sku", sa.String(64), sa.ForeignKey("skus.code"), nullable=False),
    sa.Column("qty", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),          # refurbish | repair
    sa.Column("status", sa.String(16), nullable=False),        # open | done
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
)

"""Order search (issue 27): one row per (tag, order), so ``GET /orders?tag=`` is an index lookup.

Kept by ``repositories.orders`` whenever an order's tags are written (capture, rule actions).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.tables.orders import orders

order_tags = sa.Table(
    "order_tags", metadata,
    sa.Column("tag", sa.String(50), primary_key=True),
    sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
)

# The shop's own order number ("#9001", "1042") and the priority queue: both looked up by GET /orders.
sa.Index("ix_orders_channel_order_number", orders.c.channel_order_number)
sa.Index("ix_orders_priority_created_at", orders.c.priority, orders.c.created_at)

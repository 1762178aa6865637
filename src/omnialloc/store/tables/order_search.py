"""Order search (issue 27): the indexes behind ``GET /orders``' filters that the orders table did not have.

The shop's own order number ("#9001", "1042"), the priority queue, and tags (a JSONB containment query,
``tags @> '["fraud-review"]'``, answered by a GIN index on PostgreSQL). PIN, e-mail, phone and customer
lookups use the indexes of ``tables.orders``; AWB the unique index of ``tables.shipments``.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.orders import orders

sa.Index("ix_orders_channel_order_number", orders.c.channel_order_number)
sa.Index("ix_orders_priority_created_at", orders.c.priority, orders.c.created_at)
sa.Index("ix_orders_tags", orders.c.tags, postgresql_using="gin")

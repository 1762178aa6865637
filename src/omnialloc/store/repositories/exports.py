"""Bulk reads for the CSV exports (issue 27): rows, not domain objects, a chunk of orders at a time.

An export of 100,000 orders must not hold them all, nor build an object per line: each method reads the rows
of one chunk of ids (found by ``repositories.order_search``) as plain tuples, in three statements per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables.inventory import inventory
from omnialloc.store.tables.orders import order_lines, orders
from omnialloc.store.tables.shipments import shipment_lines, shipments

ORDER_COLUMNS = ("id", "channel", "external_id", "channel_order_number", "status", "created_at", "payment_mode",
                 "currency", "value_paise", "priority", "tags", "customer_id", "ship_name", "ship_city", "ship_state",
                 "ship_pin", "ship_phone", "ship_email")
LINE_COLUMNS = ("order_id", "line_no", "sku", "qty", "cancelled_qty", "unit_price_paise")
SHIPMENT_COLUMNS = ("order_id", "line_no", "id", "node", "carrier", "awb", "status", "qty")
INVENTORY_COLUMNS = ("node", "sku", "on_hand", "reserved", "safety_stock", "updated_at")


class ExportRepository(Repository):
    def order_chunk(
        self, keys: sa.Select
    ) -> tuple[Sequence[sa.Row], Sequence[sa.Row], Sequence[sa.Row]]:
        """The orders that the keyset statement ``keys`` (``OrderSearchRepository.key_select``) picks, newest
        first, with their lines and the shipment lines carrying them: three statements, each joining ``keys``
        as a subquery (no list of ids sent back and forth). Times come back as the driver gives them (SQLite:
        UTC text, not parsed: parsing cost more than the rest of the export)."""
        picked = keys.subquery()
        ids = sa.select(picked.c.id)
        cols: list[sa.ColumnElement[Any]] = [orders.c[c] for c in ORDER_COLUMNS]
        if self.conn.dialect.name == "sqlite":
            cols[ORDER_COLUMNS.index("created_at")] = sa.type_coerce(orders.c.created_at, sa.String).label("created_at")
        heads = self.conn.execute(sa.select(*cols).join(picked, picked.c.id == orders.c.id)
                                  .order_by(orders.c.created_at.desc(), orders.c.id.desc())).all()
        lines = self.conn.execute(sa.select(*(order_lines.c[c] for c in LINE_COLUMNS))
                                  .where(order_lines.c.order_id.in_(ids))
                                  .order_by(order_lines.c.order_id, order_lines.c.line_no)).all()
        carried = self.conn.execute(
            sa.select(shipments.c.order_id, shipment_lines.c.line_no, shipments.c.id, shipments.c.node,
                      shipments.c.carrier, shipments.c.awb, shipments.c.status, shipment_lines.c.qty)
            .join(shipment_lines, shipment_lines.c.shipment_id == shipments.c.id)
            .where(shipments.c.order_id.in_(ids))
            .order_by(shipments.c.order_id, shipment_lines.c.line_no, shipments.c.created_at, shipments.c.id)).all()
        return heads, lines, carried

    def inventory(self, *, after: tuple[str, str] | None, limit: int, node: str | None = None,
                  sku: str | None = None) -> Sequence[sa.Row]:
        """Up to ``limit`` inventory rows in (node, sku) order after the keyset position ``after``."""
        q = sa.select(*(inventory.c[c] for c in INVENTORY_COLUMNS))
        if node is not None:
            q = q.where(inventory.c.node == node)
        if sku is not None:
            q = q.where(inventory.c.sku == sku)
        if after is not None:
            q = q.where(sa.tuple_(inventory.c.node, inventory.c.sku) > sa.tuple_(*after))
        return self.conn.execute(q.order_by(inventory.c.node, inventory.c.sku).limit(limit)).all()

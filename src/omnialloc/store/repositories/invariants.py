"""What the invariant checker (``services.invariants``) scans: the stored facts, read as they are.

The checker must not trust the code it checks, so these reads go straight to the
tables (no repository's mapping in between) and return the raw facts as small
named tuples; the one question the scan asks of SQL itself (every ordered unit
accounted for) is answered by one query here. All reads belong in one read
transaction (a consistent snapshot).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa

from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables.events import events
from omnialloc.store.tables.inventory import inventory
from omnialloc.store.tables.orders import order_lines, orders
from omnialloc.store.tables.shipments import shipment_day_counts, shipment_lines, shipments


class ShipmentFact(NamedTuple):
    id: str
    order_id: str
    node: str
    status: str
    created_at: datetime


class ShipmentLineFact(NamedTuple):
    shipment_id: str
    line_no: int
    sku: str
    qty: int


class StockFact(NamedTuple):
    node: str
    sku: str
    on_hand: int
    reserved: int


class OrderFact(NamedTuple):
    id: str
    status: str


class OrderLineFact(NamedTuple):
    order_id: str
    line_no: int
    sku: str
    qty: int
    cancelled_qty: int


class UnaccountedUnits(NamedTuple):
    """An order line with units in no state (``line_no`` None, ``waiting`` 0: a BACKORDERED order with no unit
    waiting)."""

    id: str
    status: str
    line_no: int | None
    waiting: int


class InvariantScanRepository(Repository):
    def shipments(self) -> list[ShipmentFact]:
        q = sa.select(shipments.c.id, shipments.c.order_id, shipments.c.node, shipments.c.status,
                      shipments.c.created_at)
        return [ShipmentFact._make(r) for r in self.conn.execute(q)]

    def shipment_lines(self) -> list[ShipmentLineFact]:
        q = sa.select(shipment_lines.c.shipment_id, shipment_lines.c.line_no, shipment_lines.c.sku,
                      shipment_lines.c.qty)
        return [ShipmentLineFact._make(r) for r in self.conn.execute(q)]

    def stock(self) -> list[StockFact]:
        q = sa.select(inventory.c.node, inventory.c.sku, inventory.c.on_hand, inventory.c.reserved)
        return [StockFact._make(r) for r in self.conn.execute(q)]

    def orders(self) -> list[OrderFact]:
        return [OrderFact._make(r) for r in self.conn.execute(sa.select(orders.c.id, orders.c.status))]

    def order_lines(self) -> list[OrderLineFact]:
        q = sa.select(order_lines.c.order_id, order_lines.c.line_no, order_lines.c.sku, order_lines.c.qty,
                      order_lines.c.cancelled_qty)
        return [OrderLineFact._make(r) for r in self.conn.execute(q)]

    def live_shipment_counters(self) -> dict[tuple[str, date], int]:
        """The stored ``shipment_day_counts``: (node, UTC day) -> live shipments created that day."""
        return {(r.node, r.day): r.live for r in self.conn.execute(sa.select(shipment_day_counts))}

    def unaccounted_units(self, *, holding: Iterable[str], gone: Iterable[str],
                          unplanned: Iterable[str], backordered: str) -> list[UnaccountedUnits]:
        """Order lines breaking the unit rule, computed in SQL: per line of an order whose status is not in
        ``unplanned``, qty - cancelled - placed (in shipments whose status is in ``holding``) - shipped (in
        ``gone``) > 0; and each ``backordered`` order with no unit waiting."""
        per_line = (sa.select(shipments.c.order_id, shipment_lines.c.line_no,
                              sa.func.sum(sa.case((shipments.c.status.in_(sorted(holding)), shipment_lines.c.qty),
                                                  else_=0)).label("placed"),
                              sa.func.sum(sa.case((shipments.c.status.in_(sorted(gone)), shipment_lines.c.qty),
                                                  else_=0)).label("shipped"))
                    .join(shipment_lines, shipment_lines.c.shipment_id == shipments.c.id)
                    .group_by(shipments.c.order_id, shipment_lines.c.line_no).subquery())
        waiting = (order_lines.c.qty - order_lines.c.cancelled_qty - sa.func.coalesce(per_line.c.placed, 0)
                   - sa.func.coalesce(per_line.c.shipped, 0))
        joined = (orders.join(order_lines, order_lines.c.order_id == orders.c.id)
                  .outerjoin(per_line, sa.and_(per_line.c.order_id == orders.c.id,
                                               per_line.c.line_no == order_lines.c.line_no)))
        lost = (sa.select(orders.c.id, orders.c.status, order_lines.c.line_no, waiting.label("waiting"))
                .select_from(joined).where(waiting > 0, orders.c.status.not_in(list(unplanned)))
                .order_by(orders.c.id, order_lines.c.line_no))
        idle = (sa.select(orders.c.id, orders.c.status, sa.null().label("line_no"), sa.literal(0).label("waiting"))
                .select_from(joined).where(orders.c.status == backordered)
                .group_by(orders.c.id, orders.c.status)
                .having(sa.func.max(waiting) <= 0).order_by(orders.c.id))
        return [UnaccountedUnits._make(r) for q in (lost, idle) for r in self.conn.execute(q)]

    def last_status_events(self, entities: Iterable[str]) -> dict[tuple[str, str], str]:
        """(entity, id) -> to_status of its newest status-bearing event (ids grow with time)."""
        newest = (sa.select(events.c.entity, events.c.entity_id, sa.func.max(events.c.id).label("id"))
                  .where(events.c.to_status.is_not(None), events.c.entity.in_(list(entities)))
                  .group_by(events.c.entity, events.c.entity_id).subquery())
        q = sa.select(events.c.entity, events.c.entity_id, events.c.to_status).join(newest, newest.c.id == events.c.id)
        return {(r.entity, r.entity_id): r.to_status for r in self.conn.execute(q)}

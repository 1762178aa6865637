"""A node's work queue as pages: open shipments with their order's facts, filtered, counted, sorted by deadline.

The dispatch-by deadline is when the parcel must leave the node: the shipment's ``ship_by`` when the
delivery promise set one, else order created + (promised days - the carrier's transit days). Orders
without a promise sort last. Counts are real ``COUNT(*)``s of the same filter, not the page's length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain import Shipment, ShipmentLine
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.shipments import shipment_from_row as _from_row
from omnialloc.store.repositories.shipments import status_values as _statuses
from omnialloc.store.tables.carrier_booking import carrier_bookings
from omnialloc.store.tables.carrier_pickups import carrier_pickup_shipments
from omnialloc.store.tables.orders import orders
from omnialloc.store.tables.shipments import shipment_lines, shipments

SLA_FILTERS = ("breached", "due_today", "on_time", "no_promise")


@dataclass(frozen=True)
class QueueRow:
    shipment: Shipment
    order_ref: str
    order_priority: int
    order_created_at: datetime
    promised_days: int | None
    payment_mode: str
    ship_by: datetime | None          # the promise's own deadline, when it set one
    booking_status: str | None
    booking_error: str | None
    pickup_id: str | None


class WorkQueueRepository(Repository):
    def _days(self, col):
        """A timestamp as fractional days (comparable, and addable to whole days) on this backend."""
        if self.conn.dialect.name == "sqlite":
            return sa.func.julianday(col)
        return sa.extract("epoch", col) / 86400.0

    def _deadline(self):
        slack = orders.c.promised_days - sa.func.coalesce(shipments.c.sla_days, 0)
        computed = self._days(orders.c.created_at) + slack
        ship_by = shipments.c.get("ship_by")
        return computed if ship_by is None else sa.func.coalesce(self._days(ship_by), computed)

    def _filtered(self, q, node: str, statuses: Iterable[str], *, carrier: str | None, sla: str | None,
                  now: datetime, sku: str | None = None):
        deadline = self._deadline()
        q = q.where(shipments.c.node == node, shipments.c.status.in_(_statuses(statuses)))
        if carrier:
            q = q.where(shipments.c.carrier == carrier)
        if sku:
            q = q.where(shipments.c.id.in_(sa.select(shipment_lines.c.shipment_id).where(shipment_lines.c.sku == sku)))
        if sla:
            now_days = self._days(sa.literal(now, type_=shipments.c.created_at.type))
            if sla == "breached":
                q = q.where(deadline < now_days)
            elif sla == "due_today":
                q = q.where(deadline >= now_days, deadline < now_days + 1)
            elif sla == "on_time":
                q = q.where(deadline >= now_days + 1)
            elif sla == "no_promise":
                q = q.where(deadline.is_(None))
        return q

    def page(self, node: str, statuses: Iterable[str], *, now: datetime, carrier: str | None = None,
             sla: str | None = None, sku: str | None = None, offset: int = 0, limit: int = 50) -> list[QueueRow]:
        """One page, earliest deadline first (then order priority, highest first, then age)."""
        statuses = list(statuses)
        deadline = self._deadline()
        ship_by = shipments.c.get("ship_by")
        q = (sa.select(shipments, orders.c.external_id.label("order_ref"), orders.c.priority.label("order_priority"),
                       orders.c.created_at.label("order_created_at"), orders.c.promised_days.label("promised"),
                       orders.c.payment_mode.label("payment"),
                       carrier_bookings.c.status.label("booking_status"),
                       carrier_bookings.c.last_error.label("booking_error"),
                       carrier_pickup_shipments.c.pickup_id.label("pickup_id"))
             .join(orders, orders.c.id == shipments.c.order_id)
             .outerjoin(carrier_bookings, carrier_bookings.c.shipment_id == shipments.c.id)
             .outerjoin(carrier_pickup_shipments, carrier_pickup_shipments.c.shipment_id == shipments.c.id))
        q = self._filtered(q, node, statuses, carrier=carrier, sla=sla, now=now, sku=sku)
        q = q.order_by(sa.case((deadline.is_(None), 1), else_=0), deadline, orders.c.priority.desc(),
                       shipments.c.created_at, shipments.c.id).offset(offset).limit(limit)
        rows = self.conn.execute(q).all()
        ids = [r.id for r in rows]
        lines: dict[str, list] = {i: [] for i in ids}
        if ids:
            for r in self.conn.execute(sa.select(shipment_lines).where(shipment_lines.c.shipment_id.in_(ids))
                                       .order_by(shipment_lines.c.shipment_id, shipment_lines.c.line_no)):
                lines[r.shipment_id].append(ShipmentLine(line_no=r.line_no, sku=r.sku, qty=r.qty))
        return [QueueRow(shipment=_from_row(r, lines[r.id]), order_ref=r.order_ref, order_priority=r.order_priority,
                         order_created_at=r.order_created_at, promised_days=r.promised,
                         payment_mode=str(r.payment.value if hasattr(r.payment, "value") else r.payment),
                         ship_by=getattr(r, "ship_by", None) if ship_by is not None else None,
                         booking_status=r.booking_status, booking_error=r.booking_error, pickup_id=r.pickup_id)
                for r in rows]

    def count(self, node: str, statuses: Iterable[str], *, now: datetime, carrier: str | None = None,
              sla: str | None = None, sku: str | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(shipments.join(orders, orders.c.id == shipments.c.order_id))
        return int(self.conn.execute(self._filtered(q, node, list(statuses), carrier=carrier, sla=sla, now=now,
                                                    sku=sku)).scalar_one())

    def counts_by_status(self, node: str, statuses: Iterable[str]) -> dict[str, int]:
        q = (sa.select(shipments.c.status, sa.func.count()).where(shipments.c.node == node,
                                                                    shipments.c.status.in_(_statuses(statuses)))
             .group_by(shipments.c.status))
        return {s: int(n) for s, n in self.conn.execute(q).all()}

    def carriers_at(self, node: str, statuses: Iterable[str]) -> list[str]:
        q = (sa.select(shipments.c.carrier).where(shipments.c.node == node, shipments.c.status.in_(_statuses(statuses)))
             .distinct().order_by(shipments.c.carrier))
        return list(self.conn.execute(q).scalars())

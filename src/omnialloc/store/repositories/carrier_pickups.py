"""Carrier pickups: a node's collection by one carrier on one day, its shipments and their handover scans."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa

from omnialloc.domain.fulfilment import CarrierPickup
from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables.carrier_pickups import carrier_pickup_shipments, carrier_pickups


class CarrierPickupRepository(Repository):
    def _members(self, ids: list[str]) -> dict[str, list]:
        out: dict[str, list] = defaultdict(list)
        if ids:
            q = (sa.select(carrier_pickup_shipments).where(carrier_pickup_shipments.c.pickup_id.in_(ids))
                 .order_by(carrier_pickup_shipments.c.shipment_id))
            for r in self.conn.execute(q):
                out[r.pickup_id].append(r)
        return out

    def _pickups(self, rows) -> list[CarrierPickup]:
        rows = list(rows)
        members = self._members([r.id for r in rows])
        return [CarrierPickup(id=r.id, node=r.node, carrier=r.carrier, day=r.day, status=r.status,
                              reference=r.reference, created_at=r.created_at,
                              shipments=tuple(m.shipment_id for m in members[r.id]),
                              handed_over=tuple(m.shipment_id for m in members[r.id] if m.handed_over_at))
                for r in rows]

    def get(self, pickup_id: str, *, for_update: bool = False) -> CarrierPickup | None:
        q = sa.select(carrier_pickups).where(carrier_pickups.c.id == pickup_id)
        if for_update:
            q = q.with_for_update()
        found = self._pickups(self.conn.execute(q))
        return found[0] if found else None

    def for_node(self, node: str, *, day: date | None = None, carrier: str | None = None) -> list[CarrierPickup]:
        q = sa.select(carrier_pickups).where(carrier_pickups.c.node == node)
        if day is not None:
            q = q.where(carrier_pickups.c.day == day)
        if carrier is not None:
            q = q.where(carrier_pickups.c.carrier == carrier)
        return self._pickups(self.conn.execute(q.order_by(carrier_pickups.c.day, carrier_pickups.c.carrier,
                                                          carrier_pickups.c.created_at)))

    def add(self, pickup: CarrierPickup, at: datetime) -> None:
        self.conn.execute(carrier_pickups.insert().values(
            id=pickup.id, node=pickup.node, carrier=pickup.carrier, day=pickup.day, status=pickup.status,
            reference=pickup.reference, created_at=at, updated_at=at))
        if pickup.shipments:
            self.conn.execute(carrier_pickup_shipments.insert(),
                              [{"pickup_id": pickup.id, "shipment_id": s} for s in pickup.shipments])

    def pickup_of(self, shipment_ids: Iterable[str]) -> dict[str, str]:
        """shipment id -> the pickup it is on, for those that are on one."""
        ids = list(shipment_ids)
        if not ids:
            return {}
        q = sa.select(carrier_pickup_shipments.c.shipment_id, carrier_pickup_shipments.c.pickup_id).where(
            carrier_pickup_shipments.c.shipment_id.in_(ids))
        return dict(self.conn.execute(q).all())

    def hand_over(self, pickup_id: str, shipment_id: str, at: datetime) -> bool:
        """Stamp the handover scan (once: a second scan changes nothing); False if not on this pickup."""
        found = self.conn.execute(sa.select(carrier_pickup_shipments.c.handed_over_at).where(
            carrier_pickup_shipments.c.pickup_id == pickup_id,
            carrier_pickup_shipments.c.shipment_id == shipment_id)).first()
        if found is None:
            return False
        if found.handed_over_at is None:
            self.conn.execute(carrier_pickup_shipments.update().where(
                carrier_pickup_shipments.c.pickup_id == pickup_id,
                carrier_pickup_shipments.c.shipment_id == shipment_id).values(handed_over_at=at))
        return True

    def set_status(self, pickup_id: str, status: str, at: datetime) -> None:
        self.conn.execute(carrier_pickups.update().where(carrier_pickups.c.id == pickup_id)
                          .values(status=status, updated_at=at))

    def waiting(self, node: str, *, carrier: str | None = None, statuses: Iterable[str] = ("PACKED",)) -> list[str]:
        """Ids of the node's shipments in ``statuses`` with an AWB that are on no pickup yet, oldest first."""
        from omnialloc.store.tables.shipments import shipments

        q = (sa.select(shipments.c.id)
             .where(shipments.c.node == node, shipments.c.status.in_([str(s) for s in statuses]),
                    shipments.c.awb.is_not(None),
                    shipments.c.id.not_in(sa.select(carrier_pickup_shipments.c.shipment_id)))
             .order_by(shipments.c.created_at, shipments.c.id))
        if carrier is not None:
            q = q.where(shipments.c.carrier == carrier)
        return list(self.conn.execute(q).scalars())

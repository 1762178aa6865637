"""Shipments with their lines.

A shipment in one of ``HOLDING_STATUSES`` holds a stock reservation: per (node,
sku) ``inventory.reserved`` equals the sum of those shipments' line quantities
(see :meth:`ShipmentRepository.reserved_by_shipments`).

Per node and UTC day of creation, ``shipment_day_counts.live`` equals the number
of shipments not REJECTED / CANCELLED (a node's daily capacity is measured against
it). ``add`` and a status change into a dead status keep it in step: the changes
are queued and written when the unit of work commits (``take_counts``), after
everything else (on PostgreSQL in the events' statement) and in (node, day)
order, so concurrent transactions take the counter rows last and in one order
(no deadlock with the inventory rows taken before them). ``live_on`` adds this
transaction's queued changes to what it reads.
"""

from __future__ import annotations

import builtins
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from omnialloc.domain import Shipment, ShipmentLine, ShipmentStatus
from omnialloc.domain.shipments import DEAD_STATUSES, RESERVING_STATUSES
from omnialloc.store.fastexec import Fast, insert_row_and_children
from omnialloc.store.repositories._base import Repository, insert_for, optional_fields, utcnow
from omnialloc.store.tables.shipments import shipment_day_counts, shipment_lines, shipments

HOLDING_STATUSES = RESERVING_STATUSES

_OPTIONAL = ("created_at", "updated_at", "shipped_at", "delivered_at", "version",
             "box_length_mm", "box_width_mm", "box_height_mm", "service", "ship_by", "delivery_date", "deliver_by")
_STAMPS = {ShipmentStatus.SHIPPED: "shipped_at", ShipmentStatus.DELIVERED: "delivered_at",
           ShipmentStatus.COLLECTED: "delivered_at"}


def _to_row(s: Shipment, now: datetime) -> dict:
    row = dict(
        id=s.id, order_id=s.order_id, node=s.node, carrier=s.carrier, status=str(s.status), weight_g=s.weight_g,
        billed_weight_g=s.billed_weight_g, cost_paise=s.cost_paise, cost_breakdown=dict(s.cost_breakdown),
        sla_days=s.sla_days, awb=s.awb, created_at=getattr(s, "created_at", None) or now, updated_at=now,
        version=1,
    )
    for k in ("box_length_mm", "box_width_mm", "box_height_mm", "shipped_at", "delivered_at", "service", "ship_by",
              "delivery_date", "deliver_by"):
        row[k] = getattr(s, k, None)
    return row


def _from_row(r, lines: list[ShipmentLine]) -> Shipment:
    extra = optional_fields(Shipment, {k: getattr(r, k) for k in _OPTIONAL})
    return Shipment(
        id=r.id, order_id=r.order_id, node=r.node, carrier=r.carrier, lines=lines, status=ShipmentStatus(r.status),
        weight_g=r.weight_g, billed_weight_g=r.billed_weight_g, cost_paise=r.cost_paise, sla_days=r.sla_days,
        awb=r.awb, cost_breakdown=dict(r.cost_breakdown), **extra,
    )


# Hot statements built once (building and cache-keying a statement per call cost more than running it).
_FOR_ORDER = (sa.select(shipments).where(shipments.c.order_id == sa.bindparam("order_id"))
              .order_by(shipments.c.created_at, shipments.c.id))
_LINES = (sa.select(shipment_lines).where(shipment_lines.c.shipment_id.in_(sa.bindparam("ids", expanding=True)))
          .order_by(shipment_lines.c.shipment_id, shipment_lines.c.line_no))
_INSERT = shipments.insert()
_INSERT_LINES = shipment_lines.insert()
_LIVE_ON = sa.select(shipment_day_counts.c.node, shipment_day_counts.c.live).where(
    shipment_day_counts.c.day == sa.bindparam("day"))
_BEFORE_KILL = (sa.select(shipments.c.node, shipments.c.created_at, shipments.c.status)
                .where(shipments.c.id == sa.bindparam("id")).with_for_update())
_COUNT_UPSERT: dict = {}
# The allocation path's statements, on the DBAPI cursor (store.fastexec).
_FAST_INSERT, _FAST_INSERT_LINES, _FAST_LIVE_ON = Fast(_INSERT), Fast(_INSERT_LINES), Fast(_LIVE_ON)
_DEAD = frozenset(str(s) for s in DEAD_STATUSES)


def count_upsert(dialect_name: str, rows: list[dict] | None = None):
    """INSERT INTO shipment_day_counts ... ON CONFLICT (node, day) DO UPDATE live = live + delta, for the
    dialect (Core): one row of bind parameters per column, or the VALUES list ``rows``."""
    ins = insert_for(dialect_name, shipment_day_counts)  # the two supported backends
    if rows is not None:
        ins = ins.values(rows)
    return ins.on_conflict_do_update(index_elements=[shipment_day_counts.c.node, shipment_day_counts.c.day],
                                     set_={"live": shipment_day_counts.c.live + ins.excluded.live})


def _fast_count_upsert(dialect_name: str) -> Fast:
    """:func:`count_upsert` of one row, built once per dialect and run on the DBAPI cursor (store.fastexec)."""
    stmt = _COUNT_UPSERT.get(dialect_name)
    if stmt is None:
        stmt = _COUNT_UPSERT[dialect_name] = Fast(count_upsert(dialect_name))
    return stmt


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def _statuses(values: Iterable[str]) -> list[str]:
    return [str(v) for v in values]


# For other repositories that read shipments along with their own tables (work_queue).
shipment_from_row = _from_row
status_values = _statuses


class ShipmentRepository(Repository):
    def __init__(self, conn):
        super().__init__(conn)
        self._live_delta: Counter[tuple[str, date]] = Counter()  # queued shipment_day_counts changes

    # -------------------------------------------------------------- reads
    def get(self, shipment_id: str, *, for_update: bool = False) -> Shipment | None:
        q = sa.select(shipments).where(shipments.c.id == shipment_id)
        if for_update:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return None if row is None else _from_row(row, self._lines([shipment_id])[shipment_id])

    def by_awb(self, awb: str) -> Shipment | None:
        shipment_id = self.conn.execute(sa.select(shipments.c.id).where(shipments.c.awb == awb)).scalar()
        return None if shipment_id is None else self.get(shipment_id)

    def for_order(self, order_id: str) -> list[Shipment]:
        return self._many(_FOR_ORDER, {"order_id": order_id})

    def for_node(self, node: str, *, statuses: Iterable[str] | None = None, limit: int = 200,
                 after_id: str | None = None) -> list[Shipment]:
        """Shipments at a node (oldest first), optionally by status; page with ``after_id``."""
        q = sa.select(shipments).where(shipments.c.node == node)
        if statuses is not None:
            q = q.where(shipments.c.status.in_(_statuses(statuses)))
        if after_id is not None:
            q = q.where(shipments.c.id > after_id)
        return self._many(q.order_by(shipments.c.id).limit(limit))

    def work_queue(self, node: str, statuses: Iterable[str], *, limit: int = 200) -> list[tuple[Shipment, int, datetime,
                                                                                                 int | None]]:
        """A node's open work in the order to do it: the order's priority (highest first), then the
        dispatch-by deadline (earliest first; orders without a promise last), then age.

        The dispatch-by deadline of a shipment is when it must leave the node to keep the order's
        promise: order created + (promised days - the carrier's transit days). Returns
        (shipment, order priority, order created at, order promised days) tuples.
        """
        from omnialloc.store.tables.orders import orders

        slack = orders.c.promised_days - sa.func.coalesce(shipments.c.sla_days, 0)
        if self.conn.dialect.name == "sqlite":
            deadline = sa.func.julianday(orders.c.created_at) + slack
        else:
            deadline = sa.extract("epoch", orders.c.created_at) / 86400.0 + slack
        q = (sa.select(shipments, orders.c.priority.label("order_priority"),
                       orders.c.created_at.label("order_created_at"),
                       orders.c.promised_days.label("order_promised_days"))
             .join(orders, orders.c.id == shipments.c.order_id)
             .where(shipments.c.node == node, shipments.c.status.in_(_statuses(statuses)))
             .order_by(orders.c.priority.desc(), sa.case((orders.c.promised_days.is_(None), 1), else_=0),
                       deadline, shipments.c.created_at, shipments.c.id)
             .limit(limit))
        rows = self.conn.execute(q).all()
        lines = self._lines([r.id for r in rows])
        return [(_from_row(r, lines[r.id]), r.order_priority, r.order_created_at, r.order_promised_days)
                for r in rows]

    def list(self, *, statuses: Iterable[str] | None = None, limit: int = 200,
             after_id: str | None = None) -> list[Shipment]:
        q = sa.select(shipments)
        if statuses is not None:
            q = q.where(shipments.c.status.in_(_statuses(statuses)))
        if after_id is not None:
            q = q.where(shipments.c.id > after_id)
        return self._many(q.order_by(shipments.c.id).limit(limit))

    def newest_first(self, *, carrier: str | None = None, after: tuple[datetime, str] | None = None,
                     limit: int = 100) -> builtins.list[tuple[datetime, Shipment]]:
        """(created_at, shipment) pairs, newest first (a carrier's only, when given); keyset paged by
        (created_at, id)."""
        q = sa.select(shipments)
        if carrier is not None:
            q = q.where(shipments.c.carrier == carrier)
        if after is not None:
            at, last_id = after
            q = q.where(sa.or_(shipments.c.created_at < at,
                               sa.and_(shipments.c.created_at == at, shipments.c.id < last_id)))
        rows = self.conn.execute(q.order_by(shipments.c.created_at.desc(), shipments.c.id.desc()).limit(limit)).all()
        lines = self._lines([r.id for r in rows])
        return [(r.created_at, _from_row(r, lines[r.id])) for r in rows]

    def shipped_between(self, node: str, start: datetime, end: datetime) -> builtins.list[Shipment]:
        """Shipments handed over at ``node`` with ``start <= shipped_at < end`` (a day's manifest)."""
        q = (sa.select(shipments)
             .where(shipments.c.node == node, shipments.c.shipped_at >= start, shipments.c.shipped_at < end)
             .order_by(shipments.c.shipped_at, shipments.c.id))
        return self._many(q)

    def count_by_node(self, *, statuses: Iterable[str] | None = None, since: datetime | None = None,
                      exclude: Iterable[str] | None = None) -> dict[str, int]:
        """Shipments created per node (since ``since``), filtered by status in / not in."""
        q = sa.select(shipments.c.node, sa.func.count().label("n")).group_by(shipments.c.node)
        if statuses is not None:
            q = q.where(shipments.c.status.in_(_statuses(statuses)))
        if exclude:
            q = q.where(shipments.c.status.not_in(_statuses(exclude)))
        if since is not None:
            q = q.where(shipments.c.created_at >= since)
        return {r.node: r.n for r in self.conn.execute(q)}

    def live_on(self, day: date, *, stored: dict[str, int] | None = None) -> dict[str, int]:
        """Live shipments created per node on ``day`` (UTC), as this transaction will leave them.

        ``stored``: the counter rows as read in this transaction by another query
        (``InventoryRepository.atp_and_live_on``), instead of reading them here."""
        out = dict(_FAST_LIVE_ON.rows(self.conn, {"day": day})) if stored is None else dict(stored)
        for (node, d), delta in self._live_delta.items():
            if d == day and delta:
                out[node] = out.get(node, 0) + delta
        return out

    def reserved_by_shipments(self) -> dict[tuple[str, str], int]:
        """Sum of line qty per (node, sku) over shipments that hold a reservation (the invariant's right side)."""
        q = (sa.select(shipments.c.node, shipment_lines.c.sku, sa.func.sum(shipment_lines.c.qty).label("qty"))
             .join(shipment_lines, shipment_lines.c.shipment_id == shipments.c.id)
             .where(shipments.c.status.in_(_statuses(HOLDING_STATUSES)))
             .group_by(shipments.c.node, shipment_lines.c.sku))
        return {(r.node, r.sku): int(r.qty) for r in self.conn.execute(q) if r.qty}

    def for_orders(self, order_ids: Iterable[str]) -> builtins.list[Shipment]:
        """Every shipment of these orders, oldest first."""
        ids = list(order_ids)
        if not ids:
            return []
        return self._many(sa.select(shipments).where(shipments.c.order_id.in_(ids))
                          .order_by(shipments.c.created_at, shipments.c.id))

    def created_at(self, order_ids: Iterable[str]) -> dict[str, datetime]:
        """shipment id -> when it was created, for every shipment of these orders."""
        ids = list(order_ids)
        if not ids:
            return {}
        return dict(self.conn.execute(sa.select(shipments.c.id, shipments.c.created_at)
                                      .where(shipments.c.order_id.in_(ids))).all())

    def versions(self, shipment_ids: Iterable[str]) -> dict[str, int]:
        ids = list(shipment_ids)
        if not ids:
            return {}
        return dict(self.conn.execute(sa.select(shipments.c.id, shipments.c.version)
                                      .where(shipments.c.id.in_(ids))).all())

    def live_since(self, at: datetime) -> builtins.list[tuple[str, str]]:
        """(node, order id) of every shipment created since ``at`` that is not REJECTED / CANCELLED."""
        q = (sa.select(shipments.c.node, shipments.c.order_id).where(shipments.c.created_at >= at)
             .where(shipments.c.status.not_in(sorted(_DEAD))))
        return [(r.node, r.order_id) for r in self.conn.execute(q)]

    def ids_unchanged_since(self, status: str, before: datetime) -> Sequence[str]:
        """Ids of the shipments in ``status`` whose last change was before ``before``, by id."""
        q = (sa.select(shipments.c.id).where(shipments.c.status == str(status), shipments.c.updated_at < before)
             .order_by(shipments.c.id))
        return self.conn.execute(q).scalars().all()

    def version(self, shipment_id: str) -> int | None:
        return self.conn.execute(sa.select(shipments.c.version).where(shipments.c.id == shipment_id)).scalar()

    def _many(self, q, params=None) -> builtins.list[Shipment]:
        rows = self.conn.execute(q, params).all()
        lines = self._lines([r.id for r in rows])
        return [_from_row(r, lines[r.id]) for r in rows]

    def _lines(self, ids: builtins.list[str]) -> dict[str, builtins.list[ShipmentLine]]:
        out: dict[str, list[ShipmentLine]] = defaultdict(list)
        if ids:
            for r in self.conn.execute(_LINES, {"ids": list(ids)}):
                out[r.shipment_id].append(ShipmentLine(line_no=r.line_no, sku=r.sku, qty=r.qty))
        return out

    # -------------------------------------------------------------- writes
    def add(self, shipment: Shipment) -> None:
        row = _to_row(shipment, utcnow())
        lines = [dict(shipment_id=shipment.id, line_no=ln.line_no, sku=ln.sku, qty=ln.qty) for ln in shipment.lines]
        insert_row_and_children(self.conn, shipments, _FAST_INSERT, row, shipment_lines, _FAST_INSERT_LINES, lines)
        if str(shipment.status) not in _DEAD:
            self._live_delta[(shipment.node, utc_day(row["created_at"]))] += 1

    def update_status(self, shipment_id: str, status: str, *, expected_version: int | None = None,
                      at: datetime | None = None) -> bool:
        """Set status, bump version, stamp shipped_at/delivered_at. False if the version moved."""
        now = at or utcnow()
        values = {"status": str(status), "version": shipments.c.version + 1, "updated_at": now}
        stamp = _STAMPS.get(ShipmentStatus(status))
        if stamp:
            values[stamp] = now
        before = None
        if str(status) in _DEAD:  # a shipment dying frees its node's capacity for the day it was created on
            before = self.conn.execute(_BEFORE_KILL, {"id": shipment_id}).first()
        q = shipments.update().where(shipments.c.id == shipment_id)
        if expected_version is not None:
            q = q.where(shipments.c.version == expected_version)
        done = self.conn.execute(q.values(**values)).rowcount == 1
        if done and before is not None and before.status not in _DEAD:
            self._live_delta[(before.node, utc_day(before.created_at))] -= 1
        return done

    def take_counts(self) -> builtins.list[dict]:
        """The queued ``shipment_day_counts`` changes as rows (node, day, live delta) in key order, now
        forgotten: the unit of work writes them last before its commit (:meth:`write_counts`, or on
        PostgreSQL along with the events)."""
        deltas = sorted((key, n) for key, n in self._live_delta.items() if n)
        self._live_delta.clear()
        return [{"node": node, "day": day, "live": n} for (node, day), n in deltas]

    def write_counts(self, rows: builtins.list[dict]) -> None:
        if rows:
            _fast_count_upsert(self.conn.dialect.name).executemany(self.conn, rows)

    def discard_counts(self) -> None:
        self._live_delta.clear()

    def set_status(self, shipment_id: str, status: str, *, at: datetime | None = None) -> bool:
        return self.update_status(shipment_id, status, at=at)

    def set_awb(self, shipment_id: str, awb: str) -> bool:
        """Assign the AWB; a duplicate AWB raises IntegrityError (it is unique)."""
        return self._touch(shipment_id, awb=awb)

    def set_carrier(self, shipment_id: str, carrier: str, *, cost_paise: int | None = None,
                    cost_breakdown: dict | None = None, sla_days: int | None = None) -> bool:
        values: dict[str, Any] = {"carrier": carrier}
        if cost_paise is not None:
            values["cost_paise"] = cost_paise
        if cost_breakdown is not None:
            values["cost_breakdown"] = dict(cost_breakdown)
        if sla_days is not None:
            values["sla_days"] = sla_days
        return self._touch(shipment_id, **values)

    def set_delivery(self, shipment_id: str, *, service: str | None, ship_by: datetime | None,
                     delivery_date: date | None, deliver_by: datetime | None) -> bool:
        """The shipment's estimated delivery (issue 24), recomputed when it hops or is re-planned."""
        return self._touch(shipment_id, service=service, ship_by=ship_by, delivery_date=delivery_date,
                           deliver_by=deliver_by)

    def set_box(self, shipment_id: str, *, length_mm: int, width_mm: int, height_mm: int,
                billed_weight_g: int | None = None) -> bool:
        values = dict(box_length_mm=length_mm, box_width_mm=width_mm, box_height_mm=height_mm)
        if billed_weight_g is not None:
            values["billed_weight_g"] = billed_weight_g
        return self._touch(shipment_id, **values)

    def set_line_qty(self, shipment_id: str, line_no: int, qty: int) -> bool:
        q = (shipment_lines.update()
             .where(shipment_lines.c.shipment_id == shipment_id, shipment_lines.c.line_no == line_no)
             .values(qty=qty))
        return self.conn.execute(q).rowcount == 1 and self._touch(shipment_id)

    def _touch(self, shipment_id: str, **values) -> bool:
        q = (shipments.update().where(shipments.c.id == shipment_id)
             .values(**values, version=shipments.c.version + 1, updated_at=utcnow()))
        return self.conn.execute(q).rowcount == 1

"""Orders with their lines, idempotency keys, optimistic versions and excluded nodes."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from omnialloc.domain import Address, DeliveryMode, Order, OrderLine, OrderStatus, PaymentMode
from omnialloc.store.fastexec import Fast, insert_row_and_children
from omnialloc.store.repositories._base import Repository, optional_fields, utcnow
from omnialloc.store.tables.orders import order_excluded_nodes as excl
from omnialloc.store.tables.orders import order_lines, orders
from omnialloc.store.tables.rules import rules_revision

_OPTIONAL = ("status_reason", "hold_reason", "pickup_code", "updated_at", "version", "request_hash", "promised_by",
             "promise_source")


@dataclass(frozen=True)
class OrderPage:
    items: list[Order]
    next_key: tuple[datetime, str] | None  # (created_at, id) of the last item when more follow: ``after=``


@dataclass(frozen=True)
class BackorderCandidate:
    """A BACKORDERED order as the backorder retry sees it: how urgent, and which units it still waits for."""

    order_id: str
    priority: int
    promised_days: int | None
    created_at: datetime
    pickup_node: str | None          # a pickup order can only take stock at its store
    waiting: dict[str, int]          # SKU -> units not in any live or shipped shipment
    version: int | None = None       # the row's version when read
    fresh: bool = False              # no shipment and no excluded node yet: nothing but the order to read


def _to_row(o: Order, now: datetime) -> dict:
    a = o.ship_to
    return dict(
        id=o.id, channel=o.channel, external_id=o.external_id, status=str(o.status),
        status_reason=getattr(o, "status_reason", None), payment_mode=PaymentMode(o.payment_mode),
        currency=o.currency, value_paise=o.value_paise, priority=o.priority, tags=list(o.tags),
        promised_days=o.promised_days, delivery_mode=str(o.delivery_mode), pickup_node=o.pickup_node,
        pickup_code=getattr(o, "pickup_code", None), customer_id=o.customer_id,
        ship_name=a.name, ship_line1=a.line1, ship_line2=a.line2, ship_city=a.city, ship_state=a.state,
        ship_pin=a.pin, ship_phone=a.phone, ship_email=a.email, ship_lat=a.lat, ship_lon=a.lon,
        hold_reason=getattr(o, "hold_reason", None), created_at=o.created_at or now, updated_at=now, version=1,
    )


def _from_row(r, lines: list[OrderLine]) -> Order:
    address = Address(name=r.ship_name, line1=r.ship_line1, line2=r.ship_line2, city=r.ship_city,
                      state=r.ship_state, pin=r.ship_pin, phone=r.ship_phone, email=r.ship_email,
                      lat=r.ship_lat, lon=r.ship_lon)
    extra = optional_fields(Order, {k: getattr(r, k) for k in _OPTIONAL})
    return Order(
        id=r.id, channel=r.channel, external_id=r.external_id, ship_to=address, lines=lines,
        payment_mode=PaymentMode(r.payment_mode), currency=r.currency, status=OrderStatus(r.status),
        priority=r.priority, tags=list(r.tags), promised_days=r.promised_days,
        delivery_mode=DeliveryMode(r.delivery_mode), pickup_node=r.pickup_node, customer_id=r.customer_id,
        created_at=r.created_at, **extra,
    )


# Hot statements built once (building and cache-keying a statement per call cost more than running it).
_GET = sa.select(orders).where(orders.c.id == sa.bindparam("order_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_BY_EXTERNAL = sa.select(orders.c.id).where(orders.c.channel == sa.bindparam("channel"),
                                            orders.c.external_id == sa.bindparam("external_id"))
_LOCK_VERSION = sa.select(orders.c.version).where(orders.c.id == sa.bindparam("order_id")).with_for_update()
# The same, with the reference revision token (tables.rules) in the one round trip: an allocation needs both.
_REVISION_TOKEN = sa.select(rules_revision.c.token).where(rules_revision.c.id == 1).scalar_subquery()
_LOCK_VERSION_REVISION = (
    sa.select(orders.c.version, _REVISION_TOKEN)
    .where(orders.c.id == sa.bindparam("order_id")).with_for_update(of=orders))
_REQUEST_HASH = sa.select(orders.c.request_hash).where(orders.c.id == sa.bindparam("order_id"))
_LINES = (sa.select(order_lines).where(order_lines.c.order_id.in_(sa.bindparam("order_ids", expanding=True)))
          .order_by(order_lines.c.order_id, order_lines.c.line_no))
_INSERT = orders.insert()
_EXCLUDED = (sa.select(excl.c.node, excl.c.reason).where(excl.c.order_id == sa.bindparam("order_id"))
             .order_by(excl.c.at, excl.c.node))
_INSERT_LINES = order_lines.insert()
_SET_STATUS = (orders.update().where(orders.c.id == sa.bindparam("b_id"))
               .values(status=sa.bindparam("b_status"), status_reason=sa.bindparam("b_reason"),
                       version=orders.c.version + 1, updated_at=sa.bindparam("b_now")))
_SET_STATUS_IF_VERSION = _SET_STATUS.where(orders.c.version == sa.bindparam("b_version"))
_SET_STATUS_PROMISE = _SET_STATUS.values(promised_by=sa.bindparam("b_promised_by"),
                                         promise_source=sa.bindparam("b_promise_source"))
_SET_PROMISE = (orders.update().where(orders.c.id == sa.bindparam("b_id"))
                .values(promised_by=sa.bindparam("b_promised_by"), promise_source=sa.bindparam("b_promise_source")))
# The capture + allocate path's statements, on the DBAPI cursor (store.fastexec: a fifth of its CPU was Core's).
_FAST_LOCK_VERSION_REVISION = Fast(_LOCK_VERSION_REVISION)
_FAST_INSERT = Fast(_INSERT)
_FAST_INSERT_LINES = Fast(_INSERT_LINES)
_FAST_SET_STATUS = Fast(_SET_STATUS)
_FAST_SET_STATUS_IF_VERSION = Fast(_SET_STATUS_IF_VERSION)
_FAST_SET_STATUS_PROMISE = Fast(_SET_STATUS_PROMISE)
_FAST_SET_PROMISE = Fast(_SET_PROMISE)


def _line(r) -> OrderLine:
    return OrderLine(line_no=r.line_no, sku=r.sku, qty=r.qty, unit_price_paise=r.unit_price_paise,
                     cancelled_qty=r.cancelled_qty)


class OrderRepository(Repository):
    def __init__(self, conn):
        super().__init__(conn)
        # order id -> its version after this unit of work's own writes (orders it inserted, so the base is known).
        self._written: dict[str, int] = {}

    # -------------------------------------------------------------- reads
    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        """One order with its lines. ``for_update`` locks the row on PostgreSQL (SQLite: the write lock)."""
        row = self.conn.execute(_GET_FOR_UPDATE if for_update else _GET, {"order_id": order_id}).first()
        if row is None:
            return None
        return _from_row(row, self._lines([order_id])[order_id])

    def get_with_reason(self, order_id: str) -> tuple[Order | None, str | None]:
        """:meth:`get` plus the stored status reason (the domain order does not carry it), from the same row."""
        row = self.conn.execute(_GET, {"order_id": order_id}).first()
        if row is None:
            return None, None
        return _from_row(row, self._lines([order_id])[order_id]), row.status_reason

    def get_by_external(self, channel: str, external_id: str) -> Order | None:
        order_id = self.conn.execute(_BY_EXTERNAL, {"channel": channel, "external_id": external_id}).scalar()
        return None if order_id is None else self.get(order_id)

    def get_many(self, order_ids: Iterable[str]) -> dict[str, Order]:
        ids = list(order_ids)
        if not ids:
            return {}
        rows = self.conn.execute(sa.select(orders).where(orders.c.id.in_(ids))).all()
        lines = self._lines([r.id for r in rows])
        return {r.id: _from_row(r, lines[r.id]) for r in rows}

    def lock(self, order_id: str) -> int | None:
        """Lock the order row (as ``get(for_update=True)``) and return its version, reading nothing else."""
        return self.conn.execute(_LOCK_VERSION, {"order_id": order_id}).scalar()

    def lock_with_revision(self, order_id: str) -> tuple[int | None, str | None]:
        """:meth:`lock`, also returning the reference revision token (``UnitOfWork.revision``)."""
        row = _FAST_LOCK_VERSION_REVISION.first(self.conn, {"order_id": order_id})
        return (None, None) if row is None else (row[0], row[1])

    def written_version(self, order_id: str) -> int | None:
        """The version this unit of work left an order it inserted at (None for orders it did not insert)."""
        return self._written.get(order_id)

    def request_hash(self, order_id: str) -> str | None:
        return self.conn.execute(_REQUEST_HASH, {"order_id": order_id}).scalar()

    def version(self, order_id: str) -> int | None:
        return self.conn.execute(sa.select(orders.c.version).where(orders.c.id == order_id)).scalar()

    def meta(self, order_id: str) -> dict | None:
        """Store-only columns the domain object may not carry: version, reasons, timestamps, hashes."""
        cols = [orders.c[k] for k in (*_OPTIONAL, "created_at", "value_paise")]
        row = self.conn.execute(sa.select(*cols).where(orders.c.id == order_id)).first()
        return None if row is None else dict(row._mapping)

    def list(self, *, status: str | Iterable[str] | None = None, channel: str | None = None,
             node: str | None = None, ship_pin: str | None = None, created_from: datetime | None = None,
             created_to: datetime | None = None, after: tuple[datetime, str] | None = None, limit: int = 50,
             newest_first: bool = True) -> OrderPage:
        """A page of orders (with lines) ordered by (created_at, id); pass ``after=next_key`` for the next page

        ``node``: only orders with a shipment (in any status) at that node.
        """
        q = sa.select(orders)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            q = q.where(orders.c.status.in_([str(s) for s in statuses]))
        if channel is not None:
            q = q.where(orders.c.channel == channel)
        if node is not None:  # orders with a shipment (in any status) at that node
            from omnialloc.store.tables.shipments import shipments

            q = q.where(sa.exists().where(shipments.c.order_id == orders.c.id, shipments.c.node == node))
        if ship_pin is not None:
            q = q.where(orders.c.ship_pin == ship_pin)
        if created_from is not None:
            q = q.where(orders.c.created_at >= created_from)
        if created_to is not None:
            q = q.where(orders.c.created_at < created_to)
        if after is not None:
            at, last_id = after
            if newest_first:
                q = q.where(sa.or_(orders.c.created_at < at, sa.and_(orders.c.created_at == at, orders.c.id < last_id)))
            else:
                q = q.where(sa.or_(orders.c.created_at > at, sa.and_(orders.c.created_at == at, orders.c.id > last_id)))
        if newest_first:
            q = q.order_by(orders.c.created_at.desc(), orders.c.id.desc())
        else:
            q = q.order_by(orders.c.created_at, orders.c.id)
        rows = self.conn.execute(q.limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        lines = self._lines([r.id for r in rows])
        items = [_from_row(r, lines[r.id]) for r in rows]
        return OrderPage(items, (rows[-1].created_at, rows[-1].id) if more and rows else None)

    def ids_by_priority(self, statuses: Iterable[str]) -> builtins.list[str]:
        """Ids of the orders in these statuses, highest priority first, then oldest (then by id)."""
        q = (sa.select(orders.c.id).where(orders.c.status.in_([str(s) for s in statuses]))
             .order_by(orders.c.priority.desc(), orders.c.created_at, orders.c.id))
        return [r.id for r in self.conn.execute(q)]

    def versions(self, order_ids: Iterable[str]) -> dict[str, int]:
        """order id -> version, for these orders (a very long list reads every order's instead of an IN list)."""
        ids = list(order_ids)
        if len(ids) < 30_000:
            return dict(self.conn.execute(sa.select(orders.c.id, orders.c.version).where(orders.c.id.in_(ids))).all())
        return {r.id: r.version for r in self.conn.execute(sa.select(orders.c.id, orders.c.version))}

    def ordered_units_since(self, since: datetime) -> builtins.list[tuple[str, str, int]]:
        """(ship-to PIN, SKU, units ordered and not cancelled) per line of the orders created since ``since``."""
        q = (sa.select(orders.c.ship_pin, order_lines.c.sku, order_lines.c.qty, order_lines.c.cancelled_qty)
             .join(order_lines, order_lines.c.order_id == orders.c.id).where(orders.c.created_at >= since))
        return [(r.ship_pin, r.sku, r.qty - (r.cancelled_qty or 0)) for r in self.conn.execute(q)]

    def count_by_status(self, *, channel: str | None = None) -> dict[str, int]:
        """How many orders are in each status (of one channel); statuses with none are absent."""
        q = sa.select(orders.c.status, sa.func.count()).group_by(orders.c.status)
        if channel is not None:
            q = q.where(orders.c.channel == channel)
        return {str(getattr(s, "value", s)): n for s, n in self.conn.execute(q)}

    def count(self, *, status: str | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(orders)
        if status is not None:
            q = q.where(orders.c.status == str(status))
        return self.conn.execute(q).scalar_one()

    def waiting_skus(self) -> set[str]:
        """SKUs that a BACKORDERED order has an open line for (what a backorder sweep retries)."""
        q = (sa.select(order_lines.c.sku).distinct()
             .join(orders, orders.c.id == order_lines.c.order_id)
             .where(orders.c.status == OrderStatus.BACKORDERED.value, order_lines.c.qty > order_lines.c.cancelled_qty))
        return set(self.conn.execute(q).scalars())

    def backorder_candidates(self, skus: Iterable[str]) -> builtins.list[BackorderCandidate]:
        """BACKORDERED orders with an open line for any of ``skus``, each with the units its lines still wait
        for (open qty minus units in shipments that are not REJECTED / CANCELLED), in no particular order."""
        skus = sorted(set(skus))
        if not skus:
            return []
        from omnialloc.domain.shipments import DEAD_STATUSES
        from omnialloc.store.tables.orders import order_excluded_nodes as excluded
        from omnialloc.store.tables.shipments import shipment_lines, shipments

        backordered = orders.c.status == OrderStatus.BACKORDERED.value
        wanted = (sa.select(order_lines.c.order_id).join(orders, orders.c.id == order_lines.c.order_id)
                  .where(backordered, order_lines.c.sku.in_(skus), order_lines.c.qty > order_lines.c.cancelled_qty))
        placed = (sa.select(shipments.c.order_id, shipment_lines.c.line_no,
                            sa.func.sum(shipment_lines.c.qty).label("units"))
                  .join(shipment_lines, shipment_lines.c.shipment_id == shipments.c.id)
                  .where(shipments.c.order_id.in_(wanted), shipments.c.status.not_in([str(s) for s in DEAD_STATUSES]))
                  .group_by(shipments.c.order_id, shipment_lines.c.line_no).subquery())
        history = sa.or_(sa.exists().where(shipments.c.order_id == orders.c.id),
                         sa.exists().where(excluded.c.order_id == orders.c.id))
        q = (sa.select(orders.c.id, orders.c.priority, orders.c.promised_days, orders.c.created_at,
                       orders.c.delivery_mode, orders.c.pickup_node, orders.c.version, history.label("history"),
                       order_lines.c.sku,
                       (order_lines.c.qty - order_lines.c.cancelled_qty
                        - sa.func.coalesce(placed.c.units, 0)).label("waiting"))
             .join(order_lines, order_lines.c.order_id == orders.c.id)
             .outerjoin(placed, sa.and_(placed.c.order_id == orders.c.id, placed.c.line_no == order_lines.c.line_no))
             .where(backordered, orders.c.id.in_(wanted)))
        found: dict[str, BackorderCandidate] = {}
        for r in self.conn.execute(q):
            c = found.get(r.id)
            if c is None:
                c = found[r.id] = BackorderCandidate(
                    r.id, r.priority, r.promised_days, r.created_at,
                    r.pickup_node if r.delivery_mode == DeliveryMode.PICKUP.value else None, {},
                    version=r.version, fresh=not r.history)
            if r.waiting > 0:
                c.waiting[r.sku] = c.waiting.get(r.sku, 0) + int(r.waiting)
        return [c for c in found.values() if c.waiting]

    def _lines(self, order_ids: builtins.list[str]) -> dict[str, builtins.list[OrderLine]]:
        out: dict[str, list[OrderLine]] = defaultdict(list)
        if order_ids:
            for r in self.conn.execute(_LINES, {"order_ids": list(order_ids)}):
                out[r.order_id].append(_line(r))
        return out

    # -------------------------------------------------------------- writes
    def add(self, order: Order, *, request_hash: str | None = None, status_reason: str | None = None,
            hold_reason: str | None = None, with_revision: bool = False):
        """Insert the order and its lines. A duplicate (channel, external_id) raises IntegrityError.

        ``with_revision``: also read the reference revision token (``UnitOfWork.revision``) in the same
        round trip where the backend allows (PostgreSQL) and return it; else returns ``fastexec.NOT_READ``."""
        now = utcnow()
        row = _to_row(order, now)
        row["request_hash"] = request_hash
        if status_reason is not None:
            row["status_reason"] = status_reason
        if hold_reason is not None:
            row["hold_reason"] = hold_reason
        lines = [dict(order_id=order.id, line_no=ln.line_no, sku=ln.sku, qty=ln.qty,
                      unit_price_paise=ln.unit_price_paise, cancelled_qty=ln.cancelled_qty) for ln in order.lines]
        token = insert_row_and_children(self.conn, orders, _FAST_INSERT, row, order_lines, _FAST_INSERT_LINES, lines,
                                        returning=_REVISION_TOKEN if with_revision else None)
        if order.created_at is None:
            order.created_at = row["created_at"]
        self._written[order.id] = row["version"]
        return token

    def update_status(self, order_id: str, status: str, reason: str | None = None, *,
                      expected_version: int | None = None) -> bool:
        """Set status (and its reason), bump the version. With ``expected_version``: False if it moved."""
        params: dict[str, Any] = {"b_id": order_id, "b_status": str(status), "b_reason": reason, "b_now": utcnow()}
        if expected_version is None:
            return self._bumped(order_id, _FAST_SET_STATUS.rowcount(self.conn, params) == 1)
        params["b_version"] = expected_version
        return self._bumped(order_id, _FAST_SET_STATUS_IF_VERSION.rowcount(self.conn, params) == 1)

    def _bumped(self, order_id: str, changed: bool) -> bool:
        """Every write to an order row bumps its version by one: keep :meth:`written_version` in step."""
        if changed and order_id in self._written:
            self._written[order_id] += 1
        return changed

    def set_status(self, order_id: str, status: str, reason: str | None = None, *,
                   promise: tuple | None = None) -> bool:
        """Unconditional :meth:`update_status` (the caller holds the row lock); with ``promise``
        ((promised_by, source), see :meth:`set_promise`) in the same statement: an allocation's first plan
        sets both, and one UPDATE is one round trip less per captured order."""
        if promise is None:
            return self.update_status(order_id, status, reason)
        params = {"b_id": order_id, "b_status": str(status), "b_reason": reason, "b_now": utcnow(),
                  "b_promised_by": promise[0], "b_promise_source": promise[1]}
        return self._bumped(order_id, _FAST_SET_STATUS_PROMISE.rowcount(self.conn, params) == 1)

    def set_hold_reason(self, order_id: str, reason: str | None) -> bool:
        return self._touch(order_id, hold_reason=reason)

    def set_priority(self, order_id: str, priority: int) -> bool:
        return self._touch(order_id, priority=priority)

    def set_tags(self, order_id: str, tags: builtins.list[str]) -> bool:
        return self._touch(order_id, tags=list(tags))

    def set_promise(self, order_id: str, promised_by, source: str | None) -> bool:
        """The order's promised delivery (UTC end of the promised day) and where it came from (issue 24): set
        by the allocation that plans it, in its transaction; not a change of the order (its version stays)."""
        params = {"b_id": order_id, "b_promised_by": promised_by, "b_promise_source": source}
        return _FAST_SET_PROMISE.rowcount(self.conn, params) == 1

    def set_pickup_code(self, order_id: str, code: str | None) -> bool:
        return self._touch(order_id, pickup_code=code)

    def pickup_code(self, order_id: str) -> str | None:
        """The code the customer shows at the store counter (kept off the ``Order`` the rest of the code sees)."""
        return self.conn.execute(sa.select(orders.c.pickup_code).where(orders.c.id == order_id)).scalar()

    def set_cancelled_qty(self, order_id: str, line_no: int, cancelled_qty: int) -> bool:
        q = (order_lines.update()
             .where(order_lines.c.order_id == order_id, order_lines.c.line_no == line_no)
             .values(cancelled_qty=cancelled_qty))
        if self.conn.execute(q).rowcount != 1:
            return False
        # Keep the order's stored value in step with its open lines.
        value = (sa.select(sa.func.coalesce(sa.func.sum(
            (order_lines.c.qty - order_lines.c.cancelled_qty) * order_lines.c.unit_price_paise), 0))
            .where(order_lines.c.order_id == order_id).scalar_subquery())
        return self._touch(order_id, value_paise=value)

    def _touch(self, order_id: str, **values) -> bool:
        q = (orders.update().where(orders.c.id == order_id)
             .values(**values, version=orders.c.version + 1, updated_at=utcnow()))
        return self._bumped(order_id, self.conn.execute(q).rowcount == 1)

    # -------------------------------------------------------------- hopping
    def exclude_node(self, order_id: str, node: str, reason: str = "", at: datetime | None = None) -> bool:
        """Remember that ``node`` rejected this order. False if it was already excluded."""
        if self.conn.execute(sa.select(excl.c.node).where(excl.c.order_id == order_id, excl.c.node == node)).first():
            return False
        self.conn.execute(excl.insert().values(order_id=order_id, node=node, reason=reason, at=at or utcnow()))
        return True

    def excluded_nodes(self, order_id: str) -> dict[str, str]:
        """Node -> why it is excluded, for this order."""
        return {r.node: r.reason for r in self.conn.execute(_EXCLUDED, {"order_id": order_id})}

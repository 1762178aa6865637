"""Stock per (node, SKU) and the conditional updates that keep it from overselling.

Every change is one conditional ``UPDATE`` checked by its row count, never a
read-modify-write: correct under concurrency on both backends (PostgreSQL
re-checks the WHERE after waiting for a row lock; SQLite serialises writers
with BEGIN IMMEDIATE). Callers touching several rows go in (node, sku) order.
The CHECK constraints (on_hand >= 0, 0 <= reserved <= on_hand) back this up.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain import InventoryPosition
from omnialloc.domain.stock import SkuAvailability, StockLevel
from omnialloc.store.fastexec import Fast
from omnialloc.store.repositories._base import Repository, insert, utcnow
from omnialloc.store.tables.inventory import inventory as inv
from omnialloc.store.tables.network import nodes as node_rows
from omnialloc.store.tables.network import skus as sku_rows
from omnialloc.store.tables.shipments import shipment_day_counts

_AVAILABLE = inv.c.on_hand - inv.c.reserved - inv.c.safety_stock


# Hot statements built once, with the same SQL as building them per call (see reserve()).
_ATP_FOR = sa.select(inv.c.node, inv.c.sku, _AVAILABLE.label("atp")).where(
    inv.c.sku.in_(sa.bindparam("skus", expanding=True)))
_RESERVE = (inv.update()
            .where((inv.c.node == sa.bindparam("b_node")) & (inv.c.sku == sa.bindparam("b_sku")),
                   _AVAILABLE - sa.bindparam("b_keep") >= sa.bindparam("b_qty"))
            .values(reserved=inv.c.reserved + sa.bindparam("b_qty"), updated_at=sa.bindparam("b_now")))
_FAST_ATP_FOR = Fast(_ATP_FOR)
# The allocation's snapshot in one round trip: the SKUs' stock rows, then a day's shipment counters
# (the rows whose sku is NULL; inventory.sku never is).
_FAST_ATP_AND_LIVE = Fast(sa.union_all(
    _ATP_FOR,
    sa.select(shipment_day_counts.c.node, sa.cast(sa.null(), inv.c.sku.type).label("sku"), shipment_day_counts.c.live)
    .where(shipment_day_counts.c.day == sa.bindparam("day"))))
_FAST_RESERVE = Fast(_RESERVE)
# A stock adjustment (receipts, counts, write-offs): ``b_delta`` added to on_hand unless the result would be
# negative or below what is reserved.
_ADJUST = (inv.update()
           .where((inv.c.node == sa.bindparam("b_node")) & (inv.c.sku == sa.bindparam("b_sku")),
                  inv.c.on_hand + sa.bindparam("b_delta", type_=sa.Integer) >= inv.c.reserved,
                  inv.c.on_hand + sa.bindparam("b_delta", type_=sa.Integer) >= 0)
           .values(on_hand=inv.c.on_hand + sa.bindparam("b_delta", type_=sa.Integer), updated_at=sa.bindparam("b_now")))
_FAST_ADJUST = Fast(_ADJUST)
# Which of some node and SKU codes exist, in one round trip (what an adjustment checks before it writes).
_FAST_KNOWN = Fast(sa.union_all(
    sa.select(sa.literal("node").label("kind"), node_rows.c.code)
    .where(node_rows.c.code.in_(sa.bindparam("nodes", expanding=True))),
    sa.select(sa.literal("sku").label("kind"), sku_rows.c.code)
    .where(sku_rows.c.code.in_(sa.bindparam("skus", expanding=True)))))
_RESERVE_MANY: dict[int, Fast] = {}


def _reserve_many(n: int) -> Fast:
    """PostgreSQL: ``n`` reservations (parameters ``n<i>``, ``s<i>``, ``q<i>``, ``k<i>``: node, SKU, qty, keep;
    and ``b_now``) in one statement, built once per ``n``::

        WITH locked AS MATERIALIZED (SELECT inventory.node, inventory.sku, want.qty, want.keep
            FROM inventory JOIN (VALUES ...) AS want ON (node, sku) ORDER BY node, sku FOR UPDATE OF inventory)
        UPDATE inventory SET reserved = reserved + locked.qty ... FROM locked
        WHERE (node, sku) match AND on_hand - reserved - safety_stock - locked.keep >= locked.qty

    Lock order: ``SELECT ... ORDER BY ... FOR UPDATE`` locks its rows as the sort hands them out, so the
    rows are locked in (node, sku) order, as :meth:`InventoryRepository.reserve` one by one in sorted order
    does (no deadlock with it, receipts or another allocation), and the UPDATE touches only rows it has
    locked. The condition is re-checked on the newest row version after a lock wait (READ COMMITTED), as
    the single-row UPDATE's is: its row count is the number of rows reserved."""
    fast = _RESERVE_MANY.get(n)
    if fast is None:
        want = sa.values(sa.column("node", inv.c.node.type), sa.column("sku", inv.c.sku.type),
                         sa.column("qty", sa.Integer), sa.column("keep", sa.Integer), name="want").data(
            [(sa.bindparam(f"n{i}", type_=inv.c.node.type), sa.bindparam(f"s{i}", type_=inv.c.sku.type),
              sa.bindparam(f"q{i}", type_=sa.Integer), sa.bindparam(f"k{i}", type_=sa.Integer)) for i in range(n)])
        locked = (sa.select(inv.c.node, inv.c.sku, want.c.qty, want.c.keep)
                  .join_from(inv, want, (inv.c.node == want.c.node) & (inv.c.sku == want.c.sku))
                  .order_by(inv.c.node, inv.c.sku).with_for_update(of=inv)
                  .cte("locked").prefix_with("MATERIALIZED"))
        fast = _RESERVE_MANY[n] = Fast(
            inv.update()
            .where(inv.c.node == locked.c.node, inv.c.sku == locked.c.sku,
                   _AVAILABLE - locked.c.keep >= locked.c.qty)
            .values(reserved=inv.c.reserved + locked.c.qty, updated_at=sa.bindparam("b_now")))
    return fast


_RELEASE = (inv.update()
            .where((inv.c.node == sa.bindparam("b_node")) & (inv.c.sku == sa.bindparam("b_sku")),
                   inv.c.reserved >= sa.bindparam("b_qty"))
            .values(reserved=inv.c.reserved - sa.bindparam("b_qty"), updated_at=sa.bindparam("b_now")))


def _from_row(r) -> InventoryPosition:
    return InventoryPosition(node=r.node, sku=r.sku, on_hand=r.on_hand, reserved=r.reserved,
                             safety_stock=r.safety_stock)


def _key(node: str, sku: str):
    return (inv.c.node == node) & (inv.c.sku == sku)


class InventoryRepository(Repository):
    # -------------------------------------------------------------- reads
    def get(self, node: str, sku: str) -> InventoryPosition | None:
        row = self.conn.execute(sa.select(inv).where(_key(node, sku))).first()
        return None if row is None else _from_row(row)

    def list(self, *, node: str | None = None, sku: str | None = None) -> list[InventoryPosition]:
        q = sa.select(inv).order_by(inv.c.node, inv.c.sku)
        if node is not None:
            q = q.where(inv.c.node == node)
        if sku is not None:
            q = q.where(inv.c.sku == sku)
        return [_from_row(r) for r in self.conn.execute(q)]

    def for_skus(self, skus: Iterable[str]) -> builtins.list[InventoryPosition]:
        """Every position of these SKUs, at any node."""
        skus = list(skus)
        if not skus:
            return []
        return [_from_row(r) for r in self.conn.execute(sa.select(inv).where(inv.c.sku.in_(skus)))]

    def atp_everywhere(self) -> dict[tuple[str, str], int]:
        """ATP of every position in the network (what the nightly batch may place), never negative."""
        q = sa.select(inv.c.node, inv.c.sku, inv.c.on_hand, inv.c.reserved, inv.c.safety_stock)
        return {(r.node, r.sku): max(0, r.on_hand - r.reserved - r.safety_stock) for r in self.conn.execute(q)}

    def levels(self, *, sku: str | None = None, node: str | None = None, node_kind: str | None = None,
               after: tuple[str, str] | None = None, limit: int | None = None) -> builtins.list[StockLevel]:
        """Stock rows with their node's kind, in (node, sku) order, filtered; ``after``: the keyset position
        (node, sku) of the previous page."""
        q = (sa.select(inv.c.node, inv.c.sku, inv.c.on_hand, inv.c.reserved, inv.c.safety_stock, inv.c.updated_at,
                       node_rows.c.kind).join(node_rows, node_rows.c.code == inv.c.node)
             .order_by(inv.c.node, inv.c.sku))
        if sku is not None:
            q = q.where(inv.c.sku == sku)
        if node is not None:
            q = q.where(inv.c.node == node)
        if node_kind is not None:
            q = q.where(node_rows.c.kind == node_kind)
        if after is not None:
            q = q.where(sa.tuple_(inv.c.node, inv.c.sku) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
        if limit is not None:
            q = q.limit(limit)
        return [StockLevel(node=r.node, sku=r.sku, node_kind=r.kind, on_hand=r.on_hand, reserved=r.reserved,
                           safety_stock=r.safety_stock, updated_at=r.updated_at) for r in self.conn.execute(q)]

    def availability(self, nodes: Iterable[str], *,
                     changed_after: datetime | None = None) -> builtins.list[SkuAvailability]:
        """Per SKU stocked at ``nodes``: the sum of their ATP (each counted from 0) and the latest change, by SKU;
        ``changed_after``: only SKUs whose stock at those nodes changed after it."""
        nodes = list(nodes)
        if not nodes:
            return []
        available = inv.c.on_hand - inv.c.reserved - inv.c.safety_stock
        atp_row = sa.case((available > 0, available), else_=0)
        q = (sa.select(inv.c.sku, sa.func.sum(atp_row).label("atp"), sa.func.max(inv.c.updated_at).label("changed"))
             .where(inv.c.node.in_(nodes)).group_by(inv.c.sku).order_by(inv.c.sku))
        if changed_after is not None:
            q = q.having(sa.func.max(inv.c.updated_at) > changed_after)
        return [SkuAvailability(r.sku, int(r.atp or 0), r.changed) for r in self.conn.execute(q)]

    def last_change(self, nodes: Iterable[str]) -> datetime | None:
        """When the stock at any of ``nodes`` last changed (None: no stock rows)."""
        nodes = list(nodes)
        if not nodes:
            return None
        return self.conn.execute(sa.select(sa.func.max(inv.c.updated_at)).where(inv.c.node.in_(nodes))).scalar()

    def atp_for(self, skus: Iterable[str], nodes: Iterable[str] | None = None) -> dict[tuple[str, str], int]:
        """Available-to-promise per (node, sku) for these SKUs (and nodes), in one query; never negative."""
        skus = list(skus)
        if not skus:
            return {}
        if nodes is None:
            return {(node, sku): max(0, atp) for node, sku, atp in _FAST_ATP_FOR.rows(self.conn, {"skus": skus})}
        q = sa.select(inv.c.node, inv.c.sku, _AVAILABLE.label("atp")).where(inv.c.sku.in_(skus))
        if nodes is not None:
            nodes = list(nodes)
            if not nodes:
                return {}
            q = q.where(inv.c.node.in_(nodes))
        return {(r.node, r.sku): max(0, r.atp) for r in self.conn.execute(q)}

    def atp_and_live_on(self, skus: Iterable[str], day) -> tuple[dict[tuple[str, str], int], dict[str, int] | None]:
        """``atp_for(skus)`` and the stored live-shipment counters of ``day`` per node, in one query (what
        an allocation reads before it solves; ``ShipmentRepository.live_on(day, stored=...)`` adds the
        transaction's queued counter changes to the second). No SKUs: ({}, None), nothing read."""
        atp: dict[tuple[str, str], int] = {}
        live: dict[str, int] = {}
        skus = list(skus)
        if not skus:
            return atp, None
        for node, sku, n in _FAST_ATP_AND_LIVE.rows(self.conn, {"skus": skus, "day": day}):
            if sku is None:
                live[node] = n
            else:
                atp[(node, sku)] = max(0, n)
        return atp, live

    def known(self, nodes: Iterable[str], skus: Iterable[str]) -> tuple[set[str], set[str]]:
        """(the node codes, the SKU codes) of these that exist, in one query."""
        nodes, skus = sorted(set(nodes)), sorted(set(skus))
        if not nodes and not skus:
            return set(), set()
        found: dict[str, set[str]] = {"node": set(), "sku": set()}
        for kind, code in _FAST_KNOWN.rows(self.conn, {"nodes": nodes, "skus": skus}):
            found[kind].add(code)
        return found["node"], found["sku"]

    def totals(self) -> dict[str, int]:
        """Network-wide sums (on_hand, reserved, safety_stock, rows): cheap health numbers."""
        row = self.conn.execute(sa.select(
            sa.func.coalesce(sa.func.sum(inv.c.on_hand), 0).label("on_hand"),
            sa.func.coalesce(sa.func.sum(inv.c.reserved), 0).label("reserved"),
            sa.func.coalesce(sa.func.sum(inv.c.safety_stock), 0).label("safety_stock"),
            sa.func.count().label("rows"),
        )).one()
        return {k: int(v) for k, v in row._mapping.items()}

    # -------------------------------------------------------------- writes
    def add(self, pos: InventoryPosition) -> None:
        self.conn.execute(inv.insert().values(node=pos.node, sku=pos.sku, on_hand=pos.on_hand, reserved=pos.reserved,
                                              safety_stock=pos.safety_stock, updated_at=utcnow()))

    def set_levels(self, node: str, sku: str, *, on_hand: int, safety_stock: int | None = None) -> bool:
        """Set on_hand (a stock count) and optionally safety stock; False if it would drop below reserved."""
        values = {"on_hand": on_hand, "updated_at": utcnow()}
        if safety_stock is not None:
            values["safety_stock"] = safety_stock
        q = inv.update().where(_key(node, sku), inv.c.reserved <= on_hand).values(**values)
        return self.conn.execute(q).rowcount == 1

    def reserve(self, node: str, sku: str, qty: int, *, keep: int = 0) -> bool:
        """Take ``qty`` of ATP, leaving at least ``keep`` units of ATP behind. False (and nothing changed)
        when not enough is available.

        The reservation rule: one conditional UPDATE, row count checked. ``keep`` is the stock this order
        may not take (a ``protect_stock`` rule's units, held for higher-priority orders): it is in the
        statement, not only in the planner's snapshot, so concurrent ordinary orders planned on the same
        snapshot cannot together eat into it.
        """
        if qty <= 0:
            raise ValueError(f"reserve qty must be positive, got {qty}")
        if keep < 0:
            raise ValueError(f"reserve keep must not be negative, got {keep}")
        params = {"b_node": node, "b_sku": sku, "b_qty": qty, "b_keep": keep, "b_now": utcnow()}
        return _FAST_RESERVE.rowcount(self.conn, params) == 1  # on the DBAPI cursor (store.fastexec)

    def reserve_all(self, wants: dict[tuple[str, str], int], keep: dict[tuple[str, str], int] | None = None) -> bool:
        """:meth:`reserve` for every (node, SKU) -> qty of ``wants`` (``keep``: per (node, SKU), as reserve's),
        in (node, SKU) order. False when some could not be reserved; then some others may have been, and the
        caller rolls the transaction back (an allocation re-solves).

        On PostgreSQL several rows are one statement (:func:`_reserve_many`): a round trip per row less, and
        the rows stay locked for less time (an allocation holds them until its commit, and receipts of those
        SKUs wait for it)."""
        keep = keep or {}
        keys = sorted(wants)
        for key in keys:
            if wants[key] <= 0:
                raise ValueError(f"reserve qty must be positive, got {wants[key]}")
            if keep.get(key, 0) < 0:
                raise ValueError(f"reserve keep must not be negative, got {keep[key]}")
        if len(keys) > 1 and self.conn.dialect.name == "postgresql":
            params: dict = {"b_now": utcnow()}
            for i, (node, sku) in enumerate(keys):
                params.update({f"n{i}": node, f"s{i}": sku, f"q{i}": wants[(node, sku)], f"k{i}": keep.get((node, sku), 0)})
            return _reserve_many(len(keys)).rowcount(self.conn, params) == len(keys)
        return all(self.reserve(node, sku, wants[(node, sku)], keep=keep.get((node, sku), 0)) for node, sku in keys)

    def release(self, node: str, sku: str, qty: int) -> bool:
        """Give back a reservation. False when less than ``qty`` is reserved (a bookkeeping bug)."""
        if qty <= 0:
            raise ValueError(f"release qty must be positive, got {qty}")
        params = {"b_node": node, "b_sku": sku, "b_qty": qty, "b_now": utcnow()}
        return self.conn.execute(_RELEASE, params).rowcount == 1

    def consume(self, node: str, sku: str, qty: int) -> bool:
        """Ship reserved units: on_hand and reserved both drop by ``qty``. False when not reserved."""
        if qty <= 0:
            raise ValueError(f"consume qty must be positive, got {qty}")
        q = (inv.update()
             .where(_key(node, sku), inv.c.reserved >= qty)
             .values(on_hand=inv.c.on_hand - qty, reserved=inv.c.reserved - qty, updated_at=utcnow()))
        return self.conn.execute(q).rowcount == 1

    def adjust(self, node: str, sku: str, delta: int) -> bool:
        """Add ``delta`` to on_hand (receipts, counts, write-offs).

        False when the result would be negative or below what is reserved. A
        positive delta for a (node, sku) without a row creates the row.
        """
        params = {"b_node": node, "b_sku": sku, "b_delta": delta, "b_now": utcnow()}
        if _FAST_ADJUST.rowcount(self.conn, params) == 1:  # (built once: Core built it per call, ~1/4 of a receipt's CPU)
            return True
        if delta < 0:
            return False
        # No row yet. Another request may be creating it at this moment (its insert not yet committed, so
        # the update above did not see it): insert unless it exists by then, else add to the row it made.
        row = dict(node=node, sku=sku, on_hand=delta, reserved=0, safety_stock=0, updated_at=utcnow())
        made = insert(self.conn, inv).values(**row).on_conflict_do_nothing().returning(inv.c.node)
        if self.conn.execute(made).first() is not None:
            return True
        return _FAST_ADJUST.rowcount(self.conn, params) == 1

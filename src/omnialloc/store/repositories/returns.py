"""Returns, their lines and dispositions, work orders, refunds and store credit (Core SQL in,
``domain.returns`` out).

A return's changes are written field by field (``update``) and bump its
version; the returns service keeps its ``Return`` in step with what it wrote.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain.enums import ReturnStatus
from omnialloc.domain.returns import Disposition, Refund, Return, ReturnLine, StoreCreditEntry, WorkOrder
from omnialloc.store.repositories._base import Repository, insert, utcnow
from omnialloc.store.tables.returns import refunds, return_dispositions, return_lines, returns
from omnialloc.store.tables.shipments import shipment_lines, shipments
from omnialloc.store.tables.store_credit import store_credit_balances, store_credit_ledger
from omnialloc.store.tables.work_orders import work_orders

R = returns
_LINE_FIELDS = ("line_no", "sku", "qty", "unit_price_paise", "reason", "exchange_sku", "received_qty")


def _return(row, lines: Sequence[sa.Row]) -> Return:
    values = dict(row._mapping)
    values["status"] = ReturnStatus(values["status"])
    return Return(**values, lines=tuple(ReturnLine(**{k: getattr(l, k) for k in _LINE_FIELDS}) for l in lines))


def _page(q, table, after: tuple[datetime, str] | None, limit: int):
    """``q`` as one keyset page in (created_at, id) order, after ``after`` (a decoded page cursor)."""
    if after is not None:
        q = q.where(sa.or_(table.c.created_at > after[0],
                           sa.and_(table.c.created_at == after[0], table.c.id > after[1])))
    return q.order_by(table.c.created_at, table.c.id).limit(limit)


class ReturnRepository(Repository):
    # -------------------------------------------------------------- reads
    def get(self, return_id: str, *, for_update: bool = False) -> Return | None:
        q = sa.select(R).where(R.c.id == return_id)
        if for_update:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        if row is None:
            return None
        q = sa.select(return_lines).where(return_lines.c.return_id == return_id).order_by(return_lines.c.line_no)
        return _return(row, self.conn.execute(q).all())

    def by_awb(self, awb: str) -> Return | None:
        row = self.conn.execute(sa.select(R.c.id).where(R.c.awb == awb)).first()
        return None if row is None else self.get(row.id)

    def by_source_shipment(self, shipment_id: str) -> Return | None:
        row = self.conn.execute(sa.select(R.c.id).where(R.c.source_shipment_id == shipment_id)).first()
        return None if row is None else self.get(row.id)

    def by_exchange_order(self, order_id: str) -> Return | None:
        row = self.conn.execute(sa.select(R.c.id).where(R.c.exchange_order_id == order_id)).first()
        return None if row is None else self.get(row.id)

    def for_order(self, order_id: str) -> list[Return]:
        q = sa.select(R.c.id).where(R.c.order_id == order_id).order_by(R.c.created_at, R.c.id)
        return [ret for r in self.conn.execute(q) if (ret := self.get(r.id)) is not None]

    def returned_qty(self, order_id: str, *, exclude_statuses: tuple[str, ...]) -> dict[int, int]:
        """Units per order line already in returns that still count (not rejected / cancelled)."""
        q = (sa.select(return_lines.c.line_no, sa.func.sum(return_lines.c.qty))
             .join(R, R.c.id == return_lines.c.return_id)
             .where(R.c.order_id == order_id, R.c.status.not_in(exclude_statuses))
             .group_by(return_lines.c.line_no))
        return {int(no): int(q_) for no, q_ in self.conn.execute(q)}

    def delivered_units(self, order_id: str, statuses: tuple[str, ...]) -> dict[int, tuple[int, datetime | None]]:
        """Per order line: units in shipments with these statuses, and the latest delivery time among them."""
        q = (sa.select(shipment_lines.c.line_no, shipment_lines.c.qty, shipments.c.delivered_at)
             .join(shipments, shipments.c.id == shipment_lines.c.shipment_id)
             .where(shipments.c.order_id == order_id, shipments.c.status.in_(statuses)))
        out: dict[int, list] = defaultdict(lambda: [0, None])
        for no, qty, at in self.conn.execute(q):
            out[no][0] += qty
            if at is not None and (out[no][1] is None or at > out[no][1]):
                out[no][1] = at
        return {no: (v[0], v[1]) for no, v in out.items()}

    def list(self, *, status: str | None = None, channel: str | None = None, node: str | None = None,
             order_id: str | None = None, after: tuple[datetime, str] | None = None, limit: int = 50) -> list[Return]:
        q = sa.select(R.c.id)
        if status:
            q = q.where(R.c.status == status)
        if channel:
            q = q.where(R.c.channel == channel)
        if node:
            q = q.where(R.c.destination_node == node)
        if order_id:
            q = q.where(R.c.order_id == order_id)
        return [ret for r in self.conn.execute(_page(q, R, after, limit)) if (ret := self.get(r.id)) is not None]

    def dispositions(self, return_id: str) -> builtins.list[Disposition]:
        q = (sa.select(return_dispositions).where(return_dispositions.c.return_id == return_id)
             .order_by(return_dispositions.c.line_no, return_dispositions.c.grade))
        return [Disposition(**r._mapping) for r in self.conn.execute(q)]

    def refund(self, return_id: str) -> Refund | None:
        row = self.conn.execute(sa.select(refunds).where(refunds.c.return_id == return_id)).first()
        return None if row is None else Refund(**row._mapping)

    def refunds_for_order(self, order_id: str) -> builtins.list[Refund]:
        q = sa.select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.created_at, refunds.c.id)
        return [Refund(**r._mapping) for r in self.conn.execute(q)]

    # -------------------------------------------------------------- writes
    def add(self, ret: Return) -> None:
        """Store a new return with its lines (``created_at`` is its ``updated_at`` too)."""
        # (unset fields are left to the columns' defaults: a JSON column would store None as JSON null)
        record = {k: v for k in R.c.keys() if k not in ("updated_at", "version") and (v := getattr(ret, k)) is not None}
        record["status"] = str(ret.status)
        self.conn.execute(R.insert().values(**record, updated_at=ret.created_at))
        if ret.lines:
            self.conn.execute(return_lines.insert(), [{k: getattr(line, k) for k in _LINE_FIELDS} | {"return_id": ret.id}
                                                      for line in ret.lines])

    def update(self, return_id: str, **values) -> bool:
        q = (R.update().where(R.c.id == return_id)
             .values(**values, updated_at=utcnow(), version=R.c.version + 1))
        return self.conn.execute(q).rowcount == 1

    def set_received(self, return_id: str, line_no: int, qty: int) -> None:
        self.conn.execute(return_lines.update().where(return_lines.c.return_id == return_id,
                                                      return_lines.c.line_no == line_no).values(received_qty=qty))

    def add_disposition(self, d: Disposition) -> None:
        self.conn.execute(return_dispositions.insert().values(**{k: getattr(d, k) for k in return_dispositions.c.keys()}))

    def add_refund(self, refund: Refund) -> None:
        self.conn.execute(refunds.insert().values(**{k: getattr(refund, k) for k in refunds.c.keys()}))


class WorkOrderRepository(Repository):
    """Refurbish and repair work orders opened by grading returns, closed by their node."""

    def get(self, work_order_id: str, *, for_update: bool = False) -> WorkOrder | None:
        q = sa.select(work_orders).where(work_orders.c.id == work_order_id)
        row = self.conn.execute(q.with_for_update() if for_update else q).first()
        return None if row is None else WorkOrder(**row._mapping)

    def for_return(self, return_id: str) -> list[WorkOrder]:
        q = sa.select(work_orders).where(work_orders.c.return_id == return_id).order_by(work_orders.c.id)
        return [WorkOrder(**r._mapping) for r in self.conn.execute(q)]

    def list(self, *, status: str | None = None, node: str | None = None,
             after: tuple[datetime, str] | None = None, limit: int = 50) -> list[WorkOrder]:
        """One keyset page in (created_at, id) order after ``after``."""
        W = work_orders
        q = sa.select(W)
        if status:
            q = q.where(W.c.status == status)
        if node:
            q = q.where(W.c.node == node)
        return [WorkOrder(**r._mapping) for r in self.conn.execute(_page(q, W, after, limit))]

    def add(self, wo: WorkOrder) -> None:
        self.conn.execute(work_orders.insert().values(**{k: getattr(wo, k) for k in work_orders.c.keys()}))

    def set_status(self, work_order_id: str, status: str) -> bool:
        q = work_orders.update().where(work_orders.c.id == work_order_id).values(status=status)
        return self.conn.execute(q).rowcount == 1


class StoreCreditRepository(Repository):
    def balance(self, customer_id: str) -> int:
        row = self.conn.execute(sa.select(store_credit_balances.c.balance_paise)
                                .where(store_credit_balances.c.customer_id == customer_id)).first()
        return 0 if row is None else int(row.balance_paise)

    def ledger(self, customer_id: str, *, channel: str | None = None, limit: int = 200) -> list[StoreCreditEntry]:
        q = (sa.select(store_credit_ledger).where(store_credit_ledger.c.customer_id == customer_id)
             .order_by(store_credit_ledger.c.id).limit(limit))
        if channel is not None:
            q = q.where(store_credit_ledger.c.channel == channel)
        return [StoreCreditEntry(**r._mapping) for r in self.conn.execute(q)]

    def move(self, customer_id: str, delta: int, *, actor: str, reason: str, return_id: str | None = None,
             order_id: str | None = None, channel: str | None = None, **payload) -> int | None:
        """Add ``delta`` (negative: spend) with one conditional update; None when it would go below zero."""
        now = utcnow()
        B = store_credit_balances
        done = self.conn.execute(B.update().where(B.c.customer_id == customer_id, B.c.balance_paise + delta >= 0)
                                 .values(balance_paise=B.c.balance_paise + delta, updated_at=now)).rowcount
        if not done:
            if delta < 0:
                return None
            # The customer's first credit, or one racing it (another request's uncommitted first row, which
            # the update above could not see): insert unless the row exists by then, else add to it.
            first = insert(self.conn, B).values(customer_id=customer_id, balance_paise=delta, updated_at=now)
            if self.conn.execute(first.on_conflict_do_nothing().returning(B.c.customer_id)).first() is None:
                self.conn.execute(B.update().where(B.c.customer_id == customer_id)
                                  .values(balance_paise=B.c.balance_paise + delta, updated_at=now))
        balance = self.balance(customer_id)
        self.conn.execute(store_credit_ledger.insert().values(
            customer_id=customer_id, delta_paise=delta, balance_after_paise=balance, return_id=return_id,
            order_id=order_id, channel=channel, reason=reason, actor=actor, at=now, payload=payload))
        return balance

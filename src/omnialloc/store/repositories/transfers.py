"""Stock transfer orders and their lines (Core SQL in, ``domain.transfers`` out).

A status change is a compare-and-set on the status the caller read, so two
requests moving the same transfer cannot both win. Stock itself moves through
``InventoryRepository``; this repository only keeps the transfer's record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain.enums import TransferStatus
from omnialloc.domain.transfers import Transfer, TransferLine
from omnialloc.store.repositories._base import Repository, insert
from omnialloc.store.tables.transfers import transfer_lines as TL
from omnialloc.store.tables.transfers import transfers as T


def _transfer(r, lines: Sequence[sa.Row]) -> Transfer:
    values = dict(r._mapping)
    values["status"] = TransferStatus(values["status"])
    return Transfer(**values, lines=tuple(TransferLine(l.sku, l.qty, l.received_qty) for l in lines))


class TransferRepository(Repository):
    # -------------------------------------------------------------- reads
    def get(self, transfer_id: str, *, for_update: bool = False) -> Transfer | None:
        q = sa.select(T).where(T.c.id == transfer_id)
        if for_update and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        if row is None:
            return None
        lines = self.conn.execute(sa.select(TL).where(TL.c.transfer_id == transfer_id).order_by(TL.c.sku)).all()
        return _transfer(row, lines)

    def by_plan_key(self, plan_key: str) -> str | None:
        """The id of the transfer created under ``plan_key``, or None."""
        return self.conn.execute(sa.select(T.c.id).where(T.c.plan_key == plan_key)).scalar()

    def newest_first(self, *, status: str | None = None, touching: Iterable[str] = (),
                     limit: int = 100) -> list[Transfer]:
        """Transfers newest first; ``touching``: only those from or to every one of these nodes."""
        q = sa.select(T.c.id).order_by(T.c.created_at.desc(), T.c.id.desc()).limit(limit)
        if status:
            q = q.where(T.c.status == status)
        for node in touching:
            q = q.where(sa.or_(T.c.source == node, T.c.destination == node))
        return [t for tid in self.conn.execute(q).scalars().all() if (t := self.get(tid)) is not None]

    def in_transit(self) -> dict[tuple[str, str], int]:
        """Units dispatched and not yet received, per (destination, sku)."""
        q = (sa.select(T.c.destination, TL.c.sku, sa.func.sum(TL.c.qty).label("qty"))
             .join(TL, TL.c.transfer_id == T.c.id)
             .where(T.c.status == str(TransferStatus.DISPATCHED))
             .group_by(T.c.destination, TL.c.sku))
        out: dict[tuple[str, str], int] = defaultdict(int)
        for r in self.conn.execute(q):
            out[(r.destination, r.sku)] += int(r.qty)
        return dict(out)

    # -------------------------------------------------------------- writes
    def add(self, transfer: Transfer) -> bool:
        """Store a new transfer with its lines. False (nothing written) when its ``plan_key`` is taken: another
        run of the same plan created that transfer first (waiting for it, if it is not committed yet)."""
        row = dict(id=transfer.id, source=transfer.source, destination=transfer.destination,
                   status=str(transfer.status), reason=transfer.reason, origin=transfer.origin,
                   created_by=transfer.created_by, created_at=transfer.created_at, updated_at=transfer.updated_at,
                   plan_key=transfer.plan_key)
        if transfer.plan_key is None:
            self.conn.execute(T.insert().values(**row))
        else:
            made = insert(self.conn, T).values(**row).on_conflict_do_nothing(index_elements=[T.c.plan_key])
            if self.conn.execute(made.returning(T.c.id)).first() is None:
                return False
        self.conn.execute(TL.insert(), [{"transfer_id": transfer.id, "sku": l.sku, "qty": l.qty}
                                        for l in transfer.lines])
        return True

    def move(self, transfer: Transfer, target: TransferStatus, at: datetime, **stamps) -> bool:
        """``transfer`` (as read) takes status ``target`` (``stamps``: dispatched_at / received_at); False when
        its status changed since it was read."""
        return self.conn.execute(T.update().where(T.c.id == transfer.id, T.c.status == str(transfer.status))
                                 .values(status=str(target), updated_at=at, version=T.c.version + 1,
                                         **stamps)).rowcount == 1

    def set_received(self, transfer_id: str, sku: str, qty: int) -> None:
        self.conn.execute(TL.update().where(TL.c.transfer_id == transfer_id, TL.c.sku == sku)
                          .values(received_qty=qty))

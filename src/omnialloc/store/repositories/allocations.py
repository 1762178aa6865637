"""Every solve's plan, bound and explanation: why an order went where it went."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from omnialloc.domain.allocations import Allocation
from omnialloc.store.fastexec import Fast
from omnialloc.store.repositories._base import Repository, utcnow
from omnialloc.store.tables.allocations import allocations

_INSERT = Fast(allocations.insert().returning(allocations.c.id))  # on the DBAPI cursor (store.fastexec)
_LATEST = (sa.select(allocations).where(allocations.c.order_id == sa.bindparam("order_id"))
           .order_by(allocations.c.id.desc()).limit(1))


class AllocationRepository(Repository):
    def add(self, *, order_id: str | None, strategy: str, status: str, plan: dict,
            objective_paise: int | None = None, bound_paise: int | None = None, solve_ms: float | None = None,
            created_at: datetime | None = None) -> int:
        return self.add_row(order_id=order_id, strategy=strategy, status=status, plan=plan,
                            objective_paise=objective_paise, bound_paise=bound_paise, solve_ms=solve_ms,
                            created_at=created_at).id

    def add_row(self, *, order_id: str | None, strategy: str, status: str, plan: dict,
                objective_paise: int | None = None, bound_paise: int | None = None, solve_ms: float | None = None,
                created_at: datetime | None = None) -> Allocation:
        """:meth:`add`, returning the allocation as :meth:`latest` would read it back (no second query)."""
        row: dict[str, Any] = dict(
            order_id=order_id, created_at=created_at or utcnow(), strategy=strategy, status=str(status),
            objective_paise=objective_paise, bound_paise=bound_paise, solve_ms=solve_ms, plan=plan)
        return Allocation(id=_INSERT.first(self.conn, row)[0], **row)

    def get(self, allocation_id: int) -> Allocation | None:
        row = self.conn.execute(sa.select(allocations).where(allocations.c.id == allocation_id)).first()
        return None if row is None else Allocation(**row._mapping)

    def for_order(self, order_id: str) -> list[Allocation]:
        q = sa.select(allocations).where(allocations.c.order_id == order_id).order_by(allocations.c.id)
        return [Allocation(**r._mapping) for r in self.conn.execute(q)]

    def latest(self, order_id: str) -> Allocation | None:
        row = self.conn.execute(_LATEST, {"order_id": order_id}).first()
        return None if row is None else Allocation(**row._mapping)

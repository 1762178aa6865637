"""Fulfilment nodes (warehouses, stores, dropship vendors, return centres)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

import sqlalchemy as sa

from omnialloc.domain import Capability, Node, NodeKind
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.revision import bump_revision, changed
from omnialloc.store.tables.network import nodes


def node_row(n: Node) -> dict:
    """The columns of a node's row (what the repository writes, and a network sync too)."""
    return dict(
        code=n.code, name=n.name, kind=NodeKind(n.kind), address=n.address, pin=n.pin, city=n.city, state=n.state,
        lat=n.lat, lon=n.lon, capabilities=sorted(str(c) for c in n.capabilities), daily_capacity=n.daily_capacity,
        handling_cost_paise=n.handling_cost_paise, priority=n.priority, active=n.active, groups=sorted(n.groups),
        gstin=n.gstin,
    )


def _from_row(r) -> Node:
    return Node(
        code=r.code, name=r.name, kind=NodeKind(r.kind), pin=r.pin, city=r.city, state=r.state, lat=r.lat, lon=r.lon,
        address=r.address, capabilities=frozenset(Capability(c) for c in r.capabilities),
        daily_capacity=r.daily_capacity, handling_cost_paise=r.handling_cost_paise, priority=r.priority,
        active=r.active, groups=frozenset(r.groups), gstin=r.gstin,
    )


class NodeRepository(Repository):
    def get(self, code: str) -> Node | None:
        row = self.conn.execute(sa.select(nodes).where(nodes.c.code == code)).first()
        return None if row is None else _from_row(row)

    def get_many(self, codes: Iterable[str]) -> dict[str, Node]:
        codes = list(codes)
        if not codes:
            return {}
        rows = self.conn.execute(sa.select(nodes).where(nodes.c.code.in_(codes)))
        return {r.code: _from_row(r) for r in rows}

    def codes(self) -> set[str]:
        """Every node's code (a bulk check of what a file names, without building the nodes)."""
        return set(self.conn.execute(sa.select(nodes.c.code)).scalars())

    def list(self, *, active_only: bool = False) -> list[Node]:
        q = sa.select(nodes).order_by(nodes.c.code)
        if active_only:
            q = q.where(nodes.c.active.is_(True))
        return [_from_row(r) for r in self.conn.execute(q)]

    def page(self, after: str | None, limit: int, *, kind: str | None = None, active: bool | None = None,
             pin_prefix: str | None = None, q: str | None = None) -> builtins.list[Node]:
        """Up to ``limit`` nodes after code ``after`` in code order, filtered (``q``: code or name contains)."""
        query = sa.select(nodes).order_by(nodes.c.code).limit(limit)
        if after is not None:
            query = query.where(nodes.c.code > after)
        if kind is not None:
            query = query.where(nodes.c.kind == NodeKind(kind))
        if active is not None:
            query = query.where(nodes.c.active.is_(active))
        if pin_prefix:
            query = query.where(nodes.c.pin.startswith(pin_prefix, autoescape=True))
        if q:
            query = query.where(sa.or_(nodes.c.code.icontains(q, autoescape=True),
                                       nodes.c.name.icontains(q, autoescape=True)))
        return [_from_row(r) for r in self.conn.execute(query)]

    # Writes bump the revision token: every process's cached network reloads (services.network.cache).
    def add(self, node: Node) -> None:
        self.conn.execute(nodes.insert().values(**node_row(node)))
        bump_revision(self.conn)

    def update(self, node: Node) -> bool:
        row = node_row(node)
        code = row.pop("code")
        return changed(self.conn, self.conn.execute(nodes.update().where(nodes.c.code == code).values(**row)).rowcount)

    def upsert(self, node: Node) -> None:
        if not self.update(node):
            self.add(node)

    def set_active(self, code: str, active: bool) -> bool:
        return changed(self.conn, self.conn.execute(nodes.update().where(nodes.c.code == code)
                                                    .values(active=active)).rowcount)

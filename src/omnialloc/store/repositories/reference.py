"""Bulk, idempotent sync of reference data (the network) into the store.

Used by the demo loader and network imports. One SELECT per table finds what
is there; new rows are inserted in bulk, rows whose values differ are updated,
identical rows are not touched, so syncing the same data twice writes nothing.

Inventory is different on purpose: a missing (node, sku) row is created with
the file's on_hand and safety stock, but an existing row is left alone.
Stock moves with every reservation and shipment, so re-loading the demo files
must never reset (or double) live stock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from omnialloc.domain import Carrier, Channel, InventoryPosition, Node, RateCard, Serviceability, Sku
from omnialloc.store.repositories._base import Repository, utcnow
from omnialloc.store.repositories.carriers import carrier_row, rate_card_row, serviceability_row
from omnialloc.store.repositories.channels import channel_row
from omnialloc.store.repositories.nodes import node_row
from omnialloc.store.repositories.revision import bump_revision
from omnialloc.store.repositories.skus import sku_row
from omnialloc.store.tables import network as network_t
from omnialloc.store.tables.common import metadata
from omnialloc.store.tables.inventory import inventory as inventory_t


@dataclass
class SyncResult:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.inserted.values()) or any(self.updated.values())


def _pk(table: sa.Table, row: dict) -> tuple:
    return tuple(row[c.name] for c in table.primary_key.columns)


def _norm(value):
    return str(value) if hasattr(value, "value") else value  # enum member -> its value


def upsert_rows(conn: Connection, table: sa.Table, rows: Iterable[dict], result: SyncResult, *,
                update_existing: bool = True) -> None:
    rows = list(rows)
    if not rows:  # nothing of this table to sync: do not read it (a serviceability import skips the catalog)
        result.inserted.setdefault(table.name, 0)
        result.updated.setdefault(table.name, 0)
        return
    pk_cols = list(table.primary_key.columns)
    existing = {tuple(r[c.name] for c in pk_cols): dict(r) for r in conn.execute(sa.select(table)).mappings()}
    new, changed = [], []
    for row in rows:
        have = existing.get(_pk(table, row))
        if have is None:
            new.append(row)
        elif update_existing and any(_norm(have.get(k)) != _norm(v) for k, v in row.items()):
            changed.append(row)
    if new:
        conn.execute(table.insert(), new)
    if changed:  # one statement, executed for every changed row (a 100,000-SKU catalog changes thousands)
        pk_names = {c.name for c in pk_cols}
        columns = sorted(set(changed[0]) - pk_names)
        statement = (table.update().where(sa.and_(*(c == sa.bindparam(f"pk_{c.name}") for c in pk_cols)))
                     .values({k: sa.bindparam(f"v_{k}") for k in columns}))
        conn.execute(statement, [{**{f"pk_{k}": row[k] for k in pk_names}, **{f"v_{k}": row[k] for k in columns}}
                                 for row in changed])
    result.inserted[table.name] = result.inserted.get(table.name, 0) + len(new)
    result.updated[table.name] = result.updated.get(table.name, 0) + len(changed)


# Tables whose rows the order path caches per process (keyed by the revision token).
_CACHED = ("nodes", "skus", "channels", "carriers", "rate_cards", "serviceability")


def sync_network(conn: Connection, *, nodes: Iterable[Node] = (), skus: Iterable[Sku] = (),
                 channels: Iterable[Channel] = (), carriers: Iterable[Carrier] = (),
                 rate_cards: Iterable[RateCard] = (), serviceability: Iterable[Serviceability] = (),
                 inventory: Iterable[InventoryPosition] = ()) -> SyncResult:
    """Upsert the network in foreign-key order. Rows not in the input are kept."""
    result = SyncResult()
    upsert_rows(conn, network_t.nodes, (node_row(n) for n in nodes), result)
    upsert_rows(conn, network_t.skus, (sku_row(s) for s in skus), result)
    upsert_rows(conn, network_t.channels, (channel_row(c) for c in channels), result)
    upsert_rows(conn, network_t.carriers, (carrier_row(c) for c in carriers), result)
    upsert_rows(conn, network_t.rate_cards, (rate_card_row(r) for r in rate_cards), result)
    upsert_rows(conn, network_t.serviceability, (serviceability_row(s) for s in serviceability), result)
    if any(result.inserted.get(name) or result.updated.get(name) for name in _CACHED):
        bump_revision(conn)  # every process's cached network, SKUs and channels reload
    now = utcnow()
    upsert_rows(conn, inventory_t, (dict(node=p.node, sku=p.sku, on_hand=p.on_hand, reserved=0,
                                         safety_stock=p.safety_stock, updated_at=now) for p in inventory),
                result, update_existing=False)
    return result


def row_counts(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    return {name: conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[name])).scalar_one()
            for name in names}


class ReferenceRepository(Repository):
    """The network's reference data as a whole (``uow.reference``): bulk sync and table sizes."""

    def sync_network(self, **network) -> SyncResult:
        """:func:`sync_network` on this unit of work's connection."""
        return sync_network(self.conn, **network)

    def row_counts(self, names: Iterable[str]) -> dict[str, int]:
        """Rows per table, for these table names."""
        return row_counts(self.conn, names)

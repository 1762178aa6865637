"""Bulk stock imports in the store: the staging table, the set-based apply, and the change history.

``StockImportRepository.stage(rows)`` loads a validated import (a pandas DataFrame with columns line, node,
sku, qty, safety; safety -1 keeps the current value) into a temporary table on the write transaction's
connection (``COPY`` on PostgreSQL, chunked ``executemany`` on SQLite) and returns a :class:`StagedImport`.
Its :meth:`StagedImport.apply` writes the before/after rows of ``inventory_import_changes`` and then the
stock (``UPDATE ... FROM`` the staging table, ``INSERT`` of new positions, a snapshot's missing positions
set to 0) under one savepoint; the inventory CHECK constraints refuse a bad result, and only then does a
report query name every offending row (:class:`domain.stock.ImportRefused`). The history is read back and
pruned here too (``services.import_history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from omnialloc.domain.stock import ImportRefused, ImportShortfall
from omnialloc.store.repositories._base import Repository, utcnow
from omnialloc.store.tables.events import events
from omnialloc.store.tables.stock_imports import inventory_import_changes as changes

_CHUNK = 50_000


class StockImportRepository(Repository):
    def stage(self, rows) -> "StagedImport":
        """Load ``rows`` (validated: no duplicate (node, sku)) into the staging table of this transaction."""
        staged = StagedImport(self.conn)
        staged.load(rows)
        return staged

    def changed_before(self, cutoff: datetime) -> Sequence[str]:
        """Ids of the imports made before ``cutoff`` (by their ``imported`` event) that still have change rows,
        oldest first."""
        q = (sa.select(events.c.entity_id).where(events.c.entity == "inventory", events.c.type == "imported",
                                                 events.c.at < cutoff)
             .where(sa.exists().where(changes.c.import_id == events.c.entity_id))
             .order_by(events.c.at))
        return self.conn.execute(q).scalars().all()

    def forget_changes(self, import_ids: Sequence[str]) -> int:
        """Delete the change rows of these imports; how many went."""
        return self.conn.execute(sa.delete(changes).where(changes.c.import_id.in_(list(import_ids)))).rowcount


class StagedImport:
    """A staged import on one write transaction's connection (see the module docstring)."""

    NAME = "stock_import_stage"

    def __init__(self, conn):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def load(self, df) -> None:
        c = self.conn
        if self.pg:
            # Hash joins of 1M staged rows against the stock stay in memory instead of spilling in batches
            # (the default work_mem is 4 MB); LOCAL: this transaction only.
            c.exec_driver_sql("SET LOCAL work_mem = '256MB'")
            # No key: pass 1 already refused duplicate rows, and the joins below are hash joins.
            c.exec_driver_sql(f"CREATE TEMP TABLE {self.NAME} (line integer NOT NULL, node varchar(64) NOT NULL, "
                              "sku varchar(64) NOT NULL, qty bigint NOT NULL, safety bigint NOT NULL) ON COMMIT DROP")
            raw = c.connection.driver_connection
            cols = ["line", "node", "sku", "qty", "safety"]
            with raw.cursor() as cur:
                with cur.copy(f"COPY {self.NAME} (line, node, sku, qty, safety) FROM STDIN (FORMAT csv)") as copy:
                    for start in range(0, len(df), _CHUNK * 4):
                        copy.write(df.iloc[start:start + _CHUNK * 4][cols].to_csv(header=False, index=False))
            c.exec_driver_sql(f"ANALYZE {self.NAME}")
        else:
            c.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{self.NAME}")
            c.exec_driver_sql(f"CREATE TEMP TABLE {self.NAME} (line INTEGER NOT NULL, node TEXT NOT NULL, "
                              "sku TEXT NOT NULL, qty INTEGER NOT NULL, safety INTEGER NOT NULL, "
                              "PRIMARY KEY (node, sku)) WITHOUT ROWID")
            raw = c.connection.driver_connection
            cur = raw.cursor()
            sql = f"INSERT INTO temp.{self.NAME} (line, node, sku, qty, safety) VALUES (?, ?, ?, ?, ?)"
            lines, nodes, skus, qtys, safeties = (df[k].tolist() for k in ("line", "node", "sku", "qty", "safety"))
            for start in range(0, len(lines), _CHUNK):
                end = start + _CHUNK
                cur.executemany(sql, zip(lines[start:end], nodes[start:end], skus[start:end], qtys[start:end],
                                         safeties[start:end]))
            cur.close()

    def _t(self) -> str:
        return self.NAME if self.pg else f"temp.{self.NAME}"

    def apply(self, mode: str, scope: list[str], *, import_id: str | None, report_limit: int) -> tuple[int, int, int, int]:
        """Record the changes (under ``import_id``; None: a dry run records nothing) and set the stock, under one
        savepoint: (updated, inserted, zeroed, change rows). Raises :class:`ImportRefused` with up to
        ``report_limit`` shortfalls when the inventory's constraints refuse a row (nothing applied)."""
        savepoint = self.conn.begin_nested()
        try:
            written = 0 if import_id is None else self.record_changes(mode, scope, import_id)
            updated, inserted, zeroed = self.set_stock(mode, scope)
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()
            shortfalls, total = self.shortfalls(mode, scope, report_limit)
            if not shortfalls:
                raise
            raise ImportRefused(shortfalls, total) from None
        return updated, inserted, zeroed, written

    def shortfalls(self, mode: str, scope: list[str], limit: int) -> tuple[list[ImportShortfall], int]:
        """The staged rows that would end below zero or below the reserved units (file order), then, for a
        snapshot, reserved positions it leaves out (it counts them as 0): up to ``limit``, and the total."""
        s = self._t()
        new = "s.qty" if mode == "snapshot" else "COALESCE(i.on_hand, 0) + s.qty"
        where = f"({new}) < COALESCE(i.reserved, 0) OR ({new}) < 0"
        sql = (f"SELECT s.line, s.node, s.sku, s.qty, COALESCE(i.on_hand, 0) AS on_hand, "
               f"COALESCE(i.reserved, 0) AS reserved FROM {s} s LEFT JOIN inventory i "
               f"ON i.node = s.node AND i.sku = s.sku WHERE {where} ORDER BY s.line LIMIT {limit}")
        found = [ImportShortfall(int(r.line), r.node, r.sku, r.qty, r.on_hand, r.reserved)
                 for r in self.conn.exec_driver_sql(sql)]
        total = len(found)
        if total == limit:
            total = self.conn.exec_driver_sql(
                f"SELECT count(*) FROM {s} s LEFT JOIN inventory i ON i.node = s.node AND i.sku = s.sku "
                f"WHERE {where}").scalar_one()
        if mode == "snapshot" and len(found) < limit:
            for r in self.conn.execute(sa.text(
                    f"SELECT i.node, i.sku, i.on_hand, i.reserved FROM inventory i WHERE i.node IN :scope "
                    f"AND i.reserved > 0 AND NOT EXISTS (SELECT 1 FROM {s} s WHERE s.node = i.node AND s.sku = i.sku) "
                    f"ORDER BY i.node, i.sku LIMIT {limit - len(found)}")
                    .bindparams(sa.bindparam("scope", expanding=True)), {"scope": scope}):
                found.append(ImportShortfall(0, r.node, r.sku, None, r.on_hand, r.reserved))
                total += 1
        return found, total

    def increased_waiting(self, mode: str) -> set[str]:
        """SKUs whose available-to-promise goes up at some position and that a backordered order is waiting
        for (usually none). ATP is on_hand - reserved - safety stock (never below 0), so a row that lowers
        the safety stock raises it as surely as a receipt, and one that adds stock but raises the safety
        stock more does not."""
        waiting = self.conn.exec_driver_sql(
            "SELECT DISTINCT l.sku FROM order_lines l JOIN orders o ON o.id = l.order_id "
            "WHERE o.status = 'BACKORDERED'").scalars().all()
        if not waiting:
            return set()
        s = self._t()
        new_on = "COALESCE(i.on_hand, 0) + s.qty" if mode == "delta" else "s.qty"
        new_safety = "CASE WHEN s.safety >= 0 THEN s.safety ELSE COALESCE(i.safety_stock, 0) END"
        new_free = f"({new_on}) - COALESCE(i.reserved, 0) - ({new_safety})"
        old_free = "COALESCE(i.on_hand, 0) - COALESCE(i.reserved, 0) - COALESCE(i.safety_stock, 0)"
        # max(0, new) > max(0, old)  <=>  new > 0 and new > old
        return set(self.conn.execute(sa.text(
            f"SELECT DISTINCT s.sku FROM {s} s LEFT JOIN inventory i ON i.node = s.node AND i.sku = s.sku "
            f"WHERE {new_free} > 0 AND {new_free} > {old_free} AND s.sku IN :skus")
            .bindparams(sa.bindparam("skus", expanding=True)), {"skus": list(waiting)}).scalars())

    def record_changes(self, mode: str, scope: list[str], import_id: str) -> int:
        """Write each position's on_hand / safety stock before and after this import into
        ``inventory_import_changes`` (only positions that change), read from the stock as it is
        before ``set_stock``; the same transaction, so both land or neither does."""
        s = self._t()
        new = "s.qty" if mode == "snapshot" else "COALESCE(i.on_hand, 0) + s.qty"
        cols = "(import_id, node, sku, on_hand_before, on_hand_after, safety_before, safety_after)"
        # One left join covers updated and new positions (a new one was 0 / 0 before).
        written = self.conn.execute(sa.text(
            f"INSERT INTO inventory_import_changes {cols} "
            f"SELECT :id, node, sku, ob, oa, sb, sf FROM (SELECT s.node AS node, s.sku AS sku, "
            f"COALESCE(i.on_hand, 0) AS ob, {new} AS oa, COALESCE(i.safety_stock, 0) AS sb, "
            f"CASE WHEN s.safety >= 0 THEN s.safety ELSE COALESCE(i.safety_stock, 0) END AS sf "
            f"FROM {s} s LEFT JOIN inventory i ON i.node = s.node AND i.sku = s.sku) c "
            f"WHERE oa <> ob OR sf <> sb"), {"id": import_id}).rowcount
        if mode == "snapshot":  # positions of the covered nodes missing from the file go to 0
            written += self.conn.execute(sa.text(
                f"INSERT INTO inventory_import_changes {cols} "
                f"SELECT :id, i.node, i.sku, i.on_hand, 0, i.safety_stock, i.safety_stock FROM inventory i "
                f"WHERE i.node IN :scope AND i.on_hand <> 0 "
                f"AND NOT EXISTS (SELECT 1 FROM {s} s WHERE s.node = i.node AND s.sku = i.sku)")
                .bindparams(sa.bindparam("scope", expanding=True)), {"id": import_id, "scope": scope}).rowcount
        return written

    def set_stock(self, mode: str, scope: list[str]) -> tuple[int, int, int]:
        """Apply the staged rows to the stock: (updated, inserted, zeroed) positions."""
        s = self._t()
        at = utcnow()
        zeroed = 0
        if mode == "snapshot":
            zeroed = self.conn.execute(sa.text(
                f"UPDATE inventory SET on_hand = 0, updated_at = :at WHERE node IN :scope AND on_hand <> 0 "
                f"AND NOT EXISTS (SELECT 1 FROM {s} s WHERE s.node = inventory.node AND s.sku = inventory.sku)")
                .bindparams(sa.bindparam("scope", expanding=True)), {"at": at, "scope": scope}).rowcount
            new = "s.qty"
            changed = "(inventory.on_hand <> s.qty OR (s.safety >= 0 AND inventory.safety_stock <> s.safety))"
        else:
            new = "inventory.on_hand + s.qty"
            changed = "(s.qty <> 0 OR (s.safety >= 0 AND inventory.safety_stock <> s.safety))"
        updated = self.conn.execute(sa.text(
            f"UPDATE inventory SET on_hand = {new}, "
            f"safety_stock = CASE WHEN s.safety >= 0 THEN s.safety ELSE inventory.safety_stock END, "
            f"updated_at = :at FROM {s} s WHERE inventory.node = s.node AND inventory.sku = s.sku AND {changed}"),
            {"at": at}).rowcount
        inserted = self.conn.execute(sa.text(
            f"INSERT INTO inventory (node, sku, on_hand, reserved, safety_stock, updated_at) "
            f"SELECT s.node, s.sku, s.qty, 0, CASE WHEN s.safety >= 0 THEN s.safety ELSE 0 END, :at FROM {s} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM inventory i WHERE i.node = s.node AND i.sku = s.sku)"),
            {"at": at}).rowcount
        return updated, inserted, zeroed

    def drop(self) -> None:
        if not self.pg:  # PostgreSQL drops it at commit/rollback (ON COMMIT DROP)
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{self.NAME}")

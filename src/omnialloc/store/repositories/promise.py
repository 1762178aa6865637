"""Node calendars and the seller's transit table (``uow.promise``), read as the pure logistics types.

A node without a calendar row works to the default calendar (Asia/Kolkata, 14:00 cut-off, Mon-Sat,
national holidays); the transit table is replaced as a whole (an upload is one table, validated as
one). Every write that changes something bumps the reference revision token, so each process's
cached network (its lane tables and promises) reloads in its next transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from omnialloc.logistics.calendar import NodeCalendar
from omnialloc.logistics.transit.table import TransitRow
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.revision import bump_revision
from omnialloc.store.tables.promise import node_calendars, transit_times


def _calendar_row(node: str, cal: NodeCalendar) -> dict:
    d = cal.to_dict()
    return {"node": node, "timezone": d["timezone"], "cutoff": d["cutoff"], "working_days": d["working_days"],
            "holidays": list(d["holidays"]), "pickup_days": dict(d["pickup_days"])}


def _calendar(r) -> NodeCalendar:
    return NodeCalendar.from_dict({"timezone": r.timezone, "cutoff": r.cutoff, "working_days": r.working_days,
                                   "holidays": list(r.holidays or []), "pickup_days": dict(r.pickup_days or {})})


def _transit_row(row: TransitRow) -> dict:
    return {"carrier": row.carrier, "service": str(row.service), "level": str(row.level), "origin": row.origin,
            "destination": row.destination, "zone": row.zone, "days": row.days}


class PromiseRepository(Repository):
    """Calendars per node and the transit table."""

    # ------------------------------------------------------------------ calendars
    def calendars(self) -> dict[str, NodeCalendar]:
        """Every stored calendar by node code (nodes without a row are absent: they use the default)."""
        return {r.node: _calendar(r) for r in self.conn.execute(sa.select(node_calendars))}

    def calendar(self, node: str) -> NodeCalendar | None:
        r = self.conn.execute(sa.select(node_calendars).where(node_calendars.c.node == node)).first()
        return None if r is None else _calendar(r)

    def set_calendars(self, calendars: Mapping[str, NodeCalendar]) -> int:
        """Insert or replace these nodes' calendars; returns how many rows changed (0: nothing new)."""
        have = {r.node: _calendar_row(r.node, _calendar(r)) for r in self.conn.execute(sa.select(node_calendars))}
        changed = 0
        for node, cal in sorted(calendars.items()):
            row = _calendar_row(node, cal)
            if have.get(node) == row:
                continue
            if node in have:
                self.conn.execute(node_calendars.update().where(node_calendars.c.node == node)
                                  .values({k: v for k, v in row.items() if k != "node"}))
            else:
                self.conn.execute(node_calendars.insert(), [row])
            changed += 1
        if changed:
            bump_revision(self.conn)
        return changed

    # ------------------------------------------------------------------ transit table
    def transit_rows(self) -> list[TransitRow]:
        q = sa.select(transit_times).order_by(*transit_times.primary_key.columns)
        return [TransitRow(r.carrier, r.service, r.level, r.origin, r.destination, r.zone, r.days)
                for r in self.conn.execute(q)]

    def replace_transit(self, rows: Iterable[TransitRow]) -> bool:
        """Make the stored table exactly ``rows``; True (and the revision bumped) when it changed."""
        new = sorted((_transit_row(r) for r in rows), key=lambda d: tuple(str(v) for v in d.values()))
        old = sorted((_transit_row(r) for r in self.transit_rows()), key=lambda d: tuple(str(v) for v in d.values()))
        if new == old:
            return False
        self.conn.execute(transit_times.delete())
        if new:
            self.conn.execute(transit_times.insert(), new)
        bump_revision(self.conn)
        return True

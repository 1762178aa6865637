"""The audit trail: one row per state change, written in the same transaction as the change."""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.domain import Event
from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables import events

_FIELDS = ("entity", "entity_id", "type", "from_status", "to_status", "actor", "reason", "at")
# Built once: statement construction cost more than running it.
_INSERT = events.insert()
_FOR_IDS = sa.select(events).where(events.c.entity_id.in_(sa.bindparam("ids", expanding=True))).order_by(events.c.id)


def _from_row(r) -> Event:
    return Event(**{f: getattr(r, f) for f in _FIELDS}, payload=dict(r.payload or {}))


class EventRepository(Repository):
    def add(self, event: Event) -> int:
        """Append the event; returns its id (ids grow with time: a cursor for consumers)."""
        values = {f: getattr(event, f) for f in _FIELDS}
        values["from_status"] = None if event.from_status is None else str(event.from_status)
        values["to_status"] = None if event.to_status is None else str(event.to_status)
        values["payload"] = dict(event.payload or {})
        result = self.conn.execute(_INSERT, values)
        return result.inserted_primary_key[0]

    def for_entity(self, entity: str, entity_id: str) -> list[Event]:
        q = (sa.select(events).where(events.c.entity == entity, events.c.entity_id == entity_id)
             .order_by(events.c.id))
        return [_from_row(r) for r in self.conn.execute(q)]

    def for_entities(self, pairs: list[tuple[str, str]]) -> list[Event]:
        """Events of several (entity, id) pairs in one query, oldest first (an order with its shipments)."""
        if not pairs:
            return []
        ids = sorted({i for _, i in pairs})
        wanted = set(pairs)
        return [e for e in map(_from_row, self.conn.execute(_FOR_IDS, {"ids": ids}))
                if (e.entity, e.entity_id) in wanted]

    def after(self, last_id: int = 0, *, limit: int = 500, entity: str | None = None) -> list[tuple[int, Event]]:
        """(id, event) pairs with id > ``last_id``, oldest first: for feeds and outbox workers."""
        q = sa.select(events).where(events.c.id > last_id)
        if entity is not None:
            q = q.where(events.c.entity == entity)
        return [(r.id, _from_row(r)) for r in self.conn.execute(q.order_by(events.c.id).limit(limit))]

    def count(self, *, entity: str | None = None, type: str | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(events)
        if entity is not None:
            q = q.where(events.c.entity == entity)
        if type is not None:
            q = q.where(events.c.type == type)
        return self.conn.execute(q).scalar_one()

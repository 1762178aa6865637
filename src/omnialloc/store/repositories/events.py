"""The audit trail: one row per state change, written in the same transaction as the change.

Events, and the notification (outbox) rows that point at them, are queued by
``add`` and written by ``flush`` in one INSERT per table (on PostgreSQL one
statement for both): a capture + allocate records four events and two outbox
rows, which cost six round trips one by one.
The unit of work flushes before it commits, every read of events here flushes
first, and ``UnitOfWork.rollback`` drops the queue. Code that reads the
``events`` or ``notifications`` table by other means inside a write transaction,
or opens a savepoint after recording, calls ``uow.events.flush()`` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from omnialloc.domain import Event
from omnialloc.store.fastexec import Fast
from omnialloc.store.repositories._base import Repository, insert_for
from omnialloc.store.tables.events import events
from omnialloc.store.tables.notifications import notifications
from omnialloc.store.tables.shipments import shipment_day_counts

_FIELDS = ("entity", "entity_id", "type", "from_status", "to_status", "actor", "reason", "at")
# Built once: statement construction cost more than running it.
_INSERT_MANY = events.insert().returning(events.c.id, sort_by_parameter_order=True)
_OUTBOX_INSERT: dict = {}
_FLUSH_AT = 1000  # a transaction that records more writes them in chunks: the queue's memory stays bounded
_FAST_ROWS = 8  # queues up to this long (a capture writes 2-3 events, an allocation 2-3) use _fast_insert
_FAST_INSERTS: dict[int, Fast] = {}
_FAST_OUTBOX: dict[str, Fast] = {}
_WITH_OUTBOX: dict[tuple, Fast] = {}
_WITH_OUTBOX_ROWS = 16  # outbox rows written with their events in one statement (PostgreSQL), at most
_WITH_COUNT_ROWS = 8  # and shipment counter rows (one per node and day a transaction created shipments at)
_COUNT_COLUMNS = ("node", "day", "live")
_COLUMNS = _FIELDS + ("payload",)


def _fast_insert(n: int) -> Fast:
    """INSERT INTO events VALUES (...) x n RETURNING id, on the DBAPI cursor (store.fastexec), built once per
    n: Core's insertmanyvalues path cost ~10% of a capture+allocate's CPU. The rows of one VALUES list get
    their ids in list order (one statement draws them from the sequence / rowid one row after the other),
    so the returned ids, sorted, are the queue's ids in queue order."""
    stmt = _FAST_INSERTS.get(n)
    if stmt is None:
        stmt = _FAST_INSERTS[n] = Fast(events.insert().values(
            [{c: sa.bindparam(f"{c}_{i}", type_=events.c[c].type) for c in _COLUMNS} for i in range(n)]
        ).returning(events.c.id))
    return stmt


def outbox_insert(dialect_name: str):
    """INSERT INTO notifications ... ON CONFLICT (idempotency_key) DO NOTHING, built once per dialect
    (building it per row cost more than running it)."""
    stmt = _OUTBOX_INSERT.get(dialect_name)
    if stmt is None:
        stmt = _OUTBOX_INSERT[dialect_name] = insert_for(dialect_name, notifications).on_conflict_do_nothing(
            index_elements=[notifications.c.idempotency_key])
    return stmt


def _events_with_outbox(n: int, outbox_keys: tuple[str, ...], m: int, c: int = 0) -> Fast:
    """PostgreSQL: ``n`` events, ``m`` outbox rows and ``c`` shipment counter rows in one statement, built
    once per shape::

        WITH new_events AS (INSERT INTO events VALUES (...) x n RETURNING id),
             counts AS (INSERT INTO shipment_day_counts VALUES (...) x c ON CONFLICT (node, day) DO UPDATE ...)
        INSERT INTO notifications (..., event_id)
        VALUES (..., (SELECT id FROM new_events ORDER BY id OFFSET :o<j>_event LIMIT 1)) x m
        ON CONFLICT (idempotency_key) DO NOTHING

    (with no outbox rows, the counters' upsert is the main statement). Parameters: ``<column>_<i>`` for
    event i (as :func:`_fast_insert`), ``o<j>_<column>`` for outbox row j and ``o<j>_event``, the queue
    position of its event (the ids, sorted, are in queue order as in :func:`_fast_insert`), and
    ``c<k>_node``, ``c<k>_day``, ``c<k>_live`` for counter row k. One round trip instead of three, and no
    ``executemany`` (psycopg runs that in pipeline mode, which cost more worker CPU than the statement
    itself for the two rows of an allocation). PostgreSQL runs every data-modifying part of a WITH to
    completion, whether or not the main statement reads it."""
    key = (n, outbox_keys, m, c)
    fast = _WITH_OUTBOX.get(key)
    if fast is None:
        from sqlalchemy.dialects.postgresql import insert

        from omnialloc.store.repositories.shipments import count_upsert

        new = events.insert().values(
            [{col: sa.bindparam(f"{col}_{i}", type_=events.c[col].type) for col in _COLUMNS} for i in range(n)]
        ).returning(events.c.id).cte("new_events")
        counts = None
        if c:
            counts = count_upsert("postgresql", [
                {col: sa.bindparam(f"c{k}_{col}", type_=shipment_day_counts.c[col].type) for col in _COUNT_COLUMNS}
                for k in range(c)])
        if m:
            rows = []
            for j in range(m):
                row: dict[str, Any] = {
                    col: sa.bindparam(f"o{j}_{col}", type_=notifications.c[col].type) for col in outbox_keys}
                row["event_id"] = (sa.select(new.c.id).order_by(new.c.id)
                                   .offset(sa.bindparam(f"o{j}_event", type_=sa.Integer)).limit(1).scalar_subquery())
                rows.append(row)
            main = insert(notifications).values(rows).on_conflict_do_nothing(
                index_elements=[notifications.c.idempotency_key]).add_cte(new)
            if counts is not None:
                main = main.add_cte(counts.cte("counts"))
        else:
            assert counts is not None  # c > 0 when there is no outbox row (the callers' shapes)
            main = counts.add_cte(new)
        fast = _WITH_OUTBOX[key] = Fast(main)
    return fast


_FOR_IDS = sa.select(events).where(events.c.entity_id.in_(sa.bindparam("ids", expanding=True))).order_by(events.c.id)


def _from_row(r) -> Event:
    return Event(**{f: getattr(r, f) for f in _FIELDS}, payload=dict(r.payload or {}))


class EventRepository(Repository):
    def __init__(self, conn):
        super().__init__(conn)
        #: Events added through this unit of work, oldest first (a capture renders its answer from them).
        self.recorded: list[Event] = []
        self._queue: list[tuple[dict, list[dict]]] = []  # (event row, outbox rows waiting for its id)

    def add(self, event: Event, outbox: Iterable[dict] = ()) -> None:
        """Queue the event, and outbox rows (``notifications`` rows without ``event_id``) that tell about it.

        Ids grow with time (a cursor for consumers); they are given out when :meth:`flush` writes the queue.
        """
        values = {f: getattr(event, f) for f in _FIELDS}
        values["from_status"] = None if event.from_status is None else str(event.from_status)
        values["to_status"] = None if event.to_status is None else str(event.to_status)
        values["payload"] = dict(event.payload or {})
        self._queue.append((values, list(outbox)))
        self.recorded.append(event)
        if len(self._queue) >= _FLUSH_AT:
            self.flush()

    def flush(self, *, counts: Sequence[dict] = ()) -> bool:
        """Write the queued events (one INSERT, ids in queue order), then their outbox rows (one more; on
        PostgreSQL both in one statement when the queue is short).

        An outbox row whose idempotency key is already stored is skipped: recording the same change
        twice notifies once.

        ``counts``: the unit of work's shipment counter rows (``ShipmentRepository.take_counts``), written
        by the same statement on PostgreSQL when they fit it; returns whether they were (else the caller
        writes them).
        """
        if not self._queue:
            return False
        queue, self._queue = self._queue, []
        if len(queue) <= _FAST_ROWS:
            params = {f"{c}_{i}": values[c] for i, (values, _) in enumerate(queue) for c in _COLUMNS}
            if self.conn.dialect.name == "postgresql" and self._with_outbox(queue, params, counts):
                return True
            ids: Sequence[int] = sorted(row[0] for row in _fast_insert(len(queue)).rows(self.conn, params))
        else:
            ids = self.conn.execute(_INSERT_MANY, [values for values, _ in queue]).scalars().all()
        outbox = [{**row, "event_id": event_id} for (_, rows), event_id in zip(queue, ids, strict=True)
                  for row in rows]
        if outbox:
            dialect = self.conn.dialect.name
            fast = _FAST_OUTBOX.get(dialect)
            if fast is None:
                fast = _FAST_OUTBOX[dialect] = Fast(outbox_insert(dialect))
            if len({tuple(row) for row in outbox}) == 1:  # (one compiled statement per column set)
                fast.executemany(self.conn, outbox)
            else:
                self.conn.execute(outbox_insert(dialect), outbox)
        return False

    def _with_outbox(self, queue, params: dict, counts: Sequence[dict]) -> bool:
        """Write the queue's events, outbox rows and ``counts`` in one statement (:func:`_events_with_outbox`)
        if they fit one shape; False (nothing written) if there are no outbox rows or counts, or they don't."""
        outbox = [(i, row) for i, (_, rows) in enumerate(queue) for row in rows]
        if (not outbox and not counts) or len(outbox) > _WITH_OUTBOX_ROWS or len(counts) > _WITH_COUNT_ROWS:
            return False
        keys = tuple(outbox[0][1]) if outbox else ()
        if any(tuple(row) != keys for _, row in outbox):
            return False
        for j, (i, row) in enumerate(outbox):
            params[f"o{j}_event"] = i
            params.update({f"o{j}_{c}": v for c, v in row.items()})
        for k, row in enumerate(counts):
            params.update({f"c{k}_{c}": v for c, v in row.items()})
        _events_with_outbox(len(queue), keys, len(outbox), len(counts)).rowcount(self.conn, params)
        return True

    def discard(self) -> None:
        """Forget the queue (the transaction rolled back)."""
        self._queue.clear()
        self.recorded.clear()

    def for_entity(self, entity: str, entity_id: str) -> list[Event]:
        self.flush()
        q = (sa.select(events).where(events.c.entity == entity, events.c.entity_id == entity_id)
             .order_by(events.c.id))
        return [_from_row(r) for r in self.conn.execute(q)]

    def for_entities(self, pairs: list[tuple[str, str]]) -> list[Event]:
        """Events of several (entity, id) pairs in one query, oldest first (an order with its shipments)."""
        if not pairs:
            return []
        self.flush()
        ids = sorted({i for _, i in pairs})
        wanted = set(pairs)
        return [e for e in map(_from_row, self.conn.execute(_FOR_IDS, {"ids": ids}))
                if (e.entity, e.entity_id) in wanted]

    def of_type(self, entity: str, type: str) -> list[Event]:
        """Every event of one type about one kind of entity, oldest first."""
        self.flush()
        q = sa.select(events).where(events.c.entity == entity, events.c.type == type).order_by(events.c.id)
        return [_from_row(r) for r in self.conn.execute(q)]

    def after(self, last_id: int = 0, *, limit: int = 500, entity: str | None = None) -> list[tuple[int, Event]]:
        """(id, event) pairs with id > ``last_id``, oldest first: for feeds and outbox workers."""
        self.flush()
        q = sa.select(events).where(events.c.id > last_id)
        if entity is not None:
            q = q.where(events.c.entity == entity)
        return [(r.id, _from_row(r)) for r in self.conn.execute(q.order_by(events.c.id).limit(limit))]

    def count(self, *, entity: str | None = None, type: str | None = None) -> int:
        self.flush()
        q = sa.select(sa.func.count()).select_from(events)
        if entity is not None:
            q = q.where(events.c.entity == entity)
        if type is not None:
            q = q.where(events.c.type == type)
        return self.conn.execute(q).scalar_one()

"""Writing audit events: every status change is an Event row in the same transaction.

Recording an event publishes it on the message bus (``messages.Recorded``); its subscribers answer
the outbox rows that tell the outside world about it (customer notifications), written with it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from omnialloc.domain import Event
from omnialloc.services import bus
from omnialloc.services.messages import Recorded


def now() -> datetime:
    return datetime.now(UTC)


def record(uow, entity: str, entity_id: str, type_: str, actor: str, *, from_status=None, to_status=None,
           reason: str | None = None, subject=None, **payload) -> Event:
    """Write the event and the outbox rows its subscribers ask for. ``subject``: the event's order as it
    stands in this transaction, when the caller holds it up to date (subscribers then need not read it)."""
    event = Event(entity=entity, entity_id=entity_id, type=type_, actor=actor, at=now(),
                  from_status=None if from_status is None else str(from_status),
                  to_status=None if to_status is None else str(to_status), reason=reason, payload=payload)
    # Outbox: the messages commit or roll back with the change (both are written at the commit).
    outbox = [row for rows in bus.publish(uow, Recorded(event, subject)) if rows for row in rows]
    uow.events.add(event, outbox)
    return event

"""Writing audit events: every status change is an Event row in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from omnialloc.domain import Event
from omnialloc.services.notifications.outbox import outbox_rows


def now() -> datetime:
    return datetime.now(UTC)


def record(uow, entity: str, entity_id: str, type_: str, actor: str, *, from_status=None, to_status=None,
           reason: str | None = None, subject=None, **payload) -> Event:
    """Write the event and its outbox rows. ``subject``: the event's order as it stands in this
    transaction, when the caller holds it up to date (the outbox then need not read it again)."""
    event = Event(entity=entity, entity_id=entity_id, type=type_, actor=actor, at=now(),
                  from_status=None if from_status is None else str(from_status),
                  to_status=None if to_status is None else str(to_status), reason=reason, payload=payload)
    # Outbox: the customer message commits or rolls back with the change (both are written at the commit).
    uow.events.add(event, outbox_rows(uow, event, order=subject))
    return event

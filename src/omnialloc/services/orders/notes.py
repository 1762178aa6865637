"""Internal notes on an order: what customer service learned or promised ("called, will be home after 6").

A note is an order event of type ``note`` (actor and time kept, never changed or sent to the customer: the
notification catalogue maps no message to it), so it also shows in the order's timeline.
"""

from __future__ import annotations

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import FieldError, NotFound, ValidationFailed
from omnialloc.services.access import Principal
from omnialloc.services.events import record

WRITERS = (Role.ADMIN, Role.CHANNEL)
MAX_CHARS = 2000


def add_note(ctx, principal: Principal, order_id: str, text: str) -> dict:
    principal.require(*WRITERS)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("write the note first", field_errors=[FieldError("note", "the note is empty")])
    if len(text) > MAX_CHARS:
        raise ValidationFailed(f"the note is longer than {MAX_CHARS} characters",
                               field_errors=[FieldError("note", f"at most {MAX_CHARS} characters, "
                                                                f"this one has {len(text)}")])
    with ctx.uow() as uow:
        order = uow.orders.get(order_id)
        if order is None or not principal.sees_channel(order.channel):
            raise NotFound(f"order {order_id} not found")
        event = record(uow, "order", order_id, "note", principal.actor, reason=text, internal=True)
        uow.commit()
    return {"order_id": order_id, "text": text, "actor": event.actor, "at": event.at.isoformat()}


def notes_of(view: dict) -> list[dict]:
    """The notes among an order view's events, newest first."""
    return [e for e in reversed(view.get("events") or []) if e["entity"] == "order" and e["type"] == "note"]

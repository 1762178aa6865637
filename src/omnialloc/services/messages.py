"""The messages use cases raise on the bus (``services.bus``): what happened, and what should be done.

They are plain values: whoever raises one knows nothing of who handles it (``services.subscribers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omnialloc.domain import Event, Order


@dataclass(frozen=True, slots=True)
class Recorded:
    """Event: ``event`` was recorded in this transaction (``services.events.record``).

    ``subject``: the event's order as it stands in this transaction, when the recorder holds it up to date
    (a subscriber then need not read it again). A subscriber answers the outbox rows that tell the outside
    world about the event (an empty list or None for none); they are written with the event.
    """

    event: Event
    subject: Order | None = None


@dataclass(frozen=True, slots=True)
class RetryBackorders:
    """Command: orders waiting for any of ``skus`` should be tried again, because units of them became
    available (``reason``: receipt, released, transfer_in, restock) or an order started waiting for them
    (``waiting``: stock freed while it was being planned is then not missed). Queued in the caller's
    transaction; the answer is how many SKUs were queued."""

    skus: frozenset[str]
    reason: str

    @classmethod
    def of(cls, skus: Any, reason: str) -> "RetryBackorders":
        return cls(frozenset(skus), reason)

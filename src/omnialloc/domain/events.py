"""Events: the audit trail of every status change, and the source of notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Event:
    entity: str            # order | shipment | return | inventory | transfer | rule
    entity_id: str
    type: str              # e.g. status_changed, allocated, rejected, adjusted
    actor: str             # who: an API key name, "system", a carrier code
    at: datetime
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

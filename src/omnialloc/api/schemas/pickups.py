"""Pickups: pickup in store (BOPIS): collecting with the pickup code, and the customer's view of a pickup."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from omnialloc.api.schemas.common import Open, Strict


class CollectIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=32)]


class PickupOut(Open):
    order_id: str
    status: str
    pickup_node: str | None = None
    pickup_code: str | None = None
    ready_at: datetime | None = None
    expires_at: datetime | None = None

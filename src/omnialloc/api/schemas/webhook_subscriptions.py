"""Outbound webhook subscriptions (issue 27): URL, event types, secret (shown once), the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from omnialloc.api.schemas.common import Open, Strict

EventType = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$")]


class SubscriptionIn(Strict):
    url: Annotated[str, Field(min_length=8, max_length=2000)]
    events: Annotated[list[EventType], Field(min_length=1, max_length=50, description=(
        "Event types: <entity>.<new status> for status changes (order.cancelled, shipment.shipped), "
        "<entity>.<event> otherwise (order.captured); <entity>.* or * for all"))]
    description: Annotated[str, Field(max_length=300)] = ""
    secret: Annotated[str | None, Field(min_length=16, max_length=200, description="Generated when omitted")] = None


class SubscriptionPatch(Strict):
    url: Annotated[str | None, Field(min_length=8, max_length=2000)] = None
    events: Annotated[list[EventType] | None, Field(min_length=1, max_length=50)] = None
    description: Annotated[str | None, Field(max_length=300)] = None
    active: bool | None = None
    secret: Annotated[str | None, Field(min_length=16, max_length=200)] = None


class SubscriptionOut(Open):
    id: str
    url: str
    events: list[str]
    description: str = ""
    active: bool
    disabled_reason: str | None = None
    created_at: datetime | None = None
    created_by: str = ""
    updated_at: datetime | None = None
    secret: str | None = Field(None, description="Only in the answer to the creation: keep it, it is not shown again")
    counts: dict[str, int] | None = None


class SubscriptionList(Open):
    items: list[SubscriptionOut]

"""Channels: the stock feed a sales channel publishes (its feeding nodes' ATP less the channel's buffer)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Open, Strict


class FeedQuery(Strict):
    since: Annotated[str | None, Field(max_length=200)] = None
    format: Literal["json", "csv"] | None = None

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class FeedItem(Open):
    sku: str
    available: int
    atp: int
    buffer: int


class FeedOut(Open):
    channel: str
    generated_at: datetime
    full: bool
    since: str | None = None
    cursor: str | None = None
    buffer_units: int
    buffer_percent: int
    feeding_nodes: list[str]
    items: list[FeedItem]

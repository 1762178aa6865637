"""Transfers: stock transfer orders between two nodes (create, dispatch, receive, cancel) and their views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, Open, Reason, Strict, WholeNumber


class TransferLineIn(Strict):
    sku: Code
    qty: Annotated[int, Field(gt=0, le=10**6), WholeNumber]


class TransferIn(Strict):
    source: Code
    destination: Code
    lines: Annotated[list[TransferLineIn], Field(min_length=1, max_length=1000)]
    reason: Annotated[str, Field(max_length=500)] = ""


class ReceiveIn(Strict):
    received: dict[Code, Annotated[int, Field(ge=0, le=10**6), WholeNumber]] = {}


class TransferQuery(Strict):
    status: Literal["CREATED", "DISPATCHED", "RECEIVED", "CANCELLED"] | None = None
    node: Code | None = None
    limit: Annotated[int, Field(ge=1, le=200), WholeNumber] = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class TransferLineOut(Open):
    sku: str
    qty: int
    received_qty: int | None = None


class TransferEventOut(Open):
    type: str
    from_status: str | None = None
    to_status: str | None = None
    actor: str
    reason: str | None = None
    at: datetime


class TransferOut(Open):
    id: str
    source: str
    destination: str
    status: str
    reason: str
    origin: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    dispatched_at: datetime | None = None
    received_at: datetime | None = None
    lines: list[TransferLineOut]
    events: list[TransferEventOut]
    backorder_retries_queued: int | None = None


class TransferPage(Open):
    items: list[TransferOut]


class TransferCancelIn(Strict):
    reason: Reason

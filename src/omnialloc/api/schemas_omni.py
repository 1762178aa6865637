"""Request and response models of global inventory and omnichannel (issue 6), strict like api/schemas.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas import Code, Int, Open, Reason, ShipmentOut, Strict

Kind = Literal["warehouse", "store", "dropship_vendor", "return_center"]


# ---------------------------------------------------------------- inventory view
class InventoryQuery(Strict):
    sku: Code | None = None
    node: Code | None = None
    kind: Kind | None = None
    limit: Int(ge=1, le=1000) = 100
    cursor: Annotated[str | None, Field(max_length=400)] = None

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class PositionOut(Open):
    node: str
    sku: str
    kind: str
    on_hand: int
    reserved: int
    safety_stock: int
    atp: int
    updated_at: datetime | None = None


class InventoryPage(Open):
    items: list[PositionOut]
    next_cursor: str | None = None


class StockTotals(Open):
    nodes: int
    on_hand: int
    reserved: int
    safety_stock: int
    atp: int


class SkuStockOut(Open):
    sku: str
    nodes: list[PositionOut]
    by_kind: dict[str, StockTotals]
    total: StockTotals


# ---------------------------------------------------------------- bulk import
class ImportQuery(Strict):
    mode: Literal["snapshot", "delta"]
    node: Code | None = None
    dry_run: bool = False

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class ImportOut(Open):
    mode: str
    rows: int
    updated: int
    inserted: int
    unchanged: int
    zeroed: int
    nodes: list[str]
    dry_run: bool
    backorder_retries_queued: int
    import_id: str
    seconds: dict[str, float] = {}


# ---------------------------------------------------------------- channel feed
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


# ---------------------------------------------------------------- transfers
class TransferLineIn(Strict):
    sku: Code
    qty: Int(gt=0, le=10**6)


class TransferIn(Strict):
    source: Code
    destination: Code
    lines: Annotated[list[TransferLineIn], Field(min_length=1, max_length=1000)]
    reason: Annotated[str, Field(max_length=500)] = ""


class ReceiveIn(Strict):
    received: dict[Code, Int(ge=0, le=10**6)] = {}


class TransferQuery(Strict):
    status: Literal["CREATED", "DISPATCHED", "RECEIVED", "CANCELLED"] | None = None
    node: Code | None = None
    limit: Int(ge=1, le=200) = 50

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


# ---------------------------------------------------------------- pickup in store
class CollectIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=32)]


class PickupOut(Open):
    order_id: str
    status: str
    pickup_node: str | None = None
    pickup_code: str | None = None
    ready_at: datetime | None = None
    expires_at: datetime | None = None


__all__ = ["CollectIn", "FeedOut", "FeedQuery", "ImportOut", "ImportQuery", "InventoryPage", "InventoryQuery",
           "PickupOut", "ReceiveIn", "ShipmentOut", "SkuStockOut", "TransferCancelIn", "TransferIn", "TransferOut",
           "TransferPage", "TransferQuery"]

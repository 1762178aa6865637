"""Inventory: stock adjustments at a node, and the stock view (positions by node and SKU, totals by node kind)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, Open, Strict, WholeNumber

Kind = Literal["warehouse", "store", "dropship_vendor", "return_center"]


# ---------------------------------------------------------------- adjustments
class AdjustmentIn(Strict):
    node: Code
    sku: Code
    delta: Annotated[int, Field(ge=-10**9, le=10**9), WholeNumber]
    reason: Literal["receipt", "cycle_count", "damage", "correction", "transfer_in", "transfer_out", "return", "rto"]
    note: Annotated[str, Field(max_length=500)] = ""


class AdjustmentsIn(Strict):
    adjustments: Annotated[list[AdjustmentIn], Field(min_length=1, max_length=10_000)]


class AdjustmentsOut(Open):
    applied: int
    backorder_retries_queued: int = Field(description="SKUs whose backordered orders the backorder worker will "
                                          "now retry (after this answer; see services/orders/backorders.py)")


# ---------------------------------------------------------------- inventory view
class InventoryQuery(Strict):
    sku: Code | None = None
    node: Code | None = None
    kind: Kind | None = None
    limit: Annotated[int, Field(ge=1, le=1000), WholeNumber] = 100
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

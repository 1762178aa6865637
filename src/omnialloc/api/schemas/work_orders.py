"""Work orders: the refurbish and repair jobs that receiving a graded return opens at a node, and closing them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, Open, Strict, WholeNumber


class WorkOrderQuery(Strict):
    status: Literal["open", "done"] | None = None
    node: Code | None = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Annotated[int, Field(ge=1, le=200), WholeNumber] = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class WorkOrderDoneIn(Strict):
    restocked: Annotated[int, Field(ge=0, le=10_000), WholeNumber] = Field(
        description="Units fit to sell again: back on hand at the node"
    )
    scrapped: Annotated[int, Field(ge=0, le=10_000), WholeNumber] = Field(
        description="Units written off; restocked + scrapped = the work order's units"
    )
    note: Annotated[str | None, Field(max_length=500)] = None


class WorkOrderOut(Open):
    id: str
    return_id: str
    node: str
    sku: str
    qty: int
    kind: str
    status: str
    created_at: datetime
    restocked: int | None = None
    scrapped: int | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    note: str | None = None


class WorkOrderPage(Open):
    items: list[WorkOrderOut]
    next_cursor: str | None = None

"""Request models of the returns API (issue 8): strict, like ``api/schemas.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas import Code, Int, Open, Strict, Text
from omnialloc.domain.enums import ReturnStatus

ReturnStatusName = Literal[tuple(s.value for s in ReturnStatus)]  # type: ignore[valid-type]
CustomerReason = Literal["damaged", "wrong_item", "size_fit", "not_as_described", "changed_mind", "defective"]
Id = Annotated[str, Field(min_length=1, max_length=40)]


class ReturnLineIn(Strict):
    line_no: Int(ge=1, le=100_000)
    qty: Int(gt=0, le=10_000)
    reason: CustomerReason
    exchange_sku: Code | None = Field(None, description="Exchange for another SKU (default: the same SKU)")


class RefundAccountIn(Strict):
    method: Literal["upi", "bank"]
    reference: Annotated[str, Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9@._\- ]+$",
                                    description="UPI id (name@bank) or bank account / IFSC reference")]


class ReturnIn(Strict):
    lines: Annotated[list[ReturnLineIn], Field(min_length=1, max_length=100)]
    resolution: Literal["refund", "exchange", "store_credit"]
    refund_account: RefundAccountIn | None = Field(None, description="Required for refunds of COD orders")
    note: Text = ""


class ReceivedUnitIn(Strict):
    line_no: Int(ge=1, le=100_000)
    grade: Literal["A", "B", "C", "D"] = Field(description="A sellable (restock), B refurbish, C recycle "
                                                           "(write off), D repair/service")
    qty: Int(gt=0, le=10_000) = Field(1, description="Units with this grade (default one unit per entry)")


class ReceiveIn(Strict):
    units: Annotated[list[ReceivedUnitIn], Field(min_length=1, max_length=1000)]


class ReturnReasonIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ReturnQuery(Strict):
    status: ReturnStatusName | None = None
    order_id: Id | None = None
    channel: Code | None = None
    node: Code | None = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Int(ge=1, le=200) = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class RedeemIn(Strict):
    amount_paise: Int(gt=0, le=10**11)
    order_id: Id
    reason: Text = ""


class ReturnOut(Open):
    id: str
    order_id: str
    status: str
    lines: list[dict]


class ReturnPage(Open):
    items: list[ReturnOut]
    next_cursor: str | None = None


class StoreCreditOut(Open):
    customer_id: str
    balance_paise: int
    ledger: list[dict]


class WorkOrderQuery(Strict):
    status: Literal["open", "done"] | None = None
    node: Code | None = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Int(ge=1, le=200) = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class WorkOrderDoneIn(Strict):
    restocked: Int(ge=0, le=10_000) = Field(description="Units fit to sell again: back on hand at the node")
    scrapped: Int(ge=0, le=10_000) = Field(description="Units written off; restocked + scrapped = the work "
                                                       "order's units")
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

"""Returns (RMA): opening a return, approving or rejecting it, receiving and grading its units, and its views."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, Id, Open, Strict, Text, WholeNumber, same_values
from omnialloc.domain.enums import ReturnStatus

ReturnStatusName = Literal[
    "REQUESTED", "APPROVED", "REJECTED", "PICKUP_SCHEDULED", "PICKED_UP", "IN_TRANSIT", "RECEIVED", "GRADED",
    "CLOSED", "CANCELLED",
]
same_values(ReturnStatusName, ReturnStatus)  # written out so that mypy reads it; checked against the enum
CustomerReason = Literal["damaged", "wrong_item", "size_fit", "not_as_described", "changed_mind", "defective"]


class ReturnLineIn(Strict):
    line_no: Annotated[int, Field(ge=1, le=100_000), WholeNumber]
    qty: Annotated[int, Field(gt=0, le=10_000), WholeNumber]
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
    line_no: Annotated[int, Field(ge=1, le=100_000), WholeNumber]
    grade: Literal["A", "B", "C", "D"] = Field(description="A sellable (restock), B refurbish, C recycle "
                                                           "(write off), D repair/service")
    qty: Annotated[int, Field(gt=0, le=10_000), WholeNumber] = Field(
        1, description="Units with this grade (default one unit per entry)"
    )


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
    limit: Annotated[int, Field(ge=1, le=200), WholeNumber] = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class ReturnOut(Open):
    id: str
    order_id: str
    status: str
    lines: list[dict]


class ReturnPage(Open):
    items: list[ReturnOut]
    next_cursor: str | None = None

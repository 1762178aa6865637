"""The failed-intake queue (issue 27): orders that arrived and did not validate, fixed and re-submitted."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, Open, Reason, Strict, WholeNumber


class IntakeError(Open):
    field: str
    message: str


class FailedIntakeOut(Open):
    id: str
    channel: str
    source: str
    external_id: str | None = None
    status: str
    errors: list[IntakeError]
    attempts: int
    order_id: str | None = None
    created_at: datetime
    updated_at: datetime
    resolved_by: str | None = None
    raw_body: str | None = Field(None, description="The body exactly as received")
    payload: Any = Field(None, description="The parsed body (as corrected, once re-submitted)")
    order: dict[str, Any] | None = None


class FailedIntakePage(Open):
    items: list[FailedIntakeOut]
    next_cursor: str | None = None


class FailedIntakeQuery(Strict):
    status: Literal["open", "resubmitted", "discarded"] | None = "open"
    channel: Code | None = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Annotated[int, Field(ge=1, le=200), WholeNumber] = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class ResubmitIn(Strict):
    pin: Annotated[str | None, Field(pattern=r"^[1-9][0-9]{5}$", description="A corrected ship-to PIN")] = None
    payload: dict[str, Any] | None = Field(None, description="A corrected body, in the source's own format")


class DiscardIn(Strict):
    reason: Reason


class QueuedOut(Open):
    status: Literal["failed_intake"]
    failed_intake_id: str
    detail: str
    errors: list[IntakeError]

"""Field types and base models shared by every feature's request and response models (pydantic v2, strict).

Strict so that ``"qty": false`` or ``"qty": "2"`` is refused; integers still accept
whole-number floats (``2.0``) because many JSON encoders emit them. Unknown fields
are refused so a typo never silently drops data.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _whole_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Integer fields are written ``Annotated[int, Field(ge=..., le=...), WholeNumber]``: the constraints, then
# the validator that lets a whole-number float through (in that order, so the constraints apply to the int).
# One range for every integer the API takes (domain.quantities): a field with no other upper bound says
# ``le=QTY_MAX``, which every backend stores (SQLite took larger values than PostgreSQL's INTEGER holds).
WholeNumber = BeforeValidator(_whole_number)


def same_values(literal: Any, enum: type[StrEnum]) -> None:
    """Refuse to import a ``Literal`` of an enum's values that no longer lists them all, in the enum's order.

    The values are written out (mypy reads no ``Literal`` built at run time); this keeps them the enum's.
    """
    if get_args(literal) != tuple(member.value for member in enum):
        raise RuntimeError(f"{literal} does not list the values of {enum.__name__} in order")


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:?\d{2})?)?$")


def _iso_datetime(value: Any) -> Any:
    # Lax pydantic reads "0.5" or "1700000000" as Unix seconds; the spec says ISO 8601 date-time.
    if isinstance(value, str) and not _ISO_DATETIME.match(value.strip()):
        raise ValueError("expected an ISO 8601 date-time such as 2026-11-26T10:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Text = Annotated[str, Field(max_length=500)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
Id = Annotated[str, Field(min_length=1, max_length=40)]  # an id we issued (an order's, a return's)


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Open(BaseModel):
    """Response models: lenient, they describe what we send."""

    model_config = ConfigDict(extra="allow")


# The body of an action that only needs a reason (hold, release, reject). No docstring on models:
# pydantic would publish it as the schema's description.
class ReasonIn(Strict):
    reason: Reason


# One entry of a status history: orders and shipments show theirs.
class EventOut(Open):
    entity: str
    entity_id: str
    type: str
    from_status: str | None = None
    to_status: str | None = None
    actor: str
    reason: str | None = None
    at: str
    payload: dict[str, Any] = {}

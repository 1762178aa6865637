"""Field types and base models shared by every feature's request and response models (pydantic v2, strict).

Strict so that ``"qty": false`` or ``"qty": "2"`` is refused; integers still accept
whole-number floats (``2.0``) because many JSON encoders emit them. Unknown fields
are refused so a typo never silently drops data.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from omnialloc.domain.quantities import QTY_MAX


def _whole_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_W = BeforeValidator(_whole_number)


def _bounded(constraints: dict) -> dict:
    # One range for every integer the API takes (domain.quantities): no upper bound given means QTY_MAX,
    # which every backend stores (SQLite took larger values than PostgreSQL's INTEGER holds).
    if "le" not in constraints and "lt" not in constraints:
        constraints = {**constraints, "le": QTY_MAX}
    return constraints


def Int(**constraints) -> Any:  # noqa: N802 - reads like a type in annotations
    """An integer field with constraints that also accepts whole-number floats (at most QTY_MAX unless told)."""
    return Annotated[int, Field(**_bounded(constraints)), _W]


def OptInt(**constraints) -> Any:  # noqa: N802
    return Annotated[int | None, Field(**_bounded(constraints)), _W]


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

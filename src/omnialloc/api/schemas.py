"""Request and response models (pydantic v2, strict).

Strict so that ``"qty": false`` or ``"qty": "2"`` is refused; integers still accept
whole-number floats (``2.0``) because many JSON encoders emit them. Unknown fields
are refused so a typo never silently drops data.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from omnialloc.domain.enums import OrderStatus, ShipmentStatus
from omnialloc.domain.quantities import QTY_MAX

OrderStatusName = Literal[tuple(s.value for s in OrderStatus)]  # type: ignore[valid-type]
ShipmentStatusName = Literal[tuple(s.value for s in ShipmentStatus)]  # type: ignore[valid-type]


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


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Open(BaseModel):
    """Response models: lenient, they describe what we send."""

    model_config = ConfigDict(extra="allow")


# ---------------------------------------------------------------- orders in
class AddressIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    line1: Annotated[str, Field(min_length=1, max_length=300)]
    line2: Annotated[str, Field(max_length=300)] = ""
    city: Annotated[str, Field(min_length=1, max_length=100)]
    state: Annotated[str, Field(max_length=100)] = ""
    pin: Annotated[str | None, Field(pattern=r"^[1-9][0-9]{5}$", description="6-digit India Post PIN code")] = None
    lat: Annotated[float | None, Field(ge=6.0, le=37.5)] = None
    lon: Annotated[float | None, Field(ge=68.0, le=97.5)] = None
    phone: Annotated[str, Field(max_length=20, pattern=r"^\+?[0-9 \-]{0,19}$")] = ""
    email: Annotated[str, Field(max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")] = ""


class LineIn(Strict):
    sku: Code
    qty: Int(gt=0, le=10_000)
    unit_price_paise: OptInt(ge=0, le=10**11, description="Defaults to the SKU's list price") = None


class OrderIn(Strict):
    channel: Code
    external_id: Annotated[str, Field(min_length=1, max_length=100)]
    payment_mode: Literal["PREPAID", "COD"] = "PREPAID"
    promised_days: OptInt(ge=1, le=60) = None
    priority: Int(ge=0, le=10) = 0
    tags: Annotated[list[Annotated[str, Field(min_length=1, max_length=50)]], Field(max_length=20)] = []
    delivery_mode: Literal["ship", "pickup"] = "ship"
    pickup_node: Code | None = None
    customer_id: Annotated[str | None, Field(max_length=100)] = None
    ship_to: AddressIn
    lines: Annotated[list[LineIn], Field(min_length=1, description=(
        "One line per SKU; at most OMNIALLOC_MAX_LINES_PER_ORDER lines (default 100), more is 422"))]

    # A demo order that captures and allocates on `make run`: docs show it, Schemathesis' examples phase sends it.
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [{
        "channel": "web", "external_id": "web-1001", "payment_mode": "PREPAID",
        "ship_to": {"name": "Asha Raman", "line1": "12 Anna Salai", "city": "Chennai", "pin": "600002",
                    "phone": "+919800000001", "email": "asha@example.com"},
        "lines": [{"sku": "SKU-0001", "qty": 1}]}]})


# ---------------------------------------------------------------- actions in
class ReasonIn(Strict):
    reason: Reason


class CancelLineIn(Strict):
    line_no: Int(ge=1)
    qty: Int(gt=0)


class CancelIn(Strict):
    reason: Reason
    lines: Annotated[list[CancelLineIn] | None, Field(max_length=1000)] = None


class PackIn(Strict):
    weight_g: Int(gt=0, le=1_000_000)
    length_mm: Int(gt=0, le=5_000)
    width_mm: Int(gt=0, le=5_000)
    height_mm: Int(gt=0, le=5_000)


class ShipIn(Strict):
    awb: Annotated[str | None, Field(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9\-]+$")] = None


class TrackingEventIn(Strict):
    awb: Annotated[str, Field(min_length=1, max_length=40)]
    status: Literal["picked_up", "in_transit", "out_for_delivery", "delivered", "failed_attempt",
                    "rto_initiated", "rto_delivered"]
    at: Annotated[str, Field(max_length=40, description="ISO 8601 time of the scan")]
    location: Annotated[str, Field(max_length=200)] = ""
    remark: Annotated[str, Field(max_length=500)] = ""
    event_id: Annotated[str | None, Field(max_length=100)] = None


class TrackingIn(Strict):
    events: Annotated[list[TrackingEventIn], Field(min_length=1, max_length=500)]


class AdjustmentIn(Strict):
    node: Code
    sku: Code
    delta: Int(ge=-10**9, le=10**9)
    reason: Literal["receipt", "cycle_count", "damage", "correction", "transfer_in", "transfer_out", "return", "rto"]
    note: Annotated[str, Field(max_length=500)] = ""


class AdjustmentsIn(Strict):
    adjustments: Annotated[list[AdjustmentIn], Field(min_length=1, max_length=10_000)]


# ---------------------------------------------------------------- queries
class OrderQuery(Strict):
    status: OrderStatusName | None = None
    channel: Code | None = None
    node: Code | None = None
    pin: Annotated[str | None, Field(pattern=r"^[0-9]{6}$")] = None
    created_from: IsoDateTime | None = None
    created_to: IsoDateTime | None = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Int(ge=1, le=200) = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class ShipmentQuery(Strict):
    status: ShipmentStatusName | None = None
    node: Code | None = None
    awb: Annotated[str | None, Field(max_length=40)] = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Int(ge=1, le=200) = 50

    model_config = ConfigDict(strict=False, extra="forbid")


class ManifestQuery(Strict):
    date: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None

    model_config = ConfigDict(strict=False, extra="forbid")


# ---------------------------------------------------------------- out
class AddressOut(Open):
    name: str
    line1: str
    line2: str
    city: str
    state: str
    pin: str
    phone: str
    email: str
    lat: float | None = None
    lon: float | None = None


class OrderLineOut(Open):
    line_no: int
    sku: str
    qty: int
    cancelled_qty: int
    unit_price_paise: int


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


class ShipmentLineOut(Open):
    line_no: int
    sku: str
    qty: int


class ShipmentSummary(Open):
    id: str
    order_id: str
    node: str
    carrier: str
    status: str
    awb: str | None = None
    weight_g: int | None = None
    billed_weight_g: int | None = None
    cost_paise: int | None = None
    cost_breakdown: dict[str, Any] = {}
    sla_days: int | None = None
    lines: list[ShipmentLineOut]


class ShipmentOut(ShipmentSummary):
    events: list[EventOut] = Field(description="The shipment's status history")


class OrderSummary(Open):
    id: str
    channel: str
    external_id: str
    status: str
    payment_mode: str
    currency: str
    value_paise: int
    priority: int
    tags: list[str]
    promised_days: int | None = None
    delivery_mode: str
    pickup_node: str | None = None
    customer_id: str | None = None
    created_at: str
    ship_to: AddressOut
    lines: list[OrderLineOut]


class OrderOut(OrderSummary):
    status_reason: str | None = None
    shipments: list[ShipmentSummary]
    plan: dict[str, Any] | None = Field(None, description="The latest allocation: solver status, cost, plan and "
                                                            "its explanation")
    events: list[EventOut] = Field(description="Order and shipment events, oldest first")


class OrderPage(Open):
    items: list[OrderSummary]
    next_cursor: str | None = None


class ShipmentPage(Open):
    items: list[ShipmentSummary]
    next_cursor: str | None = None


class AdjustmentsOut(Open):
    applied: int
    backorder_retries_queued: int = Field(description="SKUs whose backordered orders the backorder worker will "
                                          "now retry (after this answer; see services/backorders.py)")


class ManifestShipment(Open):
    shipment: str
    order_id: str
    awb: str | None = None
    billed_weight_g: int | None = None
    units: int
    status: str


class ManifestCarrier(Open):
    carrier: str
    shipments: list[ManifestShipment]
    count: int


class ManifestOut(Open):
    node: str
    date: str
    carriers: list[ManifestCarrier]
    total: int


class TrackingResult(Open):
    index: int
    awb: str
    result: Literal["applied", "duplicate", "stale", "ignored", "unknown_awb"]
    status: str | None = None
    reason: str | None = None


class TrackingOut(Open):
    results: list[TrackingResult]
    applied: int


class TimelineEntry(Open):
    status: str | None = None
    at: str
    location: str = ""


class PublicTrackingOut(Open):
    awb: str
    carrier: str
    status: str
    promised_days: int | None = None
    timeline: list[TimelineEntry]

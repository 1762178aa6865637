"""Orders: the capture payload, order actions (cancel, hold, release), the order list's query and the order views."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, EventOut, IsoDateTime, Open, Reason, Strict, WholeNumber, same_values
from omnialloc.api.schemas.shipments import ShipmentSummary
from omnialloc.domain.enums import OrderStatus
from omnialloc.domain.quantities import QTY_MAX

OrderStatusName = Literal[
    "CREATED", "VALIDATED", "ON_HOLD", "BACKORDERED", "ALLOCATED", "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED",
    "READY_FOR_PICKUP", "PICKED_UP", "RTO", "CANCELLED",
]
same_values(OrderStatusName, OrderStatus)  # written out so that mypy reads it; checked against the enum


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
    qty: Annotated[int, Field(gt=0, le=10_000), WholeNumber]
    unit_price_paise: Annotated[
        int | None, Field(ge=0, le=10**11, description="Defaults to the SKU's list price"), WholeNumber
    ] = None


class OrderIn(Strict):
    channel: Code
    external_id: Annotated[str, Field(min_length=1, max_length=100)]
    payment_mode: Literal["PREPAID", "COD"] = "PREPAID"
    promised_days: Annotated[int | None, Field(ge=1, le=60), WholeNumber] = None
    priority: Annotated[int, Field(ge=0, le=10), WholeNumber] = 0
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
class CancelLineIn(Strict):
    line_no: Annotated[int, Field(ge=1, le=QTY_MAX), WholeNumber]
    qty: Annotated[int, Field(gt=0, le=QTY_MAX), WholeNumber]


class CancelIn(Strict):
    reason: Reason
    lines: Annotated[list[CancelLineIn] | None, Field(max_length=1000)] = None


# ---------------------------------------------------------------- queries
class OrderFilters(Strict):
    """The order search's filters, shared by the order list and the CSV export."""

    status: OrderStatusName | None = None
    channel: Code | None = None
    node: Code | None = None
    pin: Annotated[str | None, Field(pattern=r"^[0-9]{6}$")] = None
    created_from: IsoDateTime | None = None
    created_to: IsoDateTime | None = None
    # Search (issue 27): each filter is answered by an index (store/repositories/order_search.py)
    tag: Annotated[str | None, Field(min_length=1, max_length=50)] = None
    priority: Annotated[int | None, Field(ge=0, le=10), WholeNumber] = None
    min_priority: Annotated[int | None, Field(ge=0, le=10), WholeNumber] = None
    phone: Annotated[str | None, Field(pattern=r"^\+?[0-9 \-]{3,19}$")] = None
    email: Annotated[str | None, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] = None
    awb: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    number: Annotated[str | None, Field(min_length=1, max_length=64, description=(
        "The shop's own order number: Shopify's \"#9001\" (with or without #), WooCommerce's number"))] = None
    customer_id: Annotated[str | None, Field(min_length=1, max_length=128)] = None

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class OrderQuery(OrderFilters):
    external_id: Annotated[str | None, Field(min_length=1, max_length=128)] = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Annotated[int, Field(ge=1, le=200), WholeNumber] = 50


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
    promised_by: str | None = Field(None, description="The promised delivery: the end of the promised day (UTC)")
    promise_source: str | None = Field(None, description="Where the promise came from: request, channel, rule "
                                                         "or fastest")
    ship_to: AddressOut
    lines: list[OrderLineOut]
    channel_order_number: str | None = Field(None, description="The shop's own order number (\"#9001\")")


class OrderOut(OrderSummary):
    status_reason: str | None = None
    shipments: list[ShipmentSummary]
    delivery_date: str | None = Field(None, description="The order's EDD: the latest of its shipments' EDDs")
    plan: dict[str, Any] | None = Field(None, description="The latest allocation: solver status, cost, plan and "
                                                            "its explanation")
    events: list[EventOut] = Field(description="Order and shipment events, oldest first")


class OrderSearchItem(OrderSummary):
    """An order of a list or search (the summary, with the shop's own number)."""


class OrderPage(Open):
    items: list[OrderSearchItem]
    next_cursor: str | None = None

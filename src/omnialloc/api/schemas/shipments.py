"""Shipments: the fulfilment actions at the node (pack, ship), the shipment list's query and the shipment views."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, EventOut, Open, Strict, WholeNumber, same_values
from omnialloc.domain.enums import ShipmentStatus

ShipmentStatusName = Literal[
    "ALLOCATED", "ACCEPTED", "REJECTED", "PACKED", "SHIPPED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY",
    "DELIVERY_FAILED", "DELIVERED", "RTO_INITIATED", "RTO_DELIVERED", "READY_FOR_PICKUP", "COLLECTED", "CANCELLED",
]
same_values(ShipmentStatusName, ShipmentStatus)  # written out so that mypy reads it; checked against the enum


# ---------------------------------------------------------------- actions in
class PackIn(Strict):
    weight_g: Annotated[int, Field(gt=0, le=1_000_000), WholeNumber]
    length_mm: Annotated[int, Field(gt=0, le=5_000), WholeNumber]
    width_mm: Annotated[int, Field(gt=0, le=5_000), WholeNumber]
    height_mm: Annotated[int, Field(gt=0, le=5_000), WholeNumber]


class ShipIn(Strict):
    awb: Annotated[str | None, Field(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9\-]+$")] = None


# ---------------------------------------------------------------- queries
class ShipmentQuery(Strict):
    status: ShipmentStatusName | None = None
    node: Code | None = None
    awb: Annotated[str | None, Field(max_length=40)] = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Annotated[int, Field(ge=1, le=200), WholeNumber] = 50

    model_config = ConfigDict(strict=False, extra="forbid")


# ---------------------------------------------------------------- out
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
    service: str | None = Field(None, description="The carrier's service: surface, air or express")
    ship_by: str | None = Field(None, description="When the parcel must be ready: the node's cut-off (UTC)")
    delivery_date: str | None = Field(None, description="Estimated delivery date (EDD) at the destination")
    deliver_by: str | None = Field(None, description="The end of the EDD (UTC): delivered before it is on time")
    lines: list[ShipmentLineOut]


class ShipmentOut(ShipmentSummary):
    events: list[EventOut] = Field(description="The shipment's status history")


class ShipmentPage(Open):
    items: list[ShipmentSummary]
    next_cursor: str | None = None

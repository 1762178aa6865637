"""Shipments: one node, one carrier, a box of order lines on its way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from omnialloc.domain.enums import ShipmentStatus


# A shipment in one of these statuses holds a stock reservation at its node:
# inventory.reserved == sum of such shipments' line quantities, per (node, SKU).
RESERVING_STATUSES = frozenset({ShipmentStatus.ALLOCATED, ShipmentStatus.ACCEPTED, ShipmentStatus.PACKED,
                                ShipmentStatus.READY_FOR_PICKUP})
# Shipments that ended without goods leaving the node: their units count as unplaced.
DEAD_STATUSES = frozenset({ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED})


@dataclass
class ShipmentLine:
    line_no: int
    sku: str
    qty: int


@dataclass
class Shipment:
    id: str
    order_id: str
    node: str
    carrier: str
    lines: list[ShipmentLine]
    status: ShipmentStatus = ShipmentStatus.ALLOCATED
    weight_g: int = 0
    billed_weight_g: int = 0
    cost_paise: int = 0
    sla_days: int | None = None
    awb: str | None = None
    cost_breakdown: dict[str, int] = field(default_factory=dict)
    # The packed box (set when packed; None before).
    box_length_mm: int | None = None
    box_width_mm: int | None = None
    box_height_mm: int | None = None
    # The estimated delivery (issue 24; docs/promise.md): the carrier's service, when the parcel must be
    # ready (the node's cut-off, UTC), the destination's local delivery date and the UTC end of that day.
    service: str | None = None
    ship_by: datetime | None = None
    delivery_date: date | None = None
    deliver_by: datetime | None = None

    @property
    def units(self) -> int:
        return sum(line.qty for line in self.lines)

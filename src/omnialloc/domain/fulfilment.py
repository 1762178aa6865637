"""What a warehouse runs on beyond the shipment itself: who sells on paper, default boxes, issued
invoices, carrier bookings and carrier pickups (pure types; the store keeps them, services use them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class NodeSeller:
    """The registration a node ships under, as invoices print it (its GSTIN is ``Node.gstin``)."""

    node: str
    legal_name: str
    invoice_prefix: str
    phone: str = ""


@dataclass(frozen=True)
class SkuBox:
    """The box a SKU is packed in by default (one unit), and what the empty box weighs."""

    sku: str
    length_mm: int
    width_mm: int
    height_mm: int
    box_weight_g: int = 0

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@dataclass(frozen=True)
class IssuedInvoice:
    id: str
    shipment_id: str
    node: str
    fy_start_year: int
    serial: int
    number: str
    issued_at: datetime
    snapshot: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class IssuedCreditNote:
    """A GST credit note against one issued invoice (goods returned, or credited by hand)."""

    id: str
    invoice_id: str
    shipment_id: str
    node: str
    fy_start_year: int
    serial: int
    number: str
    source: str              # what caused it: "return:<id>", "manual:<key>"; one note per invoice and source
    issued_at: datetime
    snapshot: dict[str, Any] = field(repr=False)


class CursorMoved(Exception):
    """Another booker moved an AWB range's cursor since this transaction read it: run it again."""


class BookingStatus:
    PENDING = "pending"        # due at next_attempt_at
    BOOKING = "booking"        # a worker holds it until claimed_until
    BOOKED = "booked"
    FAILED = "failed"          # transient failure: retried with backoff
    REJECTED = "rejected"      # the carrier said no: a person changes something and books again
    CANCELLING = "cancelling"  # its shipment was cancelled: the carrier is to be told (retried with backoff)
    CANCELLED = "cancelled"    # the shipment was rejected / cancelled after booking: the AWB voided / cancelled with the carrier


@dataclass(frozen=True)
class CarrierBookingState:
    shipment_id: str
    carrier: str
    status: str
    awb: str | None = None
    carrier_ref: str = ""
    routing_code: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_until: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class CarrierPickup:
    """A carrier's collection from a node on a day, with the shipments on its manifest."""

    id: str
    node: str
    carrier: str
    day: date
    status: str                # requested | handed_over
    reference: str
    created_at: datetime
    shipments: tuple[str, ...] = ()
    handed_over: tuple[str, ...] = ()

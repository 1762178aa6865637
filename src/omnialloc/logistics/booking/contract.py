"""The carrier booking interface: book a shipment (AWB and label data), cancel it, request a pickup, read tracking.

Every adapter (an AWB series handed out by the carrier, a carrier's REST API)
speaks these types, with the domain's ``Address`` and ``PaymentMode``. Money is integer paise, weight integer grams, lengths
integer millimetres, times timezone-aware UTC.

Failures are ``BookingError`` with ``transient`` saying whether the same request
may succeed later (the carrier was down, slow, or rate-limited: retry with
backoff) or not (the carrier rejected it: the shipment stays packed and shows
``message`` to a person). ``idempotency_key`` is the same for every attempt to
book one shipment, so a retry after a lost answer never books twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.orders import Address


class BookingError(Exception):
    """The carrier did not book / cancel / schedule. ``transient``: worth retrying later."""

    transient: bool = False

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 attempts: int = 1):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.attempts = attempts


class CarrierUnavailable(BookingError):
    """No answer, a 5xx, a timeout or a rate limit, still so after the adapter's own retries."""

    transient = True


class BookingRejected(BookingError):
    """The carrier refused the request (4xx, or a 2xx that says it failed): a person must change something."""


class Unsupported(BookingError):
    """This adapter cannot do that (an AWB series has no tracking API)."""


def _whole(value: object, name: str, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Parcel:
    weight_g: int
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0

    def __post_init__(self) -> None:
        _whole(self.weight_g, "weight_g", 1)
        for name in ("length_mm", "width_mm", "height_mm"):
            _whole(getattr(self, name), name)


@dataclass(frozen=True, kw_only=True)
class BookedItem:
    sku: str
    name: str
    qty: int
    unit_price_paise: int = 0
    hsn: str = ""

    def __post_init__(self) -> None:
        _whole(self.qty, f"qty of {self.sku}", 1)
        _whole(self.unit_price_paise, f"unit_price_paise of {self.sku}")


@dataclass(frozen=True, kw_only=True)
class BookingRequest:
    """One packed shipment to hand to a carrier."""

    shipment_ref: str                     # our shipment id: the idempotency key is derived from it
    order_ref: str                        # what the customer knows the order as
    carrier: str                          # our carrier code
    service: str                          # the carrier's service / mode ("surface", "express")
    ship_from: Address                    # the node (pickup address)
    ship_to: Address
    return_to: Address
    parcel: Parcel
    payment: PaymentMode
    items: tuple[BookedItem, ...]
    cod_paise: int = 0                    # amount to collect (COD only)
    declared_value_paise: int = 0         # invoice value of the goods
    invoice_number: str = ""
    pickup_date: date | None = None

    def __post_init__(self) -> None:
        if not self.shipment_ref or not self.order_ref:
            raise ValueError("a booking needs our shipment and order references")
        if not isinstance(self.items, tuple) or not self.items:
            raise ValueError("a booking needs its items (a tuple of BookedItem)")
        _whole(self.cod_paise, "cod_paise")
        _whole(self.declared_value_paise, "declared_value_paise")
        if (self.payment is PaymentMode.COD) != (self.cod_paise > 0):
            raise ValueError("COD shipments collect an amount > 0; prepaid shipments collect 0")

    @property
    def idempotency_key(self) -> str:
        """Stable across attempts and processes: the carrier sees one shipment however often we ask."""
        return f"omnialloc-book-{self.carrier}-{self.shipment_ref}"


@dataclass(frozen=True)
class LabelData:
    """What the label needs from the carrier beyond our own data."""

    routing_code: str = ""                # sort / destination code printed large
    label_url: str = ""                   # the carrier's own label, when it renders one
    label_pdf: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class Booking:
    awb: str
    carrier_ref: str = ""                 # the carrier's own id for the booking, if any
    label: LabelData = LabelData()


@dataclass(frozen=True, kw_only=True)
class PickupRequest:
    """Ask the carrier to collect packed shipments from a node on a day."""

    node: str                             # our node code
    address: Address
    pickup_date: date
    ready_from: str = "10:00"             # local time at the node, HH:MM
    ready_until: str = "18:00"
    awbs: tuple[str, ...] = ()
    parcels: int = 0
    total_weight_g: int = 0

    @property
    def idempotency_key(self) -> str:
        return f"omnialloc-pickup-{self.node}-{self.pickup_date.isoformat()}"


@dataclass(frozen=True)
class Pickup:
    reference: str
    pickup_date: date


@dataclass(frozen=True)
class TrackingScan:
    at: datetime                          # UTC
    status: str                           # the carrier's status code or word, as given
    location: str = ""
    remark: str = ""


@runtime_checkable
class CarrierBooking(Protocol):
    """Book, cancel, request pickups and read tracking for one carrier. Raises ``BookingError``."""

    carrier: str

    def book(self, request: BookingRequest) -> Booking: ...

    def cancel(self, awb: str) -> None: ...

    def schedule_pickup(self, request: PickupRequest) -> Pickup: ...

    def track(self, awb: str) -> list[TrackingScan]: ...

    def close(self) -> None: ...

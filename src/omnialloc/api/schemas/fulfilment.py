"""Fulfilment a warehouse runs (issue 26): the shipping node's view, documents, carrier booking and pickups."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, Id, Open, Strict, WholeNumber
from omnialloc.domain.quantities import QTY_MAX

Awb = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[!-~]+$")]
Day = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
HhMm = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


# ---------------------------------------------------------------- documents
class LabelQuery(Strict):
    size: Literal["4x6", "a4"] = "4x6"

    model_config = ConfigDict(strict=False, extra="forbid")


class BundleIn(Strict):
    shipment_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    documents: Annotated[list[Literal["label", "invoice", "packing_slip"]], Field(min_length=1, max_length=3)] = \
        ["label"]
    size: Literal["4x6", "a4"] = "4x6"


# ---------------------------------------------------------------- setup
class SellerIn(Strict):
    legal_name: Annotated[str, Field(min_length=1, max_length=200)]
    invoice_prefix: Annotated[str, Field(min_length=1, max_length=5, pattern=r"^[A-Za-z0-9]+$")]
    phone: Annotated[str, Field(max_length=20, pattern=r"^[0-9+()\- ]*$")] = ""


class SellerOut(Open):
    node: str
    legal_name: str
    invoice_prefix: str
    phone: str


class BoxIn(Strict):
    length_mm: Annotated[int, Field(gt=0, le=5_000), WholeNumber]
    width_mm: Annotated[int, Field(gt=0, le=5_000), WholeNumber]
    height_mm: Annotated[int, Field(gt=0, le=5_000), WholeNumber]
    box_weight_g: Annotated[int, Field(ge=0, le=100_000), WholeNumber] = 0


class BoxOut(Open):
    sku: str
    length_mm: int
    width_mm: int
    height_mm: int
    box_weight_g: int = 0


# ---------------------------------------------------------------- carrier booking
class BookingConfigIn(Strict):
    kind: Literal["series", "rest"]
    settings: dict[str, Any] = Field(default_factory=dict, description="rest: RestCarrierConfig settings "
                                     "(docs/carriers.md); series: optional routing_codes {PIN prefix: sort code}")


class BookingConfigOut(Open):
    carrier: str
    kind: str


class AwbRangeIn(Strict):
    first_awb: Annotated[str | None, Field(min_length=1, max_length=40)] = None
    last_awb: Annotated[str | None, Field(min_length=1, max_length=40)] = None
    first: Annotated[int, Field(ge=0, le=10**18 - 1), WholeNumber] | None = None
    last: Annotated[int, Field(ge=0, le=10**18 - 1), WholeNumber] | None = None
    width: Annotated[int, Field(ge=1, le=18), WholeNumber] | None = None
    prefix: Annotated[str | None, Field(max_length=12)] = None
    suffix: Annotated[str | None, Field(max_length=12)] = None
    check: Literal["none", "mod7", "s10"] = "none"


class AwbRangeOut(Open):
    id: str
    carrier: str
    first_awb: str
    last_awb: str
    size: int
    remaining: int


class AwbSeriesOut(Open):
    carrier: str
    remaining: int
    ranges: list[dict[str, Any]]


class TrackingConfigIn(Strict):
    settings: dict[str, Any] = Field(description="The carrier's tracking API: base_url, token, track {method, path "
                                     "with {awb}}, scans_path and the scan_*_path fields (docs/carriers.md), "
                                     "status_map {carrier word: picked_up|in_transit|out_for_delivery|delivered|"
                                     "failed_attempt|rto_initiated|rto_delivered}, poll_minutes (5-1440, 30)")


class TrackingConfigOut(Open):
    carrier: str
    settings: dict[str, Any] = Field(description="As configured, without the token")
    failures: int = Field(description="Consecutive polls the carrier did not answer")
    next_poll_at: str | None = Field(description="Backing off after failures: no poll before this")
    last_error: str | None


# ---------------------------------------------------------------- credit notes
Sku = Annotated[str, Field(min_length=1, max_length=64)]


class CreditLineIn(Strict):
    sku: Sku
    qty: Annotated[int, Field(ge=1, le=QTY_MAX), WholeNumber]


class CreditNoteIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]+$")]
    lines: Annotated[list[CreditLineIn], Field(max_length=200)] | None = Field(
        default=None, description="Units to credit; omitted: every unit of the invoice not yet credited")


class CreditNoteOut(Open):
    id: str
    number: str = Field(description="PREFIX/YYYY/CNNNN, from the node's credit-note series for the year")
    invoice_number: str = Field(description="The tax invoice it reduces")
    shipment_id: str
    issued_at: str
    reason: str
    items: list[dict[str, Any]]
    taxable_paise: int
    tax_paise: int
    total_paise: int


class CreditNotesOut(Open):
    shipment_id: str
    invoice_number: str | None
    credit_notes: list[CreditNoteOut]


# ---------------------------------------------------------------- the shipping node's view
class ShipToOut(Open):
    name: str
    line1: str
    line2: str
    city: str
    state: str
    pin: str
    phone: str


class ShippingItemOut(Open):
    sku: str
    name: str
    qty: int
    barcode: str = Field(description="What to scan: the product's first barcode, else the SKU")
    barcodes: list[str]


class BookingOut(Open):
    status: str = Field(description="pending, booking, booked, failed (retried with backoff), rejected, "
                        "cancelling (its shipment was cancelled; the carrier is told, retried with backoff) "
                        "or cancelled")
    awb: str | None
    attempts: int
    error: str | None = Field(description="The carrier's words on the last failure")
    next_attempt_at: str | None


class ShippingViewOut(Open):
    id: str
    order_id: str
    order_ref: str
    node: str
    status: str
    carrier: str
    service: str
    awb: str | None
    dispatch_by: str | None
    ship_to: ShipToOut
    payment_mode: str
    cod_paise: int = Field(description="Cash to collect on delivery (0 for prepaid)")
    items: list[ShippingItemOut]
    weight_g: int
    billed_weight_g: int
    box: dict[str, int] | None
    default_box: dict[str, int] | None
    booking: BookingOut | None
    invoice_number: str | None
    credit_notes: list[str] = Field(default_factory=list, description="Numbers of the credit notes against its "
                                    "invoice")
    tracking_poll: dict[str, Any] | None = Field(default=None, description="Tracking pulled from the carrier: "
                                                 "polled_at, next_poll_at, failures, error")
    pickup_id: str | None


# ---------------------------------------------------------------- carrier pickups
class PickupQuery(Strict):
    date: Day | None = None

    model_config = ConfigDict(strict=False, extra="forbid")


class PickupIn(Strict):
    carrier: Code
    date: Day | None = None
    ready_from: HhMm = "10:00"
    ready_until: HhMm = "18:00"


class HandoverIn(Strict):
    awb: Awb


class PickupOut(Open):
    id: str
    node: str
    carrier: str
    date: str
    status: str
    reference: str
    shipments: list[str]
    handed_over: list[str]
    count: int
    pending_handover: int


class PickupBoardOut(Open):
    node: str
    date: str
    pickups: list[PickupOut]
    missing_pickup: list[dict[str, Any]] = Field(description="Packed, booked shipments on no pickup yet, by carrier")
    missing_pickup_total: int

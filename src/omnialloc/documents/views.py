"""What each printed document shows, in the domain's words: shipping label, tax invoice, packing slip, manifest.

A view is a frozen value built by whoever prints (a service reading the store, a test, a script); the
renderers turn it into PDF and read nothing else. Views check themselves when built: a view that
exists can be printed, and a bad one raises ``ValidationFailed`` naming every field at fault
(``items.2.qty``), which the API answers with a 422 like any other bad input.

Times are aware datetimes (UTC in the store); each view carries the IANA time zone of the node that
prints it (default Asia/Kolkata) and every date on paper is that node's wall clock. ``issued_at`` is
also the PDF's creation date, so the same view renders to the same bytes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.domain.gst import BP_PER_UNIT, GST_CODE_OF_STATE, TaxSplit, normalize_gstin, split_invoice, state_of_gstin

DEFAULT_TIMEZONE = "Asia/Kolkata"

_PIN = re.compile(r"^[1-9][0-9]{5}$")
_PHONE = re.compile(r"^[0-9+()\- ]{6,20}$")
_BARCODE_TEXT = re.compile(r"^[!-~]{1,40}$")      # printable ASCII without spaces: Code 128 encodes it
_HSN = re.compile(r"^([0-9]{4}|[0-9]{6}|[0-9]{8})$")  # HSN (goods) or SAC (services, 99xxxx)
_INVOICE_NUMBER = re.compile(r"^[A-Za-z0-9/\-]{1,16}$")  # CGST Rules 46(b)
_TEXT_MAX = 200
_REF_MAX = 64


class _Problems:
    """Collects every field error of one view, so a caller fixes them all in one go."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def text(self, path: str, value: object, *, required: bool = True, limit: int = _TEXT_MAX) -> None:
        if not isinstance(value, str):
            self.add(path, "must be text")
        elif required and not value.strip():
            self.add(path, "must not be empty")
        elif len(value) > limit:
            self.add(path, f"at most {limit} characters")
        elif any(unicodedata.category(ch) == "Cc" for ch in value):
            self.add(path, "must not contain control characters (line breaks, tabs, escapes)")

    def whole(self, path: str, value: object, *, minimum: int = 0) -> bool:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.add(path, f"must be a whole number >= {minimum}")
            return False
        return True

    def pattern(self, path: str, value: object, regex: re.Pattern[str], message: str, *, required: bool = True) -> None:
        if not isinstance(value, str):
            self.add(path, "must be text")
        elif (value or required) and not regex.match(value):
            self.add(path, message)

    def gstin(self, path: str, value: object, *, required: bool) -> None:
        if value == "" and not required:
            return
        try:
            normalize_gstin(value, field=path)  # type: ignore[arg-type]
        except ValidationFailed as exc:
            self.errors.extend(exc.field_errors)

    def moment(self, path: str, value: object, *, required: bool = True) -> None:
        if value is None and not required:
            return
        if not isinstance(value, datetime) or value.tzinfo is None:
            self.add(path, "must be a timezone-aware date and time")

    def zone(self, path: str, value: object) -> None:
        try:
            ZoneInfo(value)  # type: ignore[arg-type]
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            self.add(path, "must be an IANA time zone name such as Asia/Kolkata")

    def raise_if_any(self, what: str) -> None:
        if self.errors:
            listed = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
            raise ValidationFailed(f"cannot print the {what}: {listed}", field_errors=self.errors)


@dataclass(frozen=True, kw_only=True)
class PostalAddress:
    """A name and where to find them, as it goes on paper. ``state`` is printed as given."""

    name: str
    line1: str
    city: str
    state: str
    pin: str
    line2: str = ""
    phone: str = ""

    def check(self, p: _Problems, path: str) -> None:
        p.text(f"{path}.name", self.name)
        p.text(f"{path}.line1", self.line1)
        p.text(f"{path}.line2", self.line2, required=False)
        p.text(f"{path}.city", self.city, limit=_REF_MAX)
        p.text(f"{path}.state", self.state, limit=_REF_MAX)
        p.pattern(f"{path}.pin", self.pin, _PIN, "a PIN code is 6 digits, not starting with 0")
        p.pattern(f"{path}.phone", self.phone, _PHONE, "6 to 20 digits, spaces, +, - or brackets", required=False)

    @property
    def street(self) -> tuple[str, ...]:
        return tuple(x for x in (self.line1, self.line2) if x.strip())

    @property
    def city_line(self) -> str:
        return f"{self.city}, {self.state} {self.pin}"


@dataclass(frozen=True, kw_only=True)
class Item:
    """One line of goods: what it is, how to scan it, how many, and at what price and tax."""

    sku: str
    name: str
    qty: int
    unit_price_paise: int = 0     # selling price of one unit; inclusive of GST unless the invoice says not
    discount_paise: int = 0       # off the whole line
    barcode: str = ""             # what is printed on the product (EAN/UPC/GTIN or the SKU's own)
    hsn: str = ""                 # HSN code (goods) or SAC (services such as shipping charges)
    gst_rate_bp: int = 0          # basis points: 1800 = 18 %

    def check(self, p: _Problems, path: str) -> None:
        p.text(f"{path}.sku", self.sku, limit=_REF_MAX)
        p.text(f"{path}.name", self.name)
        qty_ok = p.whole(f"{path}.qty", self.qty, minimum=1)
        price_ok = p.whole(f"{path}.unit_price_paise", self.unit_price_paise)
        if p.whole(f"{path}.discount_paise", self.discount_paise) and qty_ok and price_ok \
                and self.discount_paise > self.qty * self.unit_price_paise:
            p.add(f"{path}.discount_paise", "cannot exceed quantity x unit price")
        p.pattern(f"{path}.barcode", self.barcode, _BARCODE_TEXT,
                  "1 to 40 printable ASCII characters without spaces", required=False)
        p.pattern(f"{path}.hsn", self.hsn, _HSN, "an HSN or SAC code of 4, 6 or 8 digits", required=False)
        if p.whole(f"{path}.gst_rate_bp", self.gst_rate_bp) and self.gst_rate_bp > BP_PER_UNIT:
            p.add(f"{path}.gst_rate_bp", "at most 10000 basis points (100 %)")

    @property
    def amount_paise(self) -> int:
        """What the line comes to: quantity x unit price, less the discount."""
        return self.qty * self.unit_price_paise - self.discount_paise


def _check_items(p: _Problems, items: tuple[Item, ...], *, priced: bool) -> None:
    if not isinstance(items, tuple) or not items:
        p.add("items", "at least one item, as a tuple")
        return
    for i, item in enumerate(items):
        item.check(p, f"items.{i}")
        if priced and not item.hsn:
            p.add(f"items.{i}.hsn", "a tax invoice needs the HSN (or SAC) code of every line")


def _check_payment(p: _Problems, payment: object, cod_paise: object) -> None:
    if not isinstance(payment, PaymentMode):
        p.add("payment", "COD or PREPAID")
    elif p.whole("cod_paise", cod_paise):
        if payment is PaymentMode.COD and cod_paise == 0:
            p.add("cod_paise", "a COD shipment needs the amount to collect")
        if payment is PaymentMode.PREPAID and cod_paise != 0:
            p.add("cod_paise", "a prepaid shipment collects nothing: 0")


class _Dated:
    """Mixin for views that print dates: the node's wall clock for any aware datetime."""

    timezone: str
    issued_at: datetime

    def local(self, at: datetime) -> datetime:
        return at.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True, kw_only=True)
class LabelView(_Dated):
    """A shipping label: what the carrier's people read and scan from pickup to the doorstep."""

    carrier: str
    service: str
    awb: str
    order_ref: str
    ship_to: PostalAddress
    return_to: PostalAddress
    weight_g: int
    payment: PaymentMode
    cod_paise: int = 0
    items: tuple[Item, ...] = ()
    shipment_ref: str = ""
    seller_name: str = ""
    seller_gstin: str = ""
    invoice_number: str = ""
    invoice_value_paise: int = 0       # declared value of the goods (0: not printed)
    dimensions_mm: tuple[int, int, int] | None = None
    routing_code: str = ""             # the carrier's sort or destination code, printed large
    dispatch_by: datetime | None = None
    issued_at: datetime
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        p = _Problems()
        p.text("carrier", self.carrier, limit=_REF_MAX)
        p.text("service", self.service, required=False, limit=_REF_MAX)
        p.pattern("awb", self.awb, _BARCODE_TEXT, "1 to 40 printable ASCII characters without spaces")
        p.text("order_ref", self.order_ref, limit=_REF_MAX)
        p.text("shipment_ref", self.shipment_ref, required=False, limit=_REF_MAX)
        self.ship_to.check(p, "ship_to")
        self.return_to.check(p, "return_to")
        p.whole("weight_g", self.weight_g, minimum=1)
        _check_payment(p, self.payment, self.cod_paise)
        if not isinstance(self.items, tuple):
            p.add("items", "a tuple of items")
        else:
            for i, item in enumerate(self.items):
                item.check(p, f"items.{i}")
        p.text("seller_name", self.seller_name, required=False)
        p.gstin("seller_gstin", self.seller_gstin, required=False)
        p.pattern("invoice_number", self.invoice_number, _INVOICE_NUMBER, "up to 16 letters, digits, - or /",
                  required=False)
        p.whole("invoice_value_paise", self.invoice_value_paise)
        if self.dimensions_mm is not None and (
                not isinstance(self.dimensions_mm, tuple) or len(self.dimensions_mm) != 3
                or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in self.dimensions_mm)):
            p.add("dimensions_mm", "three whole millimetres >= 1: length, width, height")
        p.text("routing_code", self.routing_code, required=False, limit=16)
        p.moment("dispatch_by", self.dispatch_by, required=False)
        p.moment("issued_at", self.issued_at)
        p.zone("timezone", self.timezone)
        p.raise_if_any("shipping label")

    @property
    def units(self) -> int:
        return sum(item.qty for item in self.items)


@dataclass(frozen=True, kw_only=True)
class InvoiceView(_Dated):
    """A GST tax invoice for one shipment, issued by the node that ships it."""

    invoice_number: str
    seller_name: str                   # legal name of the registered person
    seller_gstin: str                  # the shipping node's registration
    seller_address: PostalAddress
    bill_to: PostalAddress
    ship_to: PostalAddress
    place_of_supply: str               # state code (KA, MH, ...) where the goods are delivered
    items: tuple[Item, ...]
    order_ref: str
    payment: PaymentMode
    buyer_gstin: str = ""              # for a registered buyer (B2B)
    prices_include_tax: bool = True
    order_date: datetime | None = None
    shipment_ref: str = ""
    awb: str = ""
    carrier: str = ""
    copy_label: str = "Original for Recipient"
    issued_at: datetime
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        p = _Problems()
        p.pattern("invoice_number", self.invoice_number, _INVOICE_NUMBER, "1 to 16 letters, digits, - or /")
        p.text("seller_name", self.seller_name)
        p.gstin("seller_gstin", self.seller_gstin, required=True)
        self.seller_address.check(p, "seller_address")
        self.bill_to.check(p, "bill_to")
        self.ship_to.check(p, "ship_to")
        if self.place_of_supply not in GST_CODE_OF_STATE:
            p.add("place_of_supply", "a state code such as KA, MH or DL")
        _check_items(p, self.items, priced=True)
        p.text("order_ref", self.order_ref, limit=_REF_MAX)
        if not isinstance(self.payment, PaymentMode):
            p.add("payment", "COD or PREPAID")
        p.gstin("buyer_gstin", self.buyer_gstin, required=False)
        if not isinstance(self.prices_include_tax, bool):
            p.add("prices_include_tax", "true or false")
        p.moment("order_date", self.order_date, required=False)
        p.text("shipment_ref", self.shipment_ref, required=False, limit=_REF_MAX)
        p.text("awb", self.awb, required=False, limit=_REF_MAX)
        p.text("carrier", self.carrier, required=False, limit=_REF_MAX)
        p.text("copy_label", self.copy_label, required=False, limit=_REF_MAX)
        p.moment("issued_at", self.issued_at)
        p.zone("timezone", self.timezone)
        p.raise_if_any("tax invoice")
        object.__setattr__(self, "seller_gstin", normalize_gstin(self.seller_gstin))
        if self.buyer_gstin:
            object.__setattr__(self, "buyer_gstin", normalize_gstin(self.buyer_gstin))

    @property
    def supplier_state(self) -> str:
        return state_of_gstin(self.seller_gstin)

    @cached_property
    def tax(self) -> TaxSplit:
        """Taxable value and CGST + SGST/UTGST or IGST per line and in total (see domain.gst)."""
        return split_invoice(((item.hsn, item.amount_paise, item.gst_rate_bp) for item in self.items),
                             supplier_state=self.supplier_state, place_of_supply=self.place_of_supply,
                             tax_inclusive=self.prices_include_tax)


@dataclass(frozen=True, kw_only=True)
class CreditNoteView(InvoiceView):
    """A GST credit note (CGST Act section 34, CGST Rules 53(1A)): goods of an invoiced shipment came back, so
    the taxable value and tax of that invoice are reduced by what the note shows.

    It is an invoice's layout with its own title and number (``invoice_number`` holds the credit note's number,
    from the node's credit-note series) and the invoice it reduces: ``against_invoice`` and its date. Its items
    are the units credited, at the invoice's prices and rates."""

    against_invoice: str
    against_invoice_date: datetime
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        p = _Problems()
        p.pattern("against_invoice", self.against_invoice, _INVOICE_NUMBER, "1 to 16 letters, digits, - or /")
        p.moment("against_invoice_date", self.against_invoice_date)
        p.text("reason", self.reason)
        p.raise_if_any("credit note")


@dataclass(frozen=True, kw_only=True)
class PackingSlipView(_Dated):
    """What goes in the box, for the packer to check against and the buyer to read; no prices."""

    order_ref: str
    node_code: str
    node_name: str
    ship_to: PostalAddress
    items: tuple[Item, ...]
    shipment_ref: str = ""
    carrier: str = ""
    service: str = ""
    awb: str = ""
    box: str = ""                      # box type code, e.g. "B2 (30 x 20 x 10 cm)"
    weight_g: int = 0
    order_date: datetime | None = None
    dispatch_by: datetime | None = None
    note: str = ""                     # gift message or instructions, printed as given
    issued_at: datetime
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        p = _Problems()
        p.text("order_ref", self.order_ref, limit=_REF_MAX)
        p.text("node_code", self.node_code, limit=_REF_MAX)
        p.text("node_name", self.node_name)
        self.ship_to.check(p, "ship_to")
        _check_items(p, self.items, priced=False)
        p.text("shipment_ref", self.shipment_ref, required=False, limit=_REF_MAX)
        p.text("carrier", self.carrier, required=False, limit=_REF_MAX)
        p.text("service", self.service, required=False, limit=_REF_MAX)
        p.pattern("awb", self.awb, _BARCODE_TEXT, "1 to 40 printable ASCII characters without spaces",
                  required=False)
        p.text("box", self.box, required=False, limit=_REF_MAX)
        p.whole("weight_g", self.weight_g)
        p.moment("order_date", self.order_date, required=False)
        p.moment("dispatch_by", self.dispatch_by, required=False)
        p.text("note", self.note, required=False, limit=500)
        p.moment("issued_at", self.issued_at)
        p.zone("timezone", self.timezone)
        p.raise_if_any("packing slip")

    @property
    def units(self) -> int:
        return sum(item.qty for item in self.items)


@dataclass(frozen=True, kw_only=True)
class ManifestEntry:
    """One shipment handed over: the AWB the carrier scans and what the pickup agent must check."""

    awb: str
    order_ref: str
    destination_city: str
    destination_pin: str
    weight_g: int
    payment: PaymentMode
    cod_paise: int = 0
    packages: int = 1

    def check(self, p: _Problems, path: str) -> None:
        p.pattern(f"{path}.awb", self.awb, _BARCODE_TEXT, "1 to 40 printable ASCII characters without spaces")
        p.text(f"{path}.order_ref", self.order_ref, limit=_REF_MAX)
        p.text(f"{path}.destination_city", self.destination_city, limit=_REF_MAX)
        p.pattern(f"{path}.destination_pin", self.destination_pin, _PIN, "a PIN code is 6 digits, not starting with 0")
        p.whole(f"{path}.weight_g", self.weight_g, minimum=1)
        p.whole(f"{path}.packages", self.packages, minimum=1)
        sub = _Problems()
        _check_payment(sub, self.payment, self.cod_paise)
        for e in sub.errors:
            p.add(f"{path}.{e.field}", e.message)


@dataclass(frozen=True, kw_only=True)
class ManifestView(_Dated):
    """The handover sheet for one pickup: a node's packed shipments for one carrier, signed by both sides."""

    manifest_ref: str
    node_code: str
    node_name: str
    node_address: PostalAddress
    carrier: str
    entries: tuple[ManifestEntry, ...]
    pickup_ref: str = ""               # the carrier's pickup request number
    pickup_at: datetime | None = None  # the pickup slot agreed with the carrier
    issued_at: datetime
    timezone: str = DEFAULT_TIMEZONE
    totals: "ManifestTotals" = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        p = _Problems()
        p.pattern("manifest_ref", self.manifest_ref, _BARCODE_TEXT, "1 to 40 printable ASCII characters without spaces")
        p.text("node_code", self.node_code, limit=_REF_MAX)
        p.text("node_name", self.node_name)
        self.node_address.check(p, "node_address")
        p.text("carrier", self.carrier, limit=_REF_MAX)
        if not isinstance(self.entries, tuple) or not self.entries:
            p.add("entries", "at least one shipment, as a tuple")
        else:
            seen: dict[str, int] = {}
            for i, entry in enumerate(self.entries):
                entry.check(p, f"entries.{i}")
                if entry.awb in seen:
                    p.add(f"entries.{i}.awb", f"AWB {entry.awb} is already on this manifest (entries.{seen[entry.awb]})")
                seen.setdefault(entry.awb, i)
        p.text("pickup_ref", self.pickup_ref, required=False, limit=_REF_MAX)
        p.moment("pickup_at", self.pickup_at, required=False)
        p.moment("issued_at", self.issued_at)
        p.zone("timezone", self.timezone)
        p.raise_if_any("manifest")
        object.__setattr__(self, "totals", ManifestTotals.of(self.entries))


@dataclass(frozen=True)
class ManifestTotals:
    """What the pickup agent counts and signs for."""

    shipments: int
    packages: int
    prepaid: int
    cod: int
    cod_paise: int
    weight_g: int

    @classmethod
    def of(cls, entries: tuple[ManifestEntry, ...]) -> ManifestTotals:
        cod = [e for e in entries if e.payment is PaymentMode.COD]
        return cls(shipments=len(entries), packages=sum(e.packages for e in entries),
                   prepaid=len(entries) - len(cod), cod=len(cod), cod_paise=sum(e.cod_paise for e in cod),
                   weight_g=sum(e.weight_g for e in entries))

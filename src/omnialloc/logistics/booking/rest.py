"""A carrier's REST API, configured instead of coded: base URL, token and a field mapping.

Most Indian carriers and aggregators offer "create shipment -> AWB", "cancel",
"pickup request" and "track" over JSON with a bearer token, in shapes of their
own. ``RestCarrierConfig`` says where each call goes (method, path), what body to
send (a template over the booking, ``mapping.render``) and where the answer keeps
the AWB, the routing code, the label, the pickup reference and the scans.

Each call is retried inside the adapter on what may pass (no answer, a timeout,
408/425/429, 5xx) with exponential backoff, honouring ``Retry-After`` up to
``max_retry_after_seconds`` (a longer wait is handed back to the outbox as
``CarrierUnavailable.retry_after`` instead of holding a worker). Every attempt to
book one shipment carries the same idempotency key, in the
``Idempotency-Key`` header (configurable) and as ``{{ idempotency_key }}`` for
carriers that deduplicate on a reference field: a retry after a lost answer
never books twice. A 4xx, or a 2xx that says it failed (``success_path`` false,
``error_path`` set), is ``BookingRejected`` with the carrier's words.
"""

from __future__ import annotations

import base64
import binascii
import logging
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from omnialloc.edge.http import Endpoint, Reply, Timeouts, check_base_url, make_client
from omnialloc.edge.secrets import Redactor
from omnialloc.logistics.booking import mapping
from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.orders import Address
from omnialloc.logistics.booking.contract import (BookedItem, Booking, BookingRejected, BookingRequest,
                                                  CarrierUnavailable, LabelData, Parcel, Pickup, PickupRequest,
                                                  TrackingScan, Unsupported)
from omnialloc.notify.backoff import retry_delay

log = logging.getLogger("omnialloc.logistics.booking.rest")

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Call:
    """One endpoint: ``path`` may hold ``{awb}`` / ``{shipment_ref}``; ``body`` is a template (None: no body)."""

    method: str
    path: str
    body: Any = None

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ValueError(f"HTTP method must be one of {sorted(_METHODS)}, got {self.method!r}")
        if not isinstance(self.path, str) or not self.path.startswith("/"):
            raise ValueError(f"a carrier path starts with /, got {self.path!r}")
        try:
            named = {name for _, name, _, _ in string.Formatter().parse(self.path) if name is not None}
        except ValueError as exc:
            raise ValueError(f"carrier path {self.path!r}: {exc}") from None
        if not named <= {"awb", "shipment_ref"}:
            raise ValueError(f"carrier path {self.path!r} may name {{awb}} and {{shipment_ref}} only")


@dataclass(frozen=True, kw_only=True)
class RestCarrierConfig:
    carrier: str
    base_url: str
    token: str = field(repr=False)
    book: Call | None = None              # None: a tracking-only configuration (tracking pulled, booked otherwise)
    awb_path: str = ""
    carrier_ref_path: str = ""
    routing_code_path: str = ""
    label_url_path: str = ""
    label_pdf_path: str = ""              # base64 of a PDF
    success_path: str = ""                # a 2xx books only if this is true (carriers that answer 200 to errors)
    error_path: str = ""                  # a 2xx with a value here failed; the value is the carrier's reason
    cancel: Call | None = None
    pickup: Call | None = None
    pickup_ref_path: str = ""
    track: Call | None = None
    scans_path: str = ""
    scan_time_path: str = "time"
    scan_status_path: str = "status"
    scan_location_path: str = "location"
    scan_remark_path: str = "remark"
    timezone: str = "Asia/Kolkata"        # for scan times the carrier sends without an offset
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"           # "" sends the bare token
    idempotency_header: str = "Idempotency-Key"
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 8.0
    max_retry_after_seconds: float = 30.0
    timeouts: Timeouts = field(default_factory=Timeouts)

    def __post_init__(self) -> None:
        if not self.carrier:
            raise ValueError("a REST carrier needs its carrier code")
        if not self.token:
            raise ValueError(f"{self.carrier}: an API token is required")
        if self.book is None and self.track is None:
            raise ValueError(f"{self.carrier}: configure the book call (or, for tracking only, the track call)")
        if self.book is not None and not self.awb_path:
            raise ValueError(f"{self.carrier}: awb_path (where the answer keeps the AWB) is required")
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or not 1 <= self.max_attempts <= 10:
            raise ValueError(f"{self.carrier}: max_attempts must be 1 to 10, got {self.max_attempts!r}")
        for name in ("backoff_seconds", "backoff_max_seconds", "max_retry_after_seconds"):
            if not isinstance(getattr(self, name), (int, float)) or getattr(self, name) < 0:
                raise ValueError(f"{self.carrier}: {name} must be a number of seconds >= 0")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{self.carrier}: unknown time zone {self.timezone!r}") from None
        if self.track is not None and not self.scans_path:
            raise ValueError(f"{self.carrier}: tracking needs scans_path (where the answer keeps the scans)")
        check_base_url(self.base_url, f"{self.carrier} base URL")
        for name, call, sample in (("book", self.book, booking_context(SAMPLE_BOOKING)),
                                   ("cancel", self.cancel, {"awb": "X", "idempotency_key": "k"}),
                                   ("pickup", self.pickup, pickup_context(SAMPLE_PICKUP)),
                                   ("track", self.track, {"awb": "X"})):
            if call is not None:
                try:
                    mapping.check(call.body, sample)
                except mapping.TemplateError as exc:
                    raise ValueError(f"{self.carrier} {name} body: {exc}") from None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RestCarrierConfig:
        """From settings or an admin's JSON: calls as ``{"method", "path", "body"}``, timeouts in seconds."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown carrier settings: {', '.join(unknown)}")
        values = dict(data)
        for name in ("book", "cancel", "pickup", "track"):
            if values.get(name) is not None and not isinstance(values[name], (Mapping, Call)):
                raise ValueError(f"{name} is a call: {{\"method\", \"path\", \"body\"}}")
            if isinstance(values.get(name), Mapping):
                call = values[name]
                values[name] = Call(str(call.get("method", "POST")).upper(), call.get("path", ""), call.get("body"))
        try:
            if isinstance(values.get("timeouts"), (int, float)):
                values["timeouts"] = Timeouts.all(values["timeouts"])
            elif isinstance(values.get("timeouts"), Mapping):
                values["timeouts"] = Timeouts(**values["timeouts"])
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"carrier settings: {exc}") from None


def _rupees(paise: int) -> str:
    return str(Decimal(paise) / 100)


def _address(a: Address) -> dict[str, Any]:
    return {"name": a.name, "line1": a.line1, "line2": a.line2, "city": a.city, "state": a.state, "pin": a.pin,
            "phone": a.phone, "email": a.email,
            "street": ", ".join(x for x in (a.line1, a.line2) if x)}


def booking_context(r: BookingRequest) -> dict[str, Any]:
    """What a booking template can name: our words, plus the unit conversions carriers ask for."""
    p = r.parcel
    return {
        "shipment_ref": r.shipment_ref, "order_ref": r.order_ref, "carrier": r.carrier, "service": r.service,
        "idempotency_key": r.idempotency_key, "payment": str(r.payment), "is_cod": r.payment is PaymentMode.COD,
        "cod_paise": r.cod_paise, "cod_rupees": _rupees(r.cod_paise),
        "declared_value_paise": r.declared_value_paise, "declared_value_rupees": _rupees(r.declared_value_paise),
        "invoice_number": r.invoice_number, "pickup_date": r.pickup_date.isoformat() if r.pickup_date else "",
        "ship_from": _address(r.ship_from), "ship_to": _address(r.ship_to), "return_to": _address(r.return_to),
        "parcel": {"weight_g": p.weight_g, "weight_kg": str(Decimal(p.weight_g) / 1000),
                   "length_mm": p.length_mm, "width_mm": p.width_mm, "height_mm": p.height_mm,
                   "length_cm": str(Decimal(p.length_mm) / 10), "width_cm": str(Decimal(p.width_mm) / 10),
                   "height_cm": str(Decimal(p.height_mm) / 10)},
        "items": [{"sku": i.sku, "name": i.name, "qty": i.qty, "unit_price_paise": i.unit_price_paise,
                   "unit_price_rupees": _rupees(i.unit_price_paise), "hsn": i.hsn} for i in r.items],
        "units": sum(i.qty for i in r.items),
    }


def pickup_context(r: PickupRequest) -> dict[str, Any]:
    return {"node": r.node, "address": _address(r.address), "pickup_date": r.pickup_date.isoformat(),
            "ready_from": r.ready_from, "ready_until": r.ready_until, "awbs": list(r.awbs), "parcels": r.parcels,
            "total_weight_g": r.total_weight_g, "total_weight_kg": str(Decimal(r.total_weight_g) / 1000),
            "idempotency_key": r.idempotency_key}


_SAMPLE_ADDRESS = Address(name="n", line1="l", city="c", state="s", pin="110001")
SAMPLE_BOOKING = BookingRequest(shipment_ref="s", order_ref="o", carrier="c", service="x", ship_from=_SAMPLE_ADDRESS,
                                ship_to=_SAMPLE_ADDRESS, return_to=_SAMPLE_ADDRESS, parcel=Parcel(weight_g=1),
                                payment=PaymentMode.PREPAID, items=(BookedItem(sku="s", name="n", qty=1),),
                                pickup_date=date(2026, 1, 1))
SAMPLE_PICKUP = PickupRequest(node="n", address=_SAMPLE_ADDRESS, pickup_date=date(2026, 1, 1), awbs=("a",))


class RestCarrier:
    """``CarrierBooking`` over a configured carrier REST API."""

    def __init__(self, config: RestCarrierConfig, *, client: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], datetime] | None = None):
        self.config = config
        self.carrier = config.carrier
        self._sleep = sleep
        token = f"{config.auth_scheme} {config.token}".strip()
        self._owns_client = client is None
        self._http = Endpoint(check_base_url(config.base_url, f"{config.carrier} base URL"), what=config.carrier,
                              client=client or make_client(config.timeouts), headers={config.auth_header: token},
                              redactor=Redactor([config.token]), clock=clock)

    # -- the exchange with retries ----------------------------------------------------------------------------

    def _exchange(self, call: Call, context: dict[str, Any], key: str | None) -> tuple[Reply, int]:
        path = call.path.format(**{k: quote(str(context.get(k, "")), safe="") for k in ("awb", "shipment_ref")})
        body = mapping.render(call.body, context) if call.body is not None else None
        headers = {self.config.idempotency_header: key} if key and self.config.idempotency_header else {}
        cfg = self.config
        for attempt in range(1, cfg.max_attempts + 1):
            reply = self._http.call(call.method, path, json=body, headers=headers)
            if reply.ok:
                return reply, attempt
            if not reply.transient:
                raise BookingRejected(reply.problem, status=reply.status, attempts=attempt)
            wait = retry_delay(attempt, cfg.backoff_seconds, cfg.backoff_max_seconds).total_seconds()
            if reply.retry_after is not None:
                if reply.retry_after > cfg.max_retry_after_seconds:
                    raise CarrierUnavailable(reply.problem, status=reply.status, retry_after=reply.retry_after,
                                             attempts=attempt)
                wait = max(wait, reply.retry_after)
            if attempt == cfg.max_attempts:
                raise CarrierUnavailable(f"{reply.problem} (after {attempt} attempts)", status=reply.status,
                                         retry_after=reply.retry_after, attempts=attempt)
            log.info("%s %s %s: %s; attempt %d of %d in %.1fs", self.carrier, call.method, call.path, reply.problem,
                     attempt + 1, cfg.max_attempts, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _answer(self, reply: Reply, attempts: int) -> Any:
        data = reply.json()
        cfg = self.config
        if cfg.success_path and not mapping.lookup(data, cfg.success_path):
            reason = mapping.lookup(data, cfg.error_path) if cfg.error_path else None
            raise BookingRejected(f"{self.carrier} refused: {_reason(reason) or 'success is false'}",
                                  status=reply.status, attempts=attempts)
        if cfg.error_path and (reason := mapping.lookup(data, cfg.error_path)):
            raise BookingRejected(f"{self.carrier} refused: {_reason(reason)}", status=reply.status,
                                  attempts=attempts)
        return data

    # -- the interface ----------------------------------------------------------------------------------------

    def book(self, request: BookingRequest) -> Booking:
        if request.carrier != self.carrier:
            raise BookingRejected(f"this adapter books {self.carrier}, not {request.carrier}")
        if self.config.book is None:
            raise Unsupported(f"{self.carrier}: no book call is configured")
        context = booking_context(request)
        reply, attempts = self._exchange(self.config.book, context, request.idempotency_key)
        data = self._answer(reply, attempts)
        awb = mapping.lookup(data, self.config.awb_path)
        if awb in (None, "") or isinstance(awb, (dict, list, bool)):
            raise BookingRejected(f"{self.carrier} answered HTTP {reply.status} without an AWB at "
                                  f"{self.config.awb_path!r}", status=reply.status, attempts=attempts)
        cfg = self.config
        label = LabelData(routing_code=_text(mapping.lookup(data, cfg.routing_code_path)) if cfg.routing_code_path else "",
                          label_url=_text(mapping.lookup(data, cfg.label_url_path)) if cfg.label_url_path else "",
                          label_pdf=self._pdf(mapping.lookup(data, cfg.label_pdf_path), str(awb))
                          if cfg.label_pdf_path else b"")
        carrier_ref = _text(mapping.lookup(data, cfg.carrier_ref_path)) if cfg.carrier_ref_path else ""
        log.info("%s booked shipment %s: AWB %s (attempt %d)", self.carrier, request.shipment_ref, awb, attempts)
        return Booking(awb=str(awb), carrier_ref=carrier_ref, label=label)

    def _pdf(self, value: Any, awb: str) -> bytes:
        # The booking stands even if the carrier's own label is unreadable: we print ours.
        if not isinstance(value, str) or not value:
            return b""
        try:
            pdf = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            log.warning("%s AWB %s: the label is not base64; printing our own", self.carrier, awb)
            return b""
        if not pdf.startswith(b"%PDF-"):
            log.warning("%s AWB %s: the label is not a PDF; printing our own", self.carrier, awb)
            return b""
        return pdf

    def cancel(self, awb: str) -> None:
        if self.config.cancel is None:
            raise Unsupported(f"{self.carrier}: no cancel call is configured")
        key = f"omnialloc-cancel-{self.carrier}-{awb}"
        reply, attempts = self._exchange(self.config.cancel, {"awb": awb, "idempotency_key": key}, key)
        self._answer(reply, attempts)

    def schedule_pickup(self, request: PickupRequest) -> Pickup:
        if self.config.pickup is None:
            raise Unsupported(f"{self.carrier}: no pickup call is configured")
        reply, attempts = self._exchange(self.config.pickup, pickup_context(request), request.idempotency_key)
        data = self._answer(reply, attempts)
        reference = _text(mapping.lookup(data, self.config.pickup_ref_path)) if self.config.pickup_ref_path else ""
        if not reference:
            raise BookingRejected(f"{self.carrier} answered the pickup request without a reference at "
                                  f"{self.config.pickup_ref_path!r}", status=reply.status, attempts=attempts)
        return Pickup(reference=reference, pickup_date=request.pickup_date)

    def track(self, awb: str) -> list[TrackingScan]:
        cfg = self.config
        if cfg.track is None:
            raise Unsupported(f"{self.carrier}: no tracking call is configured")
        reply, attempts = self._exchange(cfg.track, {"awb": awb}, None)
        raw = mapping.lookup(self._answer(reply, attempts), cfg.scans_path)
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise BookingRejected(f"{self.carrier}: {cfg.scans_path!r} is not a list of scans", status=reply.status)
        scans, unreadable = [], 0
        zone = ZoneInfo(cfg.timezone)
        for item in raw:
            at = _moment(mapping.lookup(item, cfg.scan_time_path), zone)
            status = _text(mapping.lookup(item, cfg.scan_status_path))
            if at is None or not status:
                unreadable += 1
                continue
            scans.append(TrackingScan(at=at, status=status, location=_text(mapping.lookup(item, cfg.scan_location_path)),
                                      remark=_text(mapping.lookup(item, cfg.scan_remark_path))))
        if unreadable:
            log.warning("%s AWB %s: %d scan(s) without a readable time or status were left out",
                        self.carrier, awb, unreadable)
        return sorted(scans, key=lambda s: s.at)

    def close(self) -> None:
        if self._owns_client:
            self._http.client.close()


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def _reason(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_reason(v) for v in value if v)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_reason(v)}" for k, v in value.items())
    return "" if value is None or value is True else str(value)


def _moment(value: Any, zone: ZoneInfo) -> datetime | None:
    """A scan time as UTC: ISO 8601 (an offset, or the carrier's local time without one) or epoch seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone)
    return at.astimezone(timezone.utc)

"""Booking shipments with their carriers through the configured adapter, retried with backoff.

A carrier is booked by its configuration (``uow.carrier_booking.config``): ``series`` gives AWBs from
the ranges uploaded for it (the store's ledger: no gap, no reuse), ``rest`` calls the carrier's API
(``logistics.booking.RestCarrier``). A carrier without a configuration is not booked (the AWB is
typed in, or generated at ship time, as before).

A booking is a row per shipment (``carrier_bookings``), opened when the shipment is packed or on the
explicit book action. Each attempt first claims the row (compare-and-set: one attempt at a time per
shipment, whatever the number of workers), calls the carrier outside any transaction, then records the
outcome while it still holds the claim:

* booked: the AWB goes on the shipment (which stays PACKED until it is handed over);
* the carrier is down (``CarrierUnavailable``): ``failed``, due again after a capped exponential
  backoff (or the carrier's ``Retry-After``), retried by the notify worker's booking thread;
* the carrier refused (``BookingRejected``): ``rejected``, the carrier's words shown on the shipment,
  not retried until someone books it again.

No double booking: the claim keeps two attempts apart, every attempt for one shipment carries the same
idempotency key (``BookingRequest.idempotency_key``) so a retry after a lost answer is the same booking
at the carrier, and a series hands a shipment the AWB it was given before.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from omnialloc.domain.enums import PaymentMode, Role, ShipmentStatus
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.fulfilment import BookingStatus, CursorMoved
from omnialloc.domain.orders import Address
from omnialloc.logistics.booking import (AwbSeriesCarrier, BookedItem, BookingError, BookingRejected, BookingRequest,
                                         CarrierBooking, CarrierUnavailable, Parcel, RestCarrier, RestCarrierConfig)
from omnialloc.logistics.booking.awb_series import AwbRange, CheckDigit, parse_range
from omnialloc.notify.backoff import retry_delay
from omnialloc.services.access import SYSTEM, Principal
from omnialloc.services.events import now, record
from omnialloc.services.fulfilment import documents

log = logging.getLogger("omnialloc.booking")

KINDS = ("series", "rest")
CLAIM_SECONDS = 120          # an attempt's hold on a booking; a worker that died releases it when it lapses
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
BOOKABLE = (ShipmentStatus.ACCEPTED, ShipmentStatus.PACKED)


# --------------------------------------------------------------------------- configuration
def configure(ctx, principal: Principal, carrier: str, kind: str, settings: dict) -> dict:
    """Set how a carrier is booked; a REST configuration is checked now (not at the first booking)."""
    principal.require(Role.ADMIN)
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)}", field_errors=[FieldError("kind", "series or rest")])
    settings = dict(settings or {})
    if kind == "rest":
        try:
            if not settings.get("book"):
                raise ValueError("book (the call that books a shipment) is required")
            RestCarrierConfig.from_mapping({**settings, "carrier": carrier})
        except (ValueError, TypeError) as exc:
            raise ValidationFailed(f"carrier settings: {exc}", field_errors=[FieldError("settings", str(exc))]) from None
        settings["carrier"] = carrier
    elif settings and set(settings) - {"routing_codes"}:
        raise ValidationFailed("an AWB series carrier takes only routing_codes (PIN prefix -> sort code)",
                               field_errors=[FieldError("settings", "only routing_codes")])
    with ctx.uow() as uow:
        if uow.carriers.get(carrier) is None:
            raise NotFound(f"carrier {carrier} not found")
        uow.carrier_booking.put_config(carrier, kind, settings)
        uow.commit()
    return {"carrier": carrier, "kind": kind}


class _StoreAwbSource:
    """The AWB series adapter's source: the store's ranges and ledger, one short transaction per call."""

    def __init__(self, ctx):
        self.ctx = ctx

    def assign(self, carrier: str, key: str) -> str:
        for _ in range(50):
            try:
                with self.ctx.uow() as uow:
                    awb = uow.carrier_booking.assign(carrier, key)
                    uow.commit()
                    return awb
            except CursorMoved:
                continue  # another booker took the number we read: read again
        raise Conflict(f"{carrier}: AWB series contended; retry")

    def void(self, carrier: str, awb: str) -> None:
        with self.ctx.uow() as uow:
            uow.carrier_booking.void(carrier, awb)
            uow.commit()


def adapter_for(ctx, carrier: str, config: tuple[str, dict] | None) -> CarrierBooking | None:
    if config is None:
        return None
    kind, settings = config
    if kind == "series":
        return AwbSeriesCarrier(carrier, _StoreAwbSource(ctx), routing_codes=settings.get("routing_codes") or {})
    return RestCarrier(RestCarrierConfig.from_mapping({**settings, "carrier": carrier}))


def upload_range(ctx, principal: Principal, carrier: str, body: dict) -> dict:
    """Add an AWB range for a carrier: ``first_awb``/``last_awb`` as the carrier wrote them (optionally
    ``check``, ``prefix``), or the parts ``first``, ``last``, ``width``, ``prefix``, ``suffix``, ``check``."""
    principal.require(Role.ADMIN)
    try:
        check = CheckDigit(body.get("check") or "none")
        if body.get("first_awb"):
            new = parse_range(carrier, body["first_awb"], body.get("last_awb") or "", check=check,
                              prefix=body.get("prefix"))
        else:
            # The parts as sent (None when missing): AwbRange checks them and names each one wrong.
            first: Any = body.get("first")
            last: Any = body.get("last")
            width: Any = body.get("width")
            new = AwbRange(carrier, first, last, width, body.get("prefix") or "", body.get("suffix") or "", check)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"AWB range: {exc}", field_errors=[FieldError("range", str(exc))]) from None
    with ctx.uow() as uow:
        if uow.carriers.get(carrier) is None:
            raise NotFound(f"carrier {carrier} not found")
        try:
            state = uow.carrier_booking.upload(new)
        except ValueError as exc:
            raise Conflict(str(exc)) from None
        uow.commit()
        remaining = uow.carrier_booking.remaining(carrier)
    return {"id": state.id, "carrier": carrier, "first_awb": new.awb(new.first), "last_awb": new.awb(new.last),
            "size": new.size, "remaining": remaining}


def series_status(ctx, principal: Principal, carrier: str) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow(readonly=True) as uow:
        if uow.carriers.get(carrier) is None:
            raise NotFound(f"carrier {carrier} not found")
        states = uow.carrier_booking.ranges(carrier)
    return {"carrier": carrier, "remaining": sum(max(0, s.remaining) for s in states),
            "ranges": [{"id": s.id, "first_awb": s.range.awb(s.range.first), "last_awb": s.range.awb(s.range.last),
                        "size": s.range.size, "remaining": max(0, s.remaining)} for s in states]}


# --------------------------------------------------------------------------- booking
def _address(p) -> Address:
    return Address(name=p.name, line1=p.line1, line2=p.line2, city=p.city, state=p.state, pin=p.pin, phone=p.phone)


def booking_request(f: documents.Facts) -> BookingRequest:
    s = f.shipment
    items = tuple(BookedItem(sku=i.sku, name=i.name, qty=i.qty, unit_price_paise=i.unit_price_paise, hsn=i.hsn)
                  for i in f.items())
    return BookingRequest(
        shipment_ref=s.id, order_ref=f.order.external_id, carrier=s.carrier, service=f.service,
        ship_from=_address(f.return_to()), ship_to=_address(f.ship_to()), return_to=_address(f.return_to()),
        parcel=Parcel(weight_g=max(1, s.billed_weight_g or s.weight_g), length_mm=s.box_length_mm or 0,
                      width_mm=s.box_width_mm or 0, height_mm=s.box_height_mm or 0),
        payment=PaymentMode(f.order.payment_mode), items=items, cod_paise=f.cod_paise,
        declared_value_paise=f.goods_paise, invoice_number=f.invoice.number if f.invoice else "")


def open_if_configured(uow, shipment) -> bool:
    """In the packing transaction: open the shipment's booking when its carrier is booked by us."""
    if shipment.awb or uow.carrier_booking.config(shipment.carrier) is None:
        return False
    uow.carrier_booking.open_booking(shipment.id, shipment.carrier, now())
    return True


def book(ctx, principal: Principal, shipment_id: str) -> dict:
    """The explicit book action: open (or reopen after a rejection) the booking and attempt it now."""
    principal.require(Role.ADMIN, Role.NODE)
    with ctx.uow() as uow:
        f = documents.facts(uow, principal, shipment_id, for_update=True)
        s = f.shipment
        if s.status not in BOOKABLE:
            raise Conflict(f"shipment {shipment_id} is {s.status}: only accepted or packed shipments are booked")
        if uow.carrier_booking.config(s.carrier) is None:
            raise Conflict(f"carrier {s.carrier} has no booking configured (PUT /carriers/{s.carrier}/booking); "
                           "its AWB is given when the shipment ships")
        if not s.awb:
            existing = uow.carrier_booking.open_booking(shipment_id, s.carrier, now())
            if existing.status in (BookingStatus.REJECTED, BookingStatus.FAILED):
                uow.carrier_booking.reopen(shipment_id, now())
        uow.commit()
    if not s.awb:
        attempt(ctx, shipment_id)
    return documents.shipping_view(ctx, principal, shipment_id)


def attempt(ctx, shipment_id: str, *, at: datetime | None = None) -> str | None:
    """One booking attempt if it is due and free; the booking's status after it (None: not attempted)."""
    at = at or now()
    with ctx.uow() as uow:
        claimed = uow.carrier_booking.claim(shipment_id, now=at, until=at + timedelta(seconds=CLAIM_SECONDS))
        if claimed is None:
            return None
        f = documents.facts(uow, SYSTEM, shipment_id)
        config = uow.carrier_booking.config(f.shipment.carrier)
        uow.commit()
    if f.shipment.status not in BOOKABLE or f.shipment.awb:
        return _finish(ctx, shipment_id, BookingStatus.BOOKED if f.shipment.awb else BookingStatus.REJECTED,
                       awb=f.shipment.awb,
                       error=None if f.shipment.awb else f"shipment is {f.shipment.status}: nothing to book")
    adapter = None
    try:
        adapter = adapter_for(ctx, f.shipment.carrier, config)
        if adapter is None:
            return _finish(ctx, shipment_id, BookingStatus.REJECTED, error="the carrier's booking is not configured")
        booked = adapter.book(booking_request(f))
    except CarrierUnavailable as exc:
        wait = retry_delay(claimed.attempts, BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS)
        if exc.retry_after:
            wait = max(wait, timedelta(seconds=exc.retry_after))
        return _finish(ctx, shipment_id, BookingStatus.FAILED, error=exc.message, next_attempt_at=now() + wait)
    except (BookingRejected, BookingError) as exc:
        return _finish(ctx, shipment_id, BookingStatus.REJECTED, error=exc.message)
    except (ValueError, Conflict) as exc:  # a request the adapter cannot make (bad data on the shipment)
        return _finish(ctx, shipment_id, BookingStatus.REJECTED, error=str(exc))
    finally:
        if adapter is not None:
            adapter.close()
    return _finish(ctx, shipment_id, BookingStatus.BOOKED, awb=booked.awb, carrier_ref=booked.carrier_ref,
                   routing_code=booked.label.routing_code)


def _finish(ctx, shipment_id: str, status: str, *, awb: str | None = None, carrier_ref: str = "",
            routing_code: str = "", error: str | None = None, next_attempt_at: datetime | None = None) -> str:
    at = now()
    with ctx.uow() as uow:
        shipment = uow.shipments.get(shipment_id, for_update=True)
        if not uow.carrier_booking.finish(shipment_id, status=status, at=at, awb=awb, carrier_ref=carrier_ref,
                                          routing_code=routing_code, next_attempt_at=next_attempt_at,
                                          error=(error or "")[:2000] or None):
            return uow.carrier_booking.booking(shipment_id).status  # another attempt took over and finished
        if status == BookingStatus.BOOKED and awb and shipment.awb != awb:
            other = uow.shipments.by_awb(awb)
            if other is not None and other.id != shipment_id:
                uow.rollback()
                return _finish(ctx, shipment_id, BookingStatus.REJECTED,
                               error=f"the carrier gave AWB {awb}, already used by shipment {other.id}")
            uow.shipments.set_awb(shipment_id, awb)
        record(uow, "shipment", shipment_id, "booked" if status == BookingStatus.BOOKED else "booking_failed",
               "system:booking", reason=error, order_id=shipment.order_id, awb=awb, booking_status=status)
        uow.commit()
    if status != BookingStatus.BOOKED:
        log.info("booking of %s: %s (%s)", shipment_id, status, error)
    return status


def request_cancel(uow, shipment_id: str) -> bool:
    """In the transaction that cancels or rejects a shipment: if it is booked, its booking is to be cancelled
    with the carrier (durable with the change; :func:`cancel_if_booked` after the commit, the worker if that
    fails)."""
    return uow.carrier_booking.request_cancel(shipment_id, now())


def cancel_if_booked(ctx, shipment_id: str) -> str | None:
    """After a booked shipment is rejected or cancelled (with its order or its lines): cancel its booking with
    the carrier (a series voids the AWB, which is never handed out again). The booking's status after it, or
    None when there was nothing to cancel. A carrier that is down leaves it ``cancelling``, retried by the
    worker with backoff; a carrier that refuses leaves the booking ``booked`` with its words as the error
    (cancel it with the carrier by hand). While one caller is telling the carrier, another gets None."""
    # The claim keeps callers apart (the canceller right after its commit, the worker's pass, a second
    # cancel): one of them tells the carrier, the others find it held and do nothing.
    at = now()
    with ctx.uow() as uow:
        booking = uow.carrier_booking.claim_cancel(shipment_id, now=at, until=at + timedelta(seconds=CLAIM_SECONDS))
        config = None if booking is None else uow.carrier_booking.config(booking.carrier)
        uow.commit()
    if booking is None or not booking.awb:
        return None
    error, retry_at = None, None
    adapter = adapter_for(ctx, booking.carrier, config)
    try:
        if adapter is not None:
            adapter.cancel(booking.awb)
    except CarrierUnavailable as exc:
        error = f"cancelling AWB {booking.awb} failed, retried: {exc.message}"
        wait = retry_delay(booking.attempts + 1, BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS)
        retry_at = now() + max(wait, timedelta(seconds=exc.retry_after or 0))
    except BookingError as exc:
        error = f"cancelling AWB {booking.awb} failed: {exc.message}"
    finally:
        if adapter is not None:
            adapter.close()
    with ctx.uow() as uow:
        uow.carrier_booking.mark_cancelled(shipment_id, now(), error, retry_at=retry_at)
        record(uow, "shipment", shipment_id, "booking_cancelled" if error is None else "booking_cancel_failed",
               "system:booking", reason=error, awb=booking.awb)
        uow.commit()
    if error is None:
        return BookingStatus.CANCELLED
    return BookingStatus.CANCELLING if retry_at else BookingStatus.BOOKED


def retry_due(ctx, *, at: datetime | None = None, limit: int = 50) -> dict[str, int]:
    """Attempt every booking and every booking's cancellation that is due (the worker's pass); counts by
    outcome."""
    at = at or now()
    with ctx.uow(readonly=True) as uow:
        due = uow.carrier_booking.due(at, limit=limit)
        cancels = uow.carrier_booking.due_cancels(at, limit=limit)
    tally: dict[str, int] = {}
    work = [(s, lambda s: cancel_if_booked(ctx, s)) for s in cancels] + [
        (s, lambda s: attempt(ctx, s, at=at)) for s in due]
    for shipment_id, step in work:
        try:
            outcome = step(shipment_id)
        except Exception:  # one bad booking must not stop the others
            log.exception("booking attempt of %s failed", shipment_id)
            outcome = "error"
        tally[outcome or "skipped"] = tally.get(outcome or "skipped", 0) + 1
    return tally


def run_worker(ctx, stop: threading.Event, *, poll_seconds: float = 15.0) -> None:
    """Retry due bookings until ``stop`` is set (a thread of ``omnialloc notify-worker``)."""
    while not stop.is_set():
        try:
            tally = retry_due(ctx)
        except Exception:
            log.exception("booking retry pass failed")
            tally = {}
        if not tally:
            stop.wait(poll_seconds)





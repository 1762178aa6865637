"""Tracking pulled from carriers that offer a tracking API, for carriers that do not push scans to us.

A carrier's tracking is configured per carrier (admin, ``PUT /carriers/{code}/tracking``): its REST API as
for booking (``base_url``, ``token``, the ``track`` call and where its answer keeps the scans; docs/carriers.md),
``status_map`` from the carrier's status words to ours (``delivered``, ``in_transit``, ...: the words a pushed
scan uses; our own words map to themselves) and ``poll_minutes`` between two polls of one shipment.

The notify worker's tracking thread (:func:`run_worker`) polls every shipment of such a carrier that has an AWB
and has shipped but not ended (delivered or back at origin), the longest waiting first. Each poll claims the
shipment (compare-and-set: one worker at a time), asks the carrier outside any transaction, and applies the
scans through the pushed scans' path (``tracking.apply_events``): in time order, never backwards, a scan seen
before is a duplicate (its event id is made of carrier, AWB, time and status), so polling the same history
again changes nothing. The carrier down (no answer, 5xx, 429 after the adapter's own retries) backs the whole
carrier off (1, 2, 4 ... 60 minutes, or its ``Retry-After``); a carrier that refuses one AWB (a 4xx, an answer
without scans) backs that shipment off (``poll_minutes`` doubling, up to a day). What failed is shown on
``GET /carriers/{code}/tracking`` and on the shipping view.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime, timedelta

from omnialloc.domain.enums import Role, ShipmentStatus
from omnialloc.domain.errors import FieldError, NotFound, ValidationFailed
from omnialloc.logistics.booking import BookingError, CarrierUnavailable, RestCarrier, RestCarrierConfig
from omnialloc.notify.backoff import retry_delay
from omnialloc.services.access import Principal
from omnialloc.services.events import now
from omnialloc.services.fulfilment import tracking

log = logging.getLogger("omnialloc.tracking_poll")

# Shipped and not ended: what a carrier may still have news of.
POLLED = (ShipmentStatus.SHIPPED, ShipmentStatus.PICKED_UP, ShipmentStatus.IN_TRANSIT,
          ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERY_FAILED, ShipmentStatus.RTO_INITIATED)
DEFAULT_POLL_MINUTES = 30
CLAIM_SECONDS = 120
CARRIER_BACKOFF_BASE_SECONDS = 60
CARRIER_BACKOFF_MAX_SECONDS = 3600
AWB_BACKOFF_MAX_SECONDS = 86400
_OWN = ("status_map", "poll_minutes")


def _parts(carrier: str, settings: dict) -> tuple[RestCarrierConfig, dict[str, str], int]:
    """The API configuration, the status map and the poll interval of stored or given settings (ValueError)."""
    status_map = settings.get("status_map") or {}
    if not isinstance(status_map, dict) or not all(isinstance(k, str) and k for k in status_map):
        raise ValueError("status_map maps the carrier's status words to ours")
    unknown = sorted({str(v) for v in status_map.values()} - set(tracking.CARRIER_STATUS))
    if unknown:
        raise ValueError(f"status_map: {', '.join(unknown)} not among {', '.join(tracking.CARRIER_STATUS)}")
    minutes = settings.get("poll_minutes", DEFAULT_POLL_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 1440:
        raise ValueError("poll_minutes is a whole number of minutes from 5 to 1440")
    api = {k: v for k, v in settings.items() if k not in _OWN}
    if not api.get("track"):
        raise ValueError("track (the call that reads an AWB's scans, with {awb} in its path) is required")
    config = RestCarrierConfig.from_mapping({**api, "carrier": carrier})
    return config, {k.strip().lower(): str(v) for k, v in status_map.items()}, minutes


def our_status(status_map: dict[str, str], word: str) -> str | None:
    """Our status word for the carrier's ``word`` (case and spaces ignored), None for one we do not follow."""
    key = word.strip().lower()
    if key in status_map:
        return status_map[key]
    return key if key in tracking.CARRIER_STATUS else None


# --------------------------------------------------------------------------- configuration (admin)
def configure(ctx, principal: Principal, carrier: str, settings: dict) -> dict:
    principal.require(Role.ADMIN)
    settings = dict(settings or {})
    try:
        _parts(carrier, settings)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"tracking settings: {exc}", field_errors=[FieldError("settings", str(exc))]) from None
    with ctx.uow() as uow:
        if uow.carriers.get(carrier) is None:
            raise NotFound(f"carrier {carrier} not found")
        uow.carrier_booking.put_tracking_config(carrier, settings)
        uow.commit()
    return state(ctx, principal, carrier)


def remove(ctx, principal: Principal, carrier: str) -> None:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        if not uow.carrier_booking.delete_tracking_config(carrier):
            raise NotFound(f"carrier {carrier} has no tracking configured")
        uow.commit()


def state(ctx, principal: Principal, carrier: str) -> dict:
    """The carrier's tracking configuration (without its token) and how polling it goes."""
    principal.require(Role.ADMIN)
    with ctx.uow(readonly=True) as uow:
        row = uow.carrier_booking.tracking_config(carrier)
    if row is None:
        raise NotFound(f"carrier {carrier} has no tracking configured")
    settings = {k: v for k, v in row["settings"].items() if k != "token"}
    return {"carrier": carrier, "settings": settings, "failures": row["failures"],
            "next_poll_at": row["next_poll_at"].isoformat() if row["next_poll_at"] else None,
            "last_error": row["last_error"]}


# --------------------------------------------------------------------------- polling
def poll_due(ctx, *, at: datetime | None = None, limit: int = 50) -> dict[str, int]:
    """One pass: poll what is due of every carrier with tracking configured; counts by outcome."""
    at = at or now()
    with ctx.uow(readonly=True) as uow:
        configs = uow.carrier_booking.tracking_configs()
    tally: Counter = Counter()
    for row in configs:
        carrier = row["carrier"]
        if row["next_poll_at"] is not None and row["next_poll_at"] > at:
            tally["backing_off"] += 1
            continue
        try:
            config, status_map, minutes = _parts(carrier, row["settings"])
        except (ValueError, TypeError) as exc:  # stored before a rule tightened: shown, not retried in a loop
            log.error("tracking config of %s is unusable: %s", carrier, exc)
            tally["misconfigured"] += 1
            continue
        with ctx.uow(readonly=True) as uow:
            due = uow.carrier_booking.due_polls(carrier, POLLED, at, limit=limit)
        if not due:
            continue
        adapter = RestCarrier(config)
        try:
            for shipment_id, awb in due:
                try:
                    outcome = poll_one(ctx, adapter, shipment_id, awb, status_map=status_map, minutes=minutes,
                                       carrier_failures=row["failures"], at=at)
                except Exception:  # one bad shipment must not stop the others
                    log.exception("tracking poll of %s failed", shipment_id)
                    outcome = "error"
                tally[outcome] += 1
                if outcome == "carrier_unavailable":
                    break  # the carrier is down: the others wait for its backoff too
        finally:
            adapter.close()
    return dict(tally)


def poll_one(ctx, adapter, shipment_id: str, awb: str, *, status_map: dict[str, str], minutes: int,
             carrier_failures: int = 0, at: datetime | None = None) -> str:
    """Poll one shipment if it is due and free: ``applied`` (it moved), ``unchanged``, ``skipped`` (held or not
    due), ``carrier_unavailable`` or ``rejected``."""
    at = at or now()
    carrier = adapter.carrier
    with ctx.uow() as uow:
        claimed = uow.carrier_booking.claim_poll(shipment_id, carrier, now=at,
                                                 until=at + timedelta(seconds=CLAIM_SECONDS))
        uow.commit()
    if claimed is None:
        return "skipped"
    try:
        scans = adapter.track(awb)
    except CarrierUnavailable as exc:
        wait = retry_delay(carrier_failures + 1, CARRIER_BACKOFF_BASE_SECONDS, CARRIER_BACKOFF_MAX_SECONDS)
        retry_at = now() + max(wait, timedelta(seconds=exc.retry_after or 0))
        error = f"tracking {awb}: {exc.message}"
        with ctx.uow() as uow:
            uow.carrier_booking.tracking_outcome(carrier, now(), error=error, retry_at=retry_at)
            uow.carrier_booking.finish_poll(shipment_id, at=now(), next_poll_at=retry_at, error=error, failed=True)
            uow.commit()
        log.info("%s tracking unavailable, backing off until %s: %s", carrier, retry_at, exc.message)
        return "carrier_unavailable"
    except (BookingError, ValueError) as exc:  # refused this AWB, or an answer we cannot read
        wait = retry_delay(claimed["failures"] + 1, minutes * 60, AWB_BACKOFF_MAX_SECONDS)
        error = f"tracking {awb}: {getattr(exc, 'message', None) or exc}"
        with ctx.uow() as uow:
            uow.carrier_booking.tracking_outcome(carrier, now())  # the carrier answered: it is up
            uow.carrier_booking.finish_poll(shipment_id, at=now(), next_poll_at=now() + wait, error=error[:2000],
                                            failed=True)
            uow.commit()
        return "rejected"
    events = []
    for scan in scans:
        status = our_status(status_map, scan.status)
        if status is None:
            continue  # a status we do not follow (e.g. "manifested"): nothing to move
        events.append({"awb": awb, "status": status, "at": scan.at.isoformat(), "location": scan.location,
                       "remark": scan.remark, "event_id": f"poll:{carrier}:{awb}:{scan.at.isoformat()}:{scan.status}"})
    applied = tracking.apply_events(ctx, carrier, events)["applied"] if events else 0
    with ctx.uow() as uow:
        uow.carrier_booking.tracking_outcome(carrier, now())
        uow.carrier_booking.finish_poll(shipment_id, at=now(), next_poll_at=now() + timedelta(minutes=minutes))
        uow.commit()
    return "applied" if applied else "unchanged"


def run_worker(ctx, stop: threading.Event, *, poll_seconds: float = 60.0) -> None:
    """Poll due tracking until ``stop`` is set (a thread of ``omnialloc notify-worker``)."""
    while not stop.is_set():
        try:
            tally = poll_due(ctx)
        except Exception:
            log.exception("tracking poll pass failed")
            tally = {}
        if not any(v for k, v in tally.items() if k not in ("backing_off", "misconfigured")):
            stop.wait(poll_seconds)

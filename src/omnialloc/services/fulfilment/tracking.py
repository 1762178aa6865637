"""Carrier tracking: HMAC-verified status events, applied idempotently and never backwards."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote

from omnialloc.domain import SHIPMENT_MACHINE, OrderStatus, ShipmentStatus
from omnialloc.domain.errors import DomainError, NotFound
from omnialloc.domain.states import SHIPMENT_PROGRESS
from omnialloc.services.allocation.allocator import settle, settled_status
from omnialloc.services.events import now, record
from omnialloc.services.returns.returns import apply_reverse_scan, public_reverse_view, rto_arrived


class BadSignature(DomainError):
    title = "Unauthorized"


CARRIER_STATUS = {
    "picked_up": ShipmentStatus.PICKED_UP,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "delivered": ShipmentStatus.DELIVERED,
    "failed_attempt": ShipmentStatus.DELIVERY_FAILED,
    "rto_initiated": ShipmentStatus.RTO_INITIATED,
    "rto_delivered": ShipmentStatus.RTO_DELIVERED,
}
_TRACKED = frozenset(SHIPMENT_PROGRESS)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(ctx, carrier: str, body: bytes, header: str) -> None:
    with ctx.uow(readonly=True) as uow:
        record_ = uow.carriers.get(carrier)
        secret = uow.carriers.webhook_secret(carrier) if record_ is not None else None
    if record_ is None:
        raise NotFound(f"carrier {carrier} not found")
    if not secret:
        raise BadSignature(f"carrier {carrier} has no webhook secret configured; an admin must set one")
    if not header or not hmac.compare_digest(sign(secret, body), header.strip()):
        raise BadSignature("the X-Omnialloc-Signature header does not match the body (HMAC-SHA256 of the raw "
                           "body with the carrier's secret, as 'sha256=<hex>')")


def _parse_time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return now()
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def apply_events(ctx, carrier: str, events: list[dict]) -> dict:
    """Apply each scan in time order; report per event whether it moved, was a duplicate, stale or unknown."""
    results = []
    ordered = sorted(enumerate(events), key=lambda ie: (_parse_time(ie[1]["at"]), ie[0]))
    with ctx.uow() as uow:
        for index, ev in ordered:
            results.append({"index": index, "awb": ev["awb"], **_apply_one(uow, carrier, ev)})
        uow.commit()
    results.sort(key=lambda r: r["index"])
    return {"results": results, "applied": sum(r["result"] == "applied" for r in results)}


def _apply_one(uow, carrier: str, ev: dict) -> dict:
    found = uow.shipments.by_awb(ev["awb"])
    if found is None or found.carrier != carrier:
        reverse = apply_reverse_scan(uow, carrier, ev)
        return reverse if reverse is not None else {"result": "unknown_awb"}
    shipment = uow.shipments.get(found.id, for_update=True)
    target = CARRIER_STATUS[ev["status"]]
    actor = f"carrier:{carrier}"
    if shipment.status == target or (ev.get("event_id") and any(
            e.payload.get("event_id") == ev["event_id"] for e in uow.events.for_entity("shipment", shipment.id))):
        return {"result": "duplicate", "status": str(shipment.status)}
    if shipment.status not in _TRACKED:
        return {"result": "ignored", "status": str(shipment.status), "reason": "shipment has not shipped"}
    moving_back = SHIPMENT_PROGRESS.get(target, 0) < SHIPMENT_PROGRESS.get(shipment.status, 0)
    if moving_back or not SHIPMENT_MACHINE.can(shipment.status, target):
        record(uow, "shipment", shipment.id, "tracking_ignored", actor, reason=f"stale or illegal scan {target}",
               scan=ev["status"], at=ev["at"], event_id=ev.get("event_id"))
        return {"result": "stale", "status": str(shipment.status)}
    previous = shipment.status
    uow.shipments.update_status(shipment.id, target, at=_parse_time(ev["at"]))
    record(uow, "shipment", shipment.id, "tracking", actor, from_status=previous, to_status=target,
           reason=ev.get("remark") or None, location=ev.get("location", ""), scanned_at=ev["at"],
           event_id=ev.get("event_id"), awb=ev["awb"], order_id=shipment.order_id)
    shipment.status = target
    if target == ShipmentStatus.RTO_DELIVERED:
        rto_arrived(uow, shipment, actor)
    _roll_up_order(uow, shipment.order_id, actor)
    return {"result": "applied", "status": str(target)}


def _roll_up_order(uow, order_id: str, actor: str) -> None:
    """The order's status follows its shipments (``allocator.settled_status``): once every parcel has
    ended it is DELIVERED if any reached the buyer (the others came back to origin), RTO if all came back."""
    order = uow.orders.get(order_id, for_update=True)
    held = uow.shipments.for_order(order_id)
    target = settled_status(order, held)
    if target == order.status or target not in (OrderStatus.DELIVERED, OrderStatus.RTO):
        return  # a scan only ends an order; what else its units say is for the paths that move them
    back = sum(1 for s in held if s.status == ShipmentStatus.RTO_DELIVERED)
    if target == OrderStatus.RTO:
        reason = "all shipments returned to origin"
    elif back:
        reason = f"delivered in part: {back} shipment{'s' if back > 1 else ''} returned to origin"
    else:
        reason = "all shipments delivered"
    settle(uow, order, held, actor, reason)


def carrier_link(setting: str, carrier: str, awb: str) -> str | None:
    """The carrier's own tracking page for ``awb``, from ``carrier_tracking_urls`` ("CODE=URL ...", {awb} in
    the URL); None for a carrier it does not name or a URL that is not http(s)."""
    for item in (setting or "").split():
        code, _, url = item.partition("=")
        if code == carrier and url.startswith(("https://", "http://")):
            return url.replace("{awb}", quote(awb, safe=""))
    return None


def public_view(ctx, awb: str) -> dict:
    """What a buyer may see: statuses and places, no names, phones or addresses."""
    with ctx.uow(readonly=True) as uow:
        shipment = uow.shipments.by_awb(awb)
        if shipment is None:
            reverse = public_reverse_view(uow, awb)
            if reverse is not None:
                return reverse
            raise NotFound(f"no shipment with AWB {awb}")
        events = uow.events.for_entity("shipment", shipment.id)
        carrier = next((c for c in uow.carriers.list() if c.code == shipment.carrier), None)
    # A carrier scan shows when the carrier scanned it, not when the webhook reached us.
    timeline = [{"status": e.to_status,
                 "at": _parse_time(e.payload["scanned_at"]).isoformat() if e.payload.get("scanned_at") else e.at.isoformat(),
                 "location": e.payload.get("location", "")}
                for e in events if e.to_status and e.type in ("status_changed", "tracking")]
    return {"awb": awb, "carrier": shipment.carrier, "status": str(shipment.status),
            "promised_days": shipment.sla_days, "timeline": timeline,
            # the estimated delivery (issue 24): the destination's date and the UTC end of that day
            "carrier_name": carrier.name if carrier is not None else shipment.carrier,
            "carrier_url": carrier_link(ctx.settings.carrier_tracking_urls, shipment.carrier, awb),
            "service": shipment.service,
            "delivery_date": None if shipment.delivery_date is None else shipment.delivery_date.isoformat(),
            "deliver_by": None if shipment.deliver_by is None else shipment.deliver_by.isoformat()}

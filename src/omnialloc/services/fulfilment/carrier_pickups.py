"""Carrier pickups: per node, carrier and day, which packed shipments go, the pickup request, its manifest
and the handover scan. (In-store pickup of omnichannel orders is ``services.fulfilment.pickups``.)

* ``board``: for a node and day, per carrier, the pickups requested and the packed, booked shipments on
  no pickup yet ("missing a pickup": visible until a pickup takes them or they ship);
* ``request``: takes those shipments of one carrier onto a new pickup and asks the carrier through its
  booking adapter (``schedule_pickup``); without a configured adapter the pickup is recorded as ours;
* ``manifest``: the pickup's handover sheet as a ``ManifestView``;
* ``hand_over``: the scan of one AWB at handover: stamps it on the pickup and ships the shipment
  (reserved stock leaves on-hand, as ``ship`` does); once every shipment is scanned the pickup is
  ``handed_over``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from omnialloc.documents import ManifestEntry, ManifestView, PostalAddress
from omnialloc.domain.enums import PaymentMode, Role, ShipmentStatus
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.fulfilment import CarrierPickup
from omnialloc.domain.orders import Address
from omnialloc.logistics.booking import BookingError, PickupRequest
from omnialloc.services.access import Principal
from omnialloc.services.events import now, record
from omnialloc.services.fulfilment import carrier_booking, documents
from omnialloc.services.fulfilment import shipments as fulfilment

ACTORS = (Role.ADMIN, Role.NODE)


def _day(value: str | None) -> date:
    if not value:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"date {value!r} is not a calendar date (YYYY-MM-DD)",
                               field_errors=[FieldError("date", "YYYY-MM-DD")]) from None


def _node(uow, principal: Principal, node: str):
    principal.require(*ACTORS)
    found = uow.nodes.get(node) if principal.sees_node(node) else None
    if found is None:
        raise NotFound(f"node {node} not found")
    return found


def _pickup_dict(p: CarrierPickup) -> dict:
    return {"id": p.id, "node": p.node, "carrier": p.carrier, "date": p.day.isoformat(), "status": p.status,
            "reference": p.reference, "shipments": list(p.shipments), "handed_over": list(p.handed_over),
            "count": len(p.shipments), "pending_handover": len(p.shipments) - len(p.handed_over)}


def board(ctx, principal: Principal, node: str, day: str | None = None) -> dict:
    d = _day(day)
    with ctx.uow(readonly=True) as uow:
        _node(uow, principal, node)
        pickups = uow.carrier_pickups.for_node(node, day=d)
        waiting = uow.carrier_pickups.waiting(node)
        shipments = {s: uow.shipments.get(s) for s in waiting}
    by_carrier: dict[str, list] = {}
    for sid in waiting:
        s = shipments[sid]
        by_carrier.setdefault(s.carrier, []).append({"shipment": sid, "awb": s.awb, "order_id": s.order_id})
    return {"node": node, "date": d.isoformat(), "pickups": [_pickup_dict(p) for p in pickups],
            "missing_pickup": [{"carrier": c, "shipments": items, "count": len(items)}
                               for c, items in sorted(by_carrier.items())],
            "missing_pickup_total": len(waiting)}


def request(ctx, principal: Principal, node: str, carrier: str, day: str | None = None,
            ready_from: str = "10:00", ready_until: str = "18:00") -> dict:
    d = _day(day)
    with ctx.uow() as uow:
        n = _node(uow, principal, node)
        if uow.carriers.get(carrier) is None:
            raise NotFound(f"carrier {carrier} not found")
        ids = uow.carrier_pickups.waiting(node, carrier=carrier)
        if not ids:
            raise Conflict(f"no packed {carrier} shipment with an AWB is waiting for a pickup at {node}")
        shipments = [uow.shipments.get(s) for s in ids]
        config = uow.carrier_booking.config(carrier)
        seller = uow.documents.seller(node)
    address = Address(name=seller.legal_name if seller else n.name, line1=(n.address or n.name)[:200],
                                      city=n.city, state=n.state, pin=n.pin, phone=seller.phone if seller else "")
    reference = f"{carrier}-{node}-{d:%Y%m%d}"
    adapter = carrier_booking.adapter_for(ctx, carrier, config)
    if adapter is not None:
        try:
            reference = adapter.schedule_pickup(PickupRequest(
                node=node, address=address, pickup_date=d, ready_from=ready_from, ready_until=ready_until,
                awbs=tuple(s.awb for s in shipments), parcels=len(shipments),
                total_weight_g=sum(s.billed_weight_g or s.weight_g for s in shipments))).reference
        except BookingError as exc:
            raise Conflict(f"{carrier} did not take the pickup request: {exc.message}") from None
        finally:
            adapter.close()
    pickup = CarrierPickup(id="cpk_" + secrets.token_hex(8), node=node, carrier=carrier, day=d, status="requested",
                           reference=reference[:128], created_at=now(), shipments=tuple(ids))
    with ctx.uow() as uow:
        taken = uow.carrier_pickups.pickup_of(ids)
        if taken:  # another request took some of them meanwhile: this one keeps the rest
            pickup = CarrierPickup(**{**pickup.__dict__, "shipments": tuple(s for s in ids if s not in taken)})
            if not pickup.shipments:
                raise Conflict("another pickup request took these shipments meanwhile")
        uow.carrier_pickups.add(pickup, now())
        record(uow, "node", node, "carrier_pickup_requested", principal.actor, carrier=carrier, pickup=pickup.id,
               reference=pickup.reference, shipments=len(pickup.shipments))
        uow.commit()
        stored = uow.carrier_pickups.get(pickup.id)
    return _pickup_dict(stored)


def get(ctx, principal: Principal, node: str, pickup_id: str) -> CarrierPickup:
    with ctx.uow(readonly=True) as uow:
        _node(uow, principal, node)
        p = uow.carrier_pickups.get(pickup_id)
    if p is None or p.node != node:
        raise NotFound(f"pickup {pickup_id} not found")
    return p


def pickup_view(ctx, principal: Principal, node: str, pickup_id: str) -> dict:
    return _pickup_dict(get(ctx, principal, node, pickup_id))


def manifest(ctx, principal: Principal, node: str, pickup_id: str) -> ManifestView:
    p = get(ctx, principal, node, pickup_id)
    entries = []
    with ctx.uow(readonly=True) as uow:
        n = uow.nodes.get(node)
        seller = uow.documents.seller(node)
        for sid in p.shipments:
            s = uow.shipments.get(sid)
            order = uow.orders.get(s.order_id)
            f = documents.Facts(shipment=s, order=order, node=n, carrier=None, skus={}, seller=seller, boxes={},
                                booking=None, invoice=None)
            entries.append(ManifestEntry(
                awb=s.awb, order_ref=order.external_id, destination_city=order.ship_to.city,
                destination_pin=order.ship_to.pin, weight_g=max(1, s.billed_weight_g or s.weight_g),
                payment=PaymentMode(order.payment_mode), cod_paise=f.cod_paise))
        carrier = uow.carriers.get(p.carrier)
        zone = documents.node_timezone(uow, node)
    address = PostalAddress(name=seller.legal_name if seller else n.name, line1=(n.address or n.name)[:200],
                            city=n.city, state=n.state, pin=n.pin, phone=seller.phone if seller else "")
    return ManifestView(manifest_ref=p.id.upper().replace("_", "-"), node_code=node, node_name=n.name,
                        node_address=address, carrier=carrier.name if carrier else p.carrier, entries=tuple(entries),
                        pickup_ref=p.reference, issued_at=now(), timezone=zone)


def hand_over(ctx, principal: Principal, node: str, pickup_id: str, awb: str) -> dict:
    """The handover scan of one AWB: on this pickup, shipped now (a second scan changes nothing)."""
    p = get(ctx, principal, node, pickup_id)
    with ctx.uow(readonly=True) as uow:
        s = uow.shipments.by_awb(awb.strip())
    if s is None or s.id not in p.shipments:
        raise NotFound(f"AWB {awb} is not on pickup {pickup_id}")
    if s.status == ShipmentStatus.PACKED:
        fulfilment.ship(ctx, principal, s.id, s.awb)
    with ctx.uow() as uow:
        uow.carrier_pickups.hand_over(pickup_id, s.id, now())
        current = uow.carrier_pickups.get(pickup_id)
        if len(current.handed_over) == len(current.shipments) and current.status != "handed_over":
            uow.carrier_pickups.set_status(pickup_id, "handed_over", now())
        uow.commit()
        current = uow.carrier_pickups.get(pickup_id)
    return _pickup_dict(current)

"""The fulfilment node's use cases: accept, reject (with hopping), pack and ship a shipment."""

from __future__ import annotations

import logging

from omnialloc.domain import SHIPMENT_MACHINE, ShipmentStatus
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, NotFound
from omnialloc.logistics.rates import billed_weight_g, forward_charge_paise
from omnialloc.services.orders import queries
from omnialloc.services.access import Principal
from omnialloc.services.allocation.allocator import ALLOCATABLE, ReservationConflict, allocate_in, settle
from omnialloc.services.events import now, record
from omnialloc.services.fulfilment import carrier_booking, credit_notes
from omnialloc.services.orders.lifecycle import release_reservation
from omnialloc.services.rules import runtime
from omnialloc.services.allocation.planning import PICKUP_CARRIER
from omnialloc.services.returns.returns import exchange_wait_reason

_ACTORS = (Role.ADMIN, Role.NODE)


def visible_shipment(uow, principal: Principal, shipment_id: str, for_update: bool = True):
    """The shipment, locked for the change by default, if ``principal`` may see it; else not found."""
    shipment = uow.shipments.get(shipment_id, for_update=for_update)
    if shipment is None or not principal.sees_node(shipment.node):
        raise NotFound(f"shipment {shipment_id} not found")
    return shipment


def move_shipment(uow, shipment, target: ShipmentStatus, actor: str, reason: str | None = None, **payload) -> None:
    """Move the shipment to ``target`` (as its state machine allows) and record the move."""
    SHIPMENT_MACHINE.check(shipment.status, target)
    uow.shipments.set_status(shipment.id, target)
    record(uow, "shipment", shipment.id, "status_changed", actor, from_status=shipment.status, to_status=target,
           reason=reason, order_id=shipment.order_id, **payload)
    shipment.status = target


def accept(ctx, principal: Principal, shipment_id: str) -> dict:
    principal.require(*_ACTORS)
    with ctx.uow() as uow:
        shipment = visible_shipment(uow, principal, shipment_id)
        move_shipment(uow, shipment, ShipmentStatus.ACCEPTED, principal.actor, "accepted by the node")
        uow.commit()
    return queries.shipment_view(ctx, principal, shipment_id)


def reject(ctx, principal: Principal, shipment_id: str, reason: str) -> dict:
    """Release the node's reservation, exclude the node for this order, and re-plan the same units now."""
    principal.require(*_ACTORS)
    for _ in range(ctx.settings.reserve_retries + 1):
        try:
            with ctx.uow() as uow:
                shipment = visible_shipment(uow, principal, shipment_id)
                order = uow.orders.get(shipment.order_id, for_update=True)
                release_reservation(uow, shipment)
                move_shipment(uow, shipment, ShipmentStatus.REJECTED, principal.actor, reason)
                carrier_booking.request_cancel(uow, shipment.id)
                credit_notes.credit_unshipped(uow, shipment.id, principal.actor, reason)  # invoiced, now not shipped
                uow.orders.exclude_node(order.id, shipment.node, reason, now())
                record(uow, "order", order.id, "node_rejected", principal.actor, reason=reason,
                       node=shipment.node, shipment=shipment.id)
                # Its units are re-planned at once (another node, else they wait as a backorder), whatever
                # else of the order has shipped: no unit may end up in no state at all.
                if order.status in ALLOCATABLE:
                    allocate_in(uow, ctx, order, principal.actor, routing=runtime.routing_for(uow, ctx, order),
                                event_type="hopped")
                uow.commit()
                break
        except ReservationConflict:
            continue
    else:
        raise Conflict("stock kept moving while re-planning the rejected units; retry the rejection")
    # Booked before it was rejected (labels printed before packing): the carrier's booking goes too.
    carrier_booking.cancel_if_booked(ctx, shipment_id)
    return queries.shipment_view(ctx, principal, shipment_id)


def pack(ctx, principal: Principal, shipment_id: str, box: dict) -> dict:
    """Record the packed box; the billed weight and carrier charge follow the real box."""
    principal.require(*_ACTORS)
    with ctx.uow() as uow:
        shipment = visible_shipment(uow, principal, shipment_id)
        if shipment.status == ShipmentStatus.ALLOCATED:
            raise Conflict(f"shipment {shipment_id} must be accepted before it is packed")
        volume = box["length_mm"] * box["width_mm"] * box["height_mm"]
        cost = dict(shipment.cost_breakdown)
        carrier = uow.carriers.get(shipment.carrier)
        card = uow.carriers.rate_card(shipment.carrier, cost.get("zone") or "D")
        if carrier is not None and card is not None:
            billed = billed_weight_g(box["weight_g"], volume, carrier.volumetric_divisor)
            new_shipping = forward_charge_paise(card, billed)
            cost["total"] = cost.get("total", 0) - cost.get("shipping", 0) + new_shipping
            cost["shipping"] = new_shipping
        else:
            billed = shipment.billed_weight_g
        move_shipment(uow, shipment, ShipmentStatus.PACKED, principal.actor, "packed", box=box, billed_weight_g=billed)
        uow.shipments.set_box(shipment.id, length_mm=box["length_mm"], width_mm=box["width_mm"],
                              height_mm=box["height_mm"], billed_weight_g=billed)
        uow.shipments.set_carrier(shipment.id, shipment.carrier, cost_paise=cost.get("total", shipment.cost_paise),
                                  cost_breakdown=cost)
        # Booked on pack when the carrier's booking is configured (issue 26); a failure leaves it packed.
        booking = carrier_booking.open_if_configured(uow, shipment)
        uow.commit()
    if booking:
        try:
            carrier_booking.attempt(ctx, shipment_id)
        except Exception:  # packed is packed: the worker retries the booking
            logging.getLogger("omnialloc.booking").exception("booking %s on pack", shipment_id)
    return queries.shipment_view(ctx, principal, shipment_id)


def ship(ctx, principal: Principal, shipment_id: str, awb: str | None) -> dict:
    """Hand over with an AWB: reserved units leave on-hand; the order becomes (partially) shipped."""
    principal.require(*_ACTORS)
    with ctx.uow() as uow:
        shipment = visible_shipment(uow, principal, shipment_id)
        if shipment.carrier == PICKUP_CARRIER:
            raise Conflict(f"shipment {shipment_id} is collected at the store, not shipped: mark it ready "
                           "(POST /shipments/{id}/ready) and hand it over with the pickup code (/collect)")
        if shipment.status in (ShipmentStatus.ALLOCATED, ShipmentStatus.ACCEPTED):
            raise Conflict(f"shipment {shipment_id} must be packed before it ships")

        waiting = exchange_wait_reason(uow, shipment.order_id)
        if waiting:
            raise Conflict(waiting)
        # The AWB typed in, else the one the carrier's booking gave, else one made up from the shipment.
        awb = awb or shipment.awb or f"{shipment.carrier}{now():%y%m%d}{shipment.id[-8:].upper()}"
        other = uow.shipments.by_awb(awb)
        if other is not None and other.id != shipment.id:
            raise Conflict(f"AWB {awb} is already used by another shipment")
        move_shipment(uow, shipment, ShipmentStatus.SHIPPED, principal.actor, f"handed to {shipment.carrier}", awb=awb)
        for line in sorted(shipment.lines, key=lambda l: l.sku):
            if line.qty and not uow.inventory.consume(shipment.node, line.sku, line.qty):
                raise Conflict(f"reserved stock of {line.sku} at {shipment.node} is missing; run `omnialloc check`")
        uow.shipments.set_awb(shipment.id, awb)
        order = uow.orders.get(shipment.order_id, for_update=True)
        # PARTIALLY_SHIPPED or SHIPPED; an order with units still waiting for stock stays BACKORDERED.
        settle(uow, order, uow.shipments.for_order(order.id), principal.actor,
               f"shipment {shipment.id} shipped with AWB {awb}")
        uow.commit()
    return queries.shipment_view(ctx, principal, shipment_id)

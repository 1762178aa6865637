"""Pickup in store (BOPIS): ready at the counter with a pickup code, collected, or expired and restocked.

A pickup order (``delivery_mode="pickup"``, ``pickup_node`` = a store offering
pickup) is allocated from that store only, on the zero-cost ``PICKUP`` carrier
(services/allocation/planning.py). Then:

* ``ready``: the store (node key) has the goods at the counter (shipment
  ACCEPTED or PACKED -> READY_FOR_PICKUP, order -> READY_FOR_PICKUP). A
  6-digit pickup code is generated and stored on the order; the customer gets
  it through the channel (``pickup_info``) and the notification outbox. The
  units stay reserved.
* ``collect``: the customer shows the code at the counter; a wrong code is a
  422 and changes nothing. Right code: reserved units leave on-hand, shipment
  COLLECTED, order PICKED_UP.
* ``expire`` (``omnialloc pickups expire``, run daily): orders waiting longer
  than ``pickup_expiry_days`` are cancelled and their reservation released, so
  the units are sellable again.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from omnialloc.domain import DeliveryMode, OrderStatus, ShipmentStatus
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.services.orders import queries
from omnialloc.services.access import SYSTEM, Principal
from omnialloc.services.allocation.allocator import move_order
from omnialloc.services.events import now, record
from omnialloc.services.fulfilment.shipments import move_shipment, visible_shipment
from omnialloc.services.orders.lifecycle import release_reservation

_ACTORS = (Role.ADMIN, Role.NODE)


def _pickup_order(uow, shipment):
    order = uow.orders.get(shipment.order_id, for_update=True)
    if order is None or order.delivery_mode != DeliveryMode.PICKUP:
        raise Conflict(f"shipment {shipment.id} is not a pickup-in-store order; ship it instead")
    return order


def ready(ctx, principal: Principal, shipment_id: str) -> dict:
    """The goods wait at the counter: generate the pickup code for the customer."""
    principal.require(*_ACTORS)
    with ctx.uow() as uow:
        shipment = visible_shipment(uow, principal, shipment_id)
        order = _pickup_order(uow, shipment)
        if shipment.status == ShipmentStatus.ALLOCATED:
            raise Conflict(f"shipment {shipment_id} must be accepted before it is ready for pickup")
        move_shipment(uow, shipment, ShipmentStatus.READY_FOR_PICKUP, principal.actor, f"ready at {shipment.node}")
        code = f"{secrets.randbelow(10**6):06d}"
        uow.orders.set_pickup_code(order.id, code)
        expires = now() + timedelta(days=ctx.settings.pickup_expiry_days)
        move_order(uow, order, OrderStatus.READY_FOR_PICKUP, principal.actor,
                   f"ready for pickup at {shipment.node} until {expires:%Y-%m-%d}", shipment=shipment.id,
                   pickup_node=shipment.node, expires_at=expires.isoformat())
        uow.commit()
    return queries.shipment_view(ctx, principal, shipment_id)


def collect(ctx, principal: Principal, shipment_id: str, code: str) -> dict:
    """The customer collects with the code: stock leaves on-hand; wrong code -> 422, nothing changes."""
    principal.require(*_ACTORS)
    with ctx.uow() as uow:
        shipment = visible_shipment(uow, principal, shipment_id)
        order = _pickup_order(uow, shipment)
        if shipment.status != ShipmentStatus.READY_FOR_PICKUP:
            raise Conflict(f"shipment {shipment_id} is {shipment.status}, not READY_FOR_PICKUP")
        stored = uow.orders.pickup_code(order.id)
        if not stored or not hmac.compare_digest(stored, code.strip()):
            raise ValidationFailed("the pickup code does not match this order",
                                   field_errors=[FieldError("code", "wrong pickup code")])
        move_shipment(uow, shipment, ShipmentStatus.COLLECTED, principal.actor, "collected by the customer")
        for line in sorted(shipment.lines, key=lambda l: l.sku):
            if line.qty and not uow.inventory.consume(shipment.node, line.sku, line.qty):
                raise Conflict(f"reserved stock of {line.sku} at {shipment.node} is missing; run `omnialloc check`")
        move_order(uow, order, OrderStatus.PICKED_UP, principal.actor, f"collected at {shipment.node}")
        uow.commit()
    return queries.shipment_view(ctx, principal, shipment_id)


def pickup_info(ctx, principal: Principal, order_id: str) -> dict:
    """What the channel tells its customer: where, status, the code (once ready) and until when."""
    principal.require(Role.ADMIN, Role.CHANNEL)
    with ctx.uow(readonly=True) as uow:
        order = uow.orders.get(order_id)
        if order is None or not principal.sees_channel(order.channel):
            raise NotFound(f"order {order_id} not found")
        if order.delivery_mode != DeliveryMode.PICKUP:
            raise Conflict(f"order {order_id} is shipped, not picked up in store")
        ready_at = _ready_at(uow, order_id)
        code = uow.orders.pickup_code(order_id) if order.status == OrderStatus.READY_FOR_PICKUP else None
    expires = ready_at + timedelta(days=ctx.settings.pickup_expiry_days) if ready_at else None
    return {"order_id": order_id, "status": str(order.status), "pickup_node": order.pickup_node,
            "pickup_code": code, "ready_at": ready_at, "expires_at": expires}


def _ready_at(uow, order_id: str) -> datetime | None:
    for e in reversed(uow.events.for_entity("order", order_id)):
        if e.to_status == str(OrderStatus.READY_FOR_PICKUP):
            return e.at
    return None


def expire(ctx, *, days: int | None = None, at: datetime | None = None, actor: str = SYSTEM.actor) -> list[str]:
    """Cancel pickup orders that waited more than ``days`` (default ``pickup_expiry_days``); restock. Returns ids."""
    days = ctx.settings.pickup_expiry_days if days is None else days
    cutoff = (at or now()) - timedelta(days=days)
    with ctx.uow(readonly=True) as uow:
        candidates = uow.shipments.ids_unchanged_since(ShipmentStatus.READY_FOR_PICKUP, cutoff)
    expired = []
    for sid in candidates:
        with ctx.uow() as uow:
            shipment = uow.shipments.get(sid, for_update=True)
            if shipment is None or shipment.status != ShipmentStatus.READY_FOR_PICKUP:
                continue  # collected meanwhile
            order = uow.orders.get(shipment.order_id, for_update=True)
            reason = f"not collected within {days} day(s); restocked"
            release_reservation(uow, shipment)
            move_shipment(uow, shipment, ShipmentStatus.CANCELLED, actor, reason)
            for line in order.lines:
                uow.orders.set_cancelled_qty(order.id, line.line_no, line.qty)
            move_order(uow, order, OrderStatus.CANCELLED, actor, reason)
            record(uow, "inventory", shipment.node, "pickup_restock", actor, reason=reason,
                   lines={l.sku: l.qty for l in shipment.lines}, shipment=sid)
            uow.commit()
            expired.append(order.id)
    return expired

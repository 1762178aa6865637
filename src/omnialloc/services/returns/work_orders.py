"""Refurbishment and repair work orders: opened by receiving a graded return (grade B refurbish, D repair:
services.returns.returns), closed by the node that did the work.

Closing one accounts for every unit: ``restocked`` go back on hand at the work order's node (an inventory
adjustment with its event, as a grade-A restock is, and backorders of the SKU are retried), ``scrapped``
are written off. Until then the units are in no stock figure: receiving a grade-B unit does not make it
sellable.
"""

from __future__ import annotations

import dataclasses

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.returns import WORK_ORDER_DONE as DONE
from omnialloc.domain.returns import WORK_ORDER_OPEN as OPEN
from omnialloc.domain.returns import WorkOrder
from omnialloc.services.access import AccessDenied, Principal
from omnialloc.services.events import record
from omnialloc.services.paging import keyset_page
from omnialloc.services import bus
from omnialloc.services.messages import RetryBackorders

READERS = (Role.ADMIN, Role.ANALYST, Role.NODE)
_RESTOCK_REASON = {"refurbish": "refurbished", "repair": "repaired"}


def _sees(principal: Principal, wo: WorkOrder) -> bool:
    if principal.role == Role.NODE:
        return principal.node == wo.node
    return principal.role in (Role.ADMIN, Role.ANALYST)


def _view(uow, wo: WorkOrder, completed=None) -> dict:
    """The work order, with how it was closed (its ``completed`` event: given, or read) once it is."""
    out = {k: getattr(wo, k) for k in ("id", "return_id", "node", "sku", "qty", "kind", "status", "created_at")}
    out.update(restocked=None, scrapped=None, completed_at=None, completed_by=None, note=None)
    if wo.status == DONE and completed is None:
        completed = next((e for e in reversed(uow.events.for_entity("work_order", wo.id))
                          if e.type == "completed"), None)
    if completed is not None:
        out.update(restocked=completed.payload.get("restocked"), scrapped=completed.payload.get("scrapped"),
                   completed_at=completed.at, completed_by=completed.actor, note=completed.payload.get("note"))
    return out


def list_work_orders(ctx, principal: Principal, q: dict) -> dict:
    """Work orders oldest first; a node key sees its own node's only."""
    if principal.role not in READERS:
        raise AccessDenied(f"the {principal.role} role cannot list work orders")
    node = q.get("node")
    if principal.role == Role.NODE:
        if node not in (None, principal.node):
            return {"items": [], "next_cursor": None}
        node = principal.node
    return keyset_page(ctx, q, "work-orders", lambda uow, after, limit: uow.work_orders.list(
        status=q.get("status"), node=node, after=after, limit=limit), _view)


def complete(ctx, principal: Principal, work_order_id: str, body: dict) -> dict:
    """Close an open work order: ``restocked`` units back on hand at its node, ``scrapped`` written off."""
    principal.require(Role.ADMIN, Role.NODE)
    restocked, scrapped, note = body["restocked"], body["scrapped"], body.get("note")
    with ctx.uow() as uow:
        wo = uow.work_orders.get(work_order_id, for_update=True)
        if wo is None or not _sees(principal, wo):
            raise NotFound(f"work order {work_order_id} not found")
        if wo.status != OPEN:
            raise Conflict(f"work order {work_order_id} is already {wo.status}")
        if restocked + scrapped != wo.qty:
            message = (f"restocked ({restocked}) and scrapped ({scrapped}) must add up to the work order's "
                       f"{wo.qty} unit(s)")
            raise ValidationFailed(message, field_errors=[FieldError("restocked", message)])
        node, sku = wo.node, wo.sku
        reason = _RESTOCK_REASON.get(wo.kind, wo.kind)
        if restocked:
            uow.inventory.adjust(node, sku, restocked)  # (a positive delta always applies)
            record(uow, "inventory", f"{node}:{sku}", "adjusted", principal.actor, reason=reason, delta=restocked,
                   node=node, sku=sku, work_order_id=wo.id, return_id=wo.return_id)
            bus.send(uow, RetryBackorders.of({sku}, "restock"))  # waiting orders get them from the backorder worker
        uow.work_orders.set_status(wo.id, DONE)
        record(uow, "work_order", wo.id, "completed", principal.actor, from_status=OPEN, to_status=DONE,
               reason=f"{restocked} {reason}, {scrapped} scrapped", restocked=restocked, scrapped=scrapped,
               note=note, node=node, sku=sku, return_id=wo.return_id)
        view = _view(uow, dataclasses.replace(wo, status=DONE), completed=uow.events.recorded[-1])
        uow.commit()
    return view

"""A node's work queue: pages with true counts, sorted by dispatch-by deadline, filtered by carrier, status
and SLA; bulk accept / reject / pack (default box per SKU) / print labels / ship; and the scan box.

Bulk actions run each shipment's own use case (accept, reject, pack, ship, book) in its own transaction,
so one shipment that cannot move (a conflict, a missing default box) does not hold back the others; the
result says which moved and why the rest did not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from omnialloc.domain.enums import Role, ShipmentStatus
from omnialloc.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from omnialloc.services.access import Principal
from omnialloc.services.events import now
from omnialloc.services.fulfilment import carrier_booking, documents
from omnialloc.services.fulfilment import shipments as fulfilment
from omnialloc.services.orders.queries import dispatch_by

OPEN = (ShipmentStatus.ALLOCATED, ShipmentStatus.ACCEPTED, ShipmentStatus.PACKED)
SLA = ("breached", "due_today", "on_time", "no_promise")
MAX_PER_PAGE = 100
BULK_MAX = 500


def _node(uow, principal: Principal, node: str) -> None:
    principal.require(Role.ADMIN, Role.NODE)
    if not principal.sees_node(node) or uow.nodes.get(node) is None:
        raise NotFound(f"node {node} not found")


def page(ctx, principal: Principal, node: str, *, status: str | None = None, carrier: str | None = None,
         sla: str | None = None, page_no: int = 1, per_page: int = 25, at: datetime | None = None) -> dict:
    """One page of the node's open shipments, earliest dispatch-by first; ``total`` counts every match."""
    at = at or now()
    if status is not None and status not in {str(s) for s in OPEN}:
        raise ValidationFailed(f"status must be one of {', '.join(str(s) for s in OPEN)}")
    if sla is not None and sla not in SLA:
        raise ValidationFailed(f"sla must be one of {', '.join(SLA)}")
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page_no = max(1, page_no)
    statuses = [status] if status else [str(s) for s in OPEN]
    with ctx.uow(readonly=True) as uow:
        _node(uow, principal, node)
        total = uow.work_queue.count(node, statuses, now=at, carrier=carrier, sla=sla)
        rows = uow.work_queue.page(node, statuses, now=at, carrier=carrier, sla=sla,
                                   offset=(page_no - 1) * per_page, limit=per_page)
        by_status = uow.work_queue.counts_by_status(node, [str(s) for s in OPEN])
        breached = uow.work_queue.count(node, [str(s) for s in OPEN], now=at, sla="breached")
        carriers = uow.work_queue.carriers_at(node, [str(s) for s in OPEN])
    items = []
    for r in rows:
        s = r.shipment
        deadline = r.ship_by or dispatch_by(r.order_created_at, r.promised_days, s.sla_days)
        items.append({
            "id": s.id, "order_id": s.order_id, "order_ref": r.order_ref, "status": str(s.status),
            "carrier": s.carrier, "awb": s.awb, "priority": r.order_priority, "payment_mode": r.payment_mode,
            "dispatch_by": deadline, "breached": deadline is not None and deadline < at,
            "lines": [{"sku": l.sku, "qty": l.qty} for l in s.lines if l.qty], "weight_g": s.weight_g,
            "booking_status": r.booking_status, "booking_error": r.booking_error, "pickup_id": r.pickup_id})
    pages = max(1, -(-total // per_page))
    return {"node": node, "rows": items, "total": total, "page": page_no, "pages": pages, "per_page": per_page,
            "counts": {str(s): by_status.get(str(s), 0) for s in OPEN}, "open_total": sum(by_status.values()),
            "breached_total": breached, "carriers": carriers,
            "filters": {"status": status, "carrier": carrier, "sla": sla}}


@dataclass
class BulkResult:
    action: str
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _visible_ids(ctx, principal: Principal, node: str, ids: list[str]) -> list[str]:
    ids = list(dict.fromkeys(i for i in ids if i))
    if not ids:
        raise ValidationFailed("select at least one shipment")
    if len(ids) > BULK_MAX:
        raise ValidationFailed(f"at most {BULK_MAX} shipments at a time")
    with ctx.uow(readonly=True) as uow:
        _node(uow, principal, node)
    return ids


def default_box(ctx, principal: Principal, shipment_id: str) -> dict:
    with ctx.uow(readonly=True) as uow:
        f = documents.facts(uow, principal, shipment_id)
    box = f.default_box()
    if box is None:
        skus = ", ".join(sorted({l.sku for l in f.shipment.lines if l.qty}))
        raise Conflict(f"no default box for {skus}: set one (PUT /skus/<sku>/box) or pack this shipment by hand")
    return box


def bulk(ctx, principal: Principal, node: str, action: str, ids: list[str], *, reason: str = "") -> BulkResult:
    """Run ``action`` (accept, reject, pack, ship, book) on each shipment; each in its own transaction."""
    ids = _visible_ids(ctx, principal, node, ids)
    if action == "reject" and not (reason or "").strip():
        raise ValidationFailed("give a reason for rejecting")
    result = BulkResult(action)
    for sid in ids:
        try:
            _one(ctx, principal, node, action, sid, reason.strip())
        except DomainError as exc:
            result.failed.append((sid, exc.detail))
        else:
            result.done.append(sid)
    return result


def _one(ctx, principal: Principal, node: str, action: str, sid: str, reason: str) -> None:
    with ctx.uow(readonly=True) as uow:
        shipment = uow.shipments.get(sid)
    if shipment is None or shipment.node != node or not principal.sees_node(shipment.node):
        raise NotFound(f"shipment {sid} not found")
    if action == "accept":
        fulfilment.accept(ctx, principal, sid)
    elif action == "reject":
        fulfilment.reject(ctx, principal, sid, reason)
    elif action == "pack":
        fulfilment.pack(ctx, principal, sid, default_box(ctx, principal, sid))
    elif action == "ship":
        fulfilment.ship(ctx, principal, sid, None)
    elif action == "book":
        view = carrier_booking.book(ctx, principal, sid)
        if not view["awb"]:
            error = (view.get("booking") or {}).get("error") or "not booked yet"
            raise Conflict(f"booking failed: {error}")
    else:
        raise ValidationFailed(f"unknown action {action!r}")


def labels(ctx, principal: Principal, node: str, ids: list[str]) -> tuple[list, BulkResult]:
    """The label views of the selected shipments, booking those not booked yet (carriers with a booking
    configured); the shipments that cannot print are in the result's ``failed``."""
    ids = _visible_ids(ctx, principal, node, ids)
    result = BulkResult("print")
    views = []
    for sid in ids:
        try:
            with ctx.uow(readonly=True) as uow:
                s = uow.shipments.get(sid)
                configured = s is not None and uow.carrier_booking.config(s.carrier) is not None
            if s is None or s.node != node:
                raise NotFound(f"shipment {sid} not found")
            if not s.awb and configured:
                _one(ctx, principal, node, "book", sid, "")
            views.append(documents.label(ctx, principal, sid))
        except DomainError as exc:
            result.failed.append((sid, exc.detail))
        else:
            result.done.append(sid)
    return views, result


def scan(ctx, principal: Principal, node: str, code: str) -> tuple[str, str | None]:
    """What a scan at the packing table does: an AWB or a product barcode (or SKU code) finds the shipment;
    an accepted one is packed in its default box. Returns (message, shipment id)."""
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise ValidationFailed("scan an AWB or a product barcode")
    with ctx.uow(readonly=True) as uow:
        _node(uow, principal, node)
        shipment = uow.shipments.by_awb(code)
        if shipment is not None and shipment.node != node:
            shipment = None
        if shipment is None:
            sku = uow.skus.codes_with_barcodes([code]).get(code) or (code if uow.skus.get(code) else None)
            if sku is None:
                raise NotFound(f"{code}: no shipment of {node} has this AWB, and no product has this barcode")
            found = uow.work_queue.page(node, [str(ShipmentStatus.ACCEPTED)], now=now(), sku=sku, limit=1)
            if not found:
                raise NotFound(f"{code} ({sku}): no accepted shipment of {node} waits for it")
            shipment = found[0].shipment
    if shipment.status == ShipmentStatus.ACCEPTED:
        view = fulfilment.pack(ctx, principal, shipment.id, default_box(ctx, principal, shipment.id))
        return f"Shipment {shipment.id} packed" + (f", AWB {view['awb']}" if view.get("awb") else ""), shipment.id
    return f"Shipment {shipment.id} is {shipment.status}", shipment.id

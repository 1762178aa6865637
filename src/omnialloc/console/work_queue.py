"""The node's work queue screen (issue 26): paged with true counts, sorted by dispatch-by deadline with
breaches highlighted, filtered by status, carrier and SLA; bulk accept / reject / pack (default box per SKU) /
print labels (one PDF) / ship; a scan box (AWB or product barcode) that packs; today's carrier pickups with
their manifests, and today's handover list.

Per-shipment actions post to ``console.shipment_action`` (console/views.py). Each view parses the form, calls
``services.fulfilment.work_queue`` (or ``carrier_pickups``) with the session's principal, and renders.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for

from omnialloc.api.deps import ctx
from omnialloc.console import bp, need, reads, safe_next
from omnialloc.documents import LabelLayout, render_bundle, render_manifest
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, NotFound, ValidationFailed
from omnialloc.services.fulfilment import carrier_pickups
from omnialloc.services.fulfilment import work_queue as queue_service
from omnialloc.services.orders import queries

BULK_ACTIONS = ("accept", "reject", "pack", "ship", "print")
_NAMES = {"accept": "Accepted", "reject": "Rejected", "pack": "Packed", "ship": "Shipped", "print": "Printed"}


def _node(p) -> tuple[str, list[str]]:
    nodes = [n.code for n in reads.nodes(ctx())] if p.role == Role.ADMIN else [p.node]
    node = p.node if p.role == Role.NODE else (request.values.get("node") or (nodes[0] if nodes else ""))
    if node not in nodes:
        abort(404)
    return node, nodes


def _whole(name: str, default: int, lo: int, hi: int) -> int:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ValidationFailed(f"{name} must be a whole number")
    return max(lo, min(hi, int(raw)))


def _back(node: str):
    return redirect(safe_next(request.form.get("back")) or url_for("console.queue", node=node), code=303)


def _report(result) -> None:
    if result.done:
        flash(f"{_NAMES[result.action]} {len(result.done)} shipment(s).", "ok")
    for sid, why in result.failed[:10]:
        flash(f"{sid}: {why}", "error")
    if len(result.failed) > 10:
        flash(f"... and {len(result.failed) - 10} more not done", "error")


@bp.get("/queue")
def queue():
    p = need(Role.ADMIN, Role.NODE)
    node, nodes = _node(p)
    args = request.args
    view = queue_service.page(ctx(), p, node, status=args.get("status") or None, carrier=args.get("carrier") or None,
                              sla=args.get("sla") or None, page_no=_whole("page", 1, 1, 1_000_000),
                              per_page=_whole("per", 25, 1, queue_service.MAX_PER_PAGE))
    manifest = queries.manifest(ctx(), p, node, None)
    board = carrier_pickups.board(ctx(), p, node)
    return render_template("console/work_queue.html", node=node, nodes=nodes, q=view, manifest=manifest,
                           board=board, sla_names=queue_service.SLA)


@bp.post("/queue/bulk")
def queue_bulk():
    p = need(Role.ADMIN, Role.NODE)
    node, _ = _node(p)
    action = request.form.get("action") or ""
    if action not in BULK_ACTIONS:
        abort(404)
    ids = request.form.getlist("ids")
    try:
        if action == "print":
            views, result = queue_service.labels(ctx(), p, node, ids)
            _report(result)
            if not views:
                return _back(node)
            layout = LabelLayout.A4_4UP if request.form.get("size") == "a4" else LabelLayout.THERMAL_4X6
            return Response(render_bundle(views, label_layout=layout), mimetype="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="labels-{node}.pdf"'})
        _report(queue_service.bulk(ctx(), p, node, action, ids, reason=request.form.get("reason") or ""))
    except (ValidationFailed, Conflict, NotFound) as exc:
        flash(exc.detail, "error")
    return _back(node)


@bp.post("/queue/scan")
def queue_scan():
    p = need(Role.ADMIN, Role.NODE)
    node, _ = _node(p)
    try:
        message, _sid = queue_service.scan(ctx(), p, node, request.form.get("code") or "")
    except (ValidationFailed, Conflict, NotFound) as exc:
        flash(exc.detail, "error")
    else:
        flash(message, "ok")
    return _back(node)


@bp.post("/queue/pickups")
def queue_pickup():
    p = need(Role.ADMIN, Role.NODE)
    node, _ = _node(p)
    try:
        pickup = carrier_pickups.request(ctx(), p, node, request.form.get("carrier") or "")
    except (ValidationFailed, Conflict, NotFound) as exc:
        flash(exc.detail, "error")
    else:
        flash(f"Pickup {pickup['reference']} requested for {pickup['count']} shipment(s).", "ok")
    return _back(node)


@bp.get("/queue/manifests/<pickup_id>.pdf")
def queue_manifest(pickup_id: str):
    p = need(Role.ADMIN, Role.NODE)
    node, _ = _node(p)
    pdf = render_manifest(carrier_pickups.manifest(ctx(), p, node, pickup_id))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="manifest-{pickup_id}.pdf"'})

"""Console screens. Each view parses the form, calls one service with the session's principal, renders.

Mistakes a person can fix (a bad reason, a conflict, a rule that does not
compile) come back as a message on the same screen; a role that may not do a
thing gets the 403 page, a thing outside the key's scope the 404 page.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from pydantic import ValidationError as PydanticError

from omnialloc.api.deps import ctx
from omnialloc.console import bp, home_for, need, principal, reads, safe_next, start_session
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, NotFound, ValidationFailed
from omnialloc.services.fulfilment import shipments as fulfilment
from omnialloc.services.inventory import positions
from omnialloc.services.orders import queries
from omnialloc.services.rules import admin
from omnialloc.services.returns import work_orders
from omnialloc.services.access import hash_key, principal_for_token



def _back(default: str):
    target = safe_next(request.form.get("back"))
    return redirect(target or default, code=303)


def _fail(exc: Exception) -> None:
    if isinstance(exc, PydanticError):
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e["loc"])
            flash(f"{where}: {e['msg']}", "error")
        return
    detail = getattr(exc, "detail", str(exc))
    flash(detail, "error")
    for fe in getattr(exc, "field_errors", [])[:8]:
        if fe.message not in detail:
            flash(f"{fe.field}: {fe.message}", "error")


def _int(name: str, default: int | None = None, *, lo: int | None = None, hi: int | None = None) -> int | None:
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number, got {raw[:30]!r}") from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValidationFailed(f"{name} must be between {lo} and {hi}")
    return value


# --------------------------------------------------------------------------- login / logout
@bp.route("/login", methods=["GET", "POST"])
def login():
    why = request.args.get("why")
    messages = {"expired": "Your session expired; log in again.", "revoked": "That key was revoked.",
                "required": "Log in to continue.", "out": "You are logged out."}
    error = None
    if request.method == "POST":
        token = (request.form.get("api_key") or "").strip()
        from omnialloc.api.deps import readonly_uow

        with readonly_uow() as uow:
            p = principal_for_token(uow, token)
            record = uow.api_keys.find(token[:11], hash_key(token)) if p is not None else None
        if p is None or record is None:
            error = "That API key is unknown or revoked."
        else:
            start_session(record)
            return redirect(safe_next(request.args.get("next")) or url_for(home_for(p.role)), code=303)
    return render_template("console/login.html", notice=messages.get(why or ""), error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("console.login", why="out"), code=303)


@bp.get("/")
def home():
    return redirect(url_for(home_for(principal().role)))


# Orders (list, new order, the order page, returns from it): console/orders.py


# --------------------------------------------------------------------------- node work queue
# The queue screen itself is console/work_queue.py (issue 26); per-shipment actions stay here.


@bp.post("/shipments/<shipment_id>/<action>")
def shipment_action(shipment_id: str, action: str):
    p = need(Role.ADMIN, Role.NODE)
    default = url_for("console.queue", node=request.form.get("node") or None)
    try:
        if action == "accept":
            view = fulfilment.accept(ctx(), p, shipment_id)
        elif action == "reject":
            reason = (request.form.get("reason") or "").strip()
            if not reason or len(reason) > 500:
                raise ValidationFailed("give a reason for rejecting (up to 500 characters)")
            view = fulfilment.reject(ctx(), p, shipment_id, reason)
        elif action == "pack":
            box = {"weight_g": _int("weight_g", lo=1, hi=1_000_000), "length_mm": _int("length_mm", lo=1, hi=5000),
                   "width_mm": _int("width_mm", lo=1, hi=5000), "height_mm": _int("height_mm", lo=1, hi=5000)}
            missing = [k for k, v in box.items() if v is None]
            if missing:
                raise ValidationFailed("pack needs " + ", ".join(missing))
            view = fulfilment.pack(ctx(), p, shipment_id, box)
        elif action == "ship":
            awb = (request.form.get("awb") or "").strip() or None
            if awb is not None and (len(awb) > 40 or not awb.replace("-", "").isalnum()):
                raise ValidationFailed("the AWB is letters, digits and dashes, up to 40 characters")
            view = fulfilment.ship(ctx(), p, shipment_id, awb)
        else:
            abort(404)
    except (ValidationFailed, Conflict) as exc:
        _fail(exc)
    else:
        flash(f"Shipment {shipment_id}: {view['status']}" + (f", AWB {view['awb']}" if view.get("awb") else ""),
              "ok")
    return _back(default)


@bp.get("/shipments")
def carrier_shipments():
    p = need(Role.CARRIER, Role.ADMIN)
    page = queries.recent_shipments(ctx(), p, request.args.get("cursor") or None)  # newest first
    return render_template("console/shipments.html", page=page)


# --------------------------------------------------------------------------- inventory
@bp.get("/inventory", endpoint="inventory")
def inventory_screen():
    return inventory_page()


def inventory_page(report=None, row_errors=None, status=200):
    p = need(Role.ADMIN, Role.NODE, Role.ANALYST)
    sku = (request.args.get("sku") or "").strip() or None
    node = p.node if p.role == Role.NODE else (request.args.get("node") or None)
    sku_view = None
    if sku:
        try:
            sku_view = positions.sku_view(ctx(), p, sku)
        except NotFound:
            flash(f"No SKU {sku!r}.", "error")
    page = positions.list_positions(ctx(), p, sku=sku, node=node, limit=100,
                                    cursor=request.args.get("cursor") or None)
    nodes = [n.code for n in reads.nodes(ctx())] if p.role != Role.NODE else [p.node]
    try:
        from omnialloc.services.inventory import stock_import  # noqa: F401 - bulk upload exists once issue 6 lands

        can_import = p.role in (Role.ADMIN, Role.NODE)
    except ImportError:
        can_import = False
    return render_template("console/inventory.html", page=page, sku=sku, node=node, nodes=nodes, sku_view=sku_view,
                           reasons=sorted(positions.REASON_SIGN), can_write=p.role in (Role.ADMIN, Role.NODE),
                           can_import=can_import, report=report, row_errors=row_errors), status


@bp.post("/inventory/adjust")
def inventory_adjust():
    p = need(Role.ADMIN, Role.NODE)
    sku = (request.form.get("sku") or "").strip()
    try:
        adj = {"node": p.node if p.role == Role.NODE else (request.form.get("node") or "").strip(),
               "sku": sku, "delta": _int("delta", lo=-1_000_000, hi=1_000_000),
               "reason": request.form.get("reason") or "", "note": (request.form.get("note") or "")[:200]}
        if adj["delta"] is None:
            raise ValidationFailed("give the change in units (negative to remove)")
        result = positions.adjust(ctx(), p, [adj])
    except (ValidationFailed, Conflict) as exc:
        _fail(exc)
    else:
        flash(f"Adjusted {adj['sku']} at {adj['node']} by {adj['delta']}"
              + ("; waiting orders will be retried" if result.get("backorder_retries_queued")
                 else "") + ".", "ok")
    return redirect(url_for("console.inventory", sku=sku or None), code=303)


@bp.post("/inventory/import")
def inventory_import():
    p = need(Role.ADMIN, Role.NODE)
    from omnialloc.services.inventory import stock_import

    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    if not data:
        flash("choose a CSV file to upload", "error")
        return redirect(url_for("console.inventory"), code=303)
    mode = request.form.get("mode") or "delta"
    node = p.node if p.role == Role.NODE else (request.form.get("node") or None)
    try:
        report = stock_import.import_stock(ctx(), p, data, mode=mode, node=node,
                                           dry_run=bool(request.form.get("dry_run")), source="console")
    except stock_import.ImportRejected as exc:
        flash(exc.detail, "error")
        return inventory_page(row_errors=[e.as_dict() for e in exc.rows], status=422)
    except (ValidationFailed, Conflict) as exc:
        _fail(exc)
        return redirect(url_for("console.inventory"), code=303)
    return inventory_page(report=report)


# --------------------------------------------------------------------------- rules
RULE_KINDS = ["validation", "routing", "shipping", "split"]


@bp.get("/rules")
def rules():
    p = need(Role.ADMIN)
    kind = request.args.get("kind") if request.args.get("kind") in RULE_KINDS else None
    items = admin.list_rules(ctx(), p, kind)["items"]
    items.sort(key=lambda r: (RULE_KINDS.index(r["kind"]) if r["kind"] in RULE_KINDS else 9, r["priority"], r["id"]))
    return render_template("console/rules.html", items=items, kind=kind, kinds=RULE_KINDS)


def _rule_form(form) -> dict:
    raw = form.get("actions") or "[]"
    try:
        actions = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"actions: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(actions, list):
        raise ValidationFailed("actions: a JSON list of action objects, e.g. [{\"type\": \"hold\", \"reason\": \"x\"}]")
    return {"name": (form.get("name") or "").strip(), "kind": form.get("kind") or "",
            "condition": form.get("condition") or "", "actions": actions,
            "priority": _int("priority", 100, lo=0, hi=1_000_000), "enabled": bool(form.get("enabled")),
            "stop_processing": bool(form.get("stop_processing")),
            "description": (form.get("description") or "").strip()[:500]}


@bp.route("/rules/new", methods=["GET", "POST"])
@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
def rule_edit(rule_id: int | None = None):
    p = need(Role.ADMIN)
    rule = admin.get_rule(ctx(), p, rule_id) if rule_id else None
    problems = []
    form: dict[str, Any]
    if request.method == "POST":
        form = dict(request.form)
        try:
            body = _rule_form(request.form)
            if not body["name"]:
                raise ValidationFailed("give the rule a name")
            check = admin.check_rule(ctx(), p, body)
            if not check["valid"]:
                problems = check["problems"]
                raise ValidationFailed("the rule cannot be saved: " + problems[0]["field"] + ": "
                                       + problems[0]["message"])
            if rule is None:
                saved = admin.create_rule(ctx(), p, body)
            else:
                assert rule_id is not None  # (a rule was found by it)
                saved = admin.update_rule(ctx(), p, rule_id, {**body, "version": _int("version")})
        except (ValidationFailed, Conflict) as exc:
            flash(exc.detail, "error")
            return render_template("console/rule_form.html", rule=rule, form=form, problems=problems,
                                   kinds=RULE_KINDS, schema=admin.schema()), 422
        flash(f"Rule {saved['name']!r} saved (version {saved['version']}).", "ok")
        return redirect(url_for("console.rules", kind=saved["kind"]), code=303)
    if rule is not None:
        form = {**rule, "actions": json.dumps(rule["actions"], indent=1)}
    else:
        form = {"kind": request.args.get("kind") or "routing", "priority": 100, "enabled": True, "actions":
                '[{"type": "only_nodes", "nodes": ["CHN-FC1"]}]', "condition": 'ship_to.state == "TN"'}
    return render_template("console/rule_form.html", rule=rule, form=form, problems=problems, kinds=RULE_KINDS,
                           schema=admin.schema())


@bp.post("/rules/validate.json")
def rule_validate():
    """Live validation for the rule form: problems with offsets, as JSON."""
    p = need(Role.ADMIN)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return {"valid": False, "problems": [{"field": "body", "message": "send the form as a JSON object"}]}, 400
    actions = data.get("actions")
    if isinstance(actions, str):
        try:
            actions = json.loads(actions or "[]")
        except json.JSONDecodeError as exc:
            return {"valid": False, "problems": [{"field": "actions", "message": f"not valid JSON: {exc.msg}",
                                                  "line": exc.lineno, "column": exc.colno, "offset": exc.pos}]}
    body = {k: data.get(k) for k in ("name", "kind", "condition")}
    body["actions"] = actions
    for k in ("name", "kind", "condition"):
        if body[k] is not None and not isinstance(body[k], str):
            body[k] = str(body[k])
        if body[k] and len(body[k]) > 5000:
            return {"valid": False, "problems": [{"field": k, "message": "longer than 5000 characters"}]}
    return admin.check_rule(ctx(), p, body)


@bp.post("/rules/<int:rule_id>/toggle")
def rule_toggle(rule_id: int):
    p = need(Role.ADMIN)
    rule = admin.set_enabled(ctx(), p, rule_id, bool(request.form.get("enable")))
    flash(f"Rule {rule['name']!r} {'enabled' if rule['enabled'] else 'disabled'}.", "ok")
    return redirect(url_for("console.rules", kind=request.form.get("kind") or None), code=303)


@bp.post("/rules/<int:rule_id>/delete")
def rule_delete(rule_id: int):
    p = need(Role.ADMIN)
    admin.delete_rule(ctx(), p, rule_id)
    flash(f"Rule {rule_id} deleted (its versions are kept).", "ok")
    return redirect(url_for("console.rules"), code=303)


@bp.post("/rules/<int:rule_id>/move")
def rule_move(rule_id: int):
    """Move a rule one place up or down within its kind; priorities are renumbered 10, 20, 30..."""
    p = need(Role.ADMIN)
    rule = admin.get_rule(ctx(), p, rule_id)
    same = [r for r in admin.list_rules(ctx(), p, rule["kind"])["items"]]
    same.sort(key=lambda r: (r["priority"], r["id"]))
    ids = [r["id"] for r in same]
    i = ids.index(rule_id)
    j = i - 1 if request.form.get("direction") == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        admin.reorder(ctx(), p, ids)
    return redirect(url_for("console.rules", kind=request.form.get("kind") or None), code=303)


@bp.get("/rules/<int:rule_id>/versions")
def rule_versions(rule_id: int):
    p = need(Role.ADMIN)
    return render_template("console/rule_versions.html", v=admin.versions(ctx(), p, rule_id))


@bp.route("/rules/dry-run", methods=["GET", "POST"])
def rule_dry_run():
    p = need(Role.ADMIN)
    result, form = None, dict(request.form)
    status = 200
    if request.method == "POST":
        body: dict = {"compare": True}
        try:
            if (request.form.get("order_id") or "").strip():
                body["order_id"] = request.form["order_id"].strip()
            elif (request.form.get("order_json") or "").strip():
                try:
                    body["order"] = json.loads(request.form["order_json"])
                except json.JSONDecodeError as exc:
                    raise ValidationFailed(f"order JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") \
                        from None
                from omnialloc.api.schemas.orders import OrderIn

                body["order"] = OrderIn.model_validate(body["order"]).model_dump()
            if (request.form.get("condition") or "").strip():
                candidate = _rule_form(request.form)
                candidate["name"] = candidate["name"] or "candidate"
                body["rules"] = [candidate]
            result = admin.dry_run(ctx(), p, body)
        except (ValidationFailed, Conflict, PydanticError) as exc:
            _fail(exc)
            status = 422
    recent = queries.list_orders(ctx(), p, {"limit": 20})["items"]
    return render_template("console/rule_dry_run.html", result=result, form=form, recent=recent,
                           kinds=RULE_KINDS), status


# --------------------------------------------------------------------------- returns
@bp.get("/returns")
def returns():
    p = need(Role.ADMIN, Role.CHANNEL, Role.NODE, Role.ANALYST)
    from omnialloc.services.returns import returns as returns_svc

    q = {"status": request.args.get("status") or None, "cursor": request.args.get("cursor") or None, "limit": 50}
    try:
        page = returns_svc.list_returns(ctx(), p, q)
    except ValueError:
        page = returns_svc.list_returns(ctx(), p, {"limit": 50})
    open_work = None
    if p.role in work_orders.READERS:  # refurbish / repair jobs waiting at the node (a node key: its own)
        open_work = work_orders.list_work_orders(ctx(), p, {"status": work_orders.OPEN, "limit": 100})["items"]
    return render_template("console/returns.html", page=page, q=q, work_orders=open_work,
                           can_complete=p.role in (Role.ADMIN, Role.NODE))


@bp.post("/work-orders/<work_order_id>/complete")
def work_order_complete(work_order_id: str):
    """Close a work order from the returns screen: good units back on hand, the rest scrapped."""
    p = need(Role.ADMIN, Role.NODE)
    try:
        note = (request.form.get("note") or "").strip() or None
        if note is not None and len(note) > 500:
            raise ValidationFailed("the note is longer than 500 characters")
        body = {"restocked": _int("restocked", 0, lo=0, hi=10_000), "scrapped": _int("scrapped", 0, lo=0, hi=10_000),
                "note": note}
        view = work_orders.complete(ctx(), p, work_order_id, body)
    except (ValidationFailed, Conflict) as exc:
        _fail(exc)
    else:
        flash(f"Work order {work_order_id} closed: {view['restocked']} back on hand, {view['scrapped']} scrapped.",
              "ok")
    return redirect(url_for("console.returns"), code=303)


@bp.get("/returns/<return_id>")
def return_detail(return_id: str):
    p = need(Role.ADMIN, Role.CHANNEL, Role.NODE, Role.ANALYST)
    from omnialloc.services.returns import returns as returns_svc

    return render_template("console/return.html", r=returns_svc.return_view(ctx(), p, return_id),
                           can_receive=p.role in (Role.ADMIN, Role.NODE))


@bp.post("/returns/<return_id>/receive")
def return_receive(return_id: str):
    p = need(Role.ADMIN, Role.NODE)
    from omnialloc.services.returns import returns as returns_svc

    units = []
    try:
        for key in request.form:
            if key.startswith("grade_"):  # grade_<line>_<A|B|C|D>
                _, line_no, grade = key.split("_", 2)
                qty = _int(key, 0, lo=0, hi=100_000)
                if qty and grade in ("A", "B", "C", "D"):
                    units.append({"line_no": int(line_no), "grade": grade, "qty": qty})
        if not units:
            raise ValidationFailed("count at least one unit in a grade")
        view = returns_svc.receive(ctx(), p, return_id, {"units": units})
    except (ValidationFailed, Conflict) as exc:
        _fail(exc)
    else:
        flash(f"Return {return_id} received and graded: {view['status']}.", "ok")
    return redirect(url_for("console.return_detail", return_id=return_id), code=303)


@bp.post("/returns/<return_id>/decide")
def return_decide(return_id: str):
    """Approve or reject a REQUESTED return (when auto-approval is off, or the return was not eligible for it)."""
    p = need(Role.ADMIN)
    from omnialloc.services.returns import returns as returns_svc

    try:
        if request.form.get("decision") == "approve":
            view = returns_svc.approve(ctx(), p, return_id)
        else:
            reason = (request.form.get("reason") or "").strip()
            if not reason or len(reason) > 500:
                raise ValidationFailed("give a reason for rejecting the return (up to 500 characters)")
            view = returns_svc.reject(ctx(), p, return_id, reason)
    except (ValidationFailed, Conflict) as exc:
        _fail(exc)
    else:
        flash(f"Return {return_id}: {view['status']}.", "ok")
    return redirect(url_for("console.return_detail", return_id=return_id), code=303)


# Analytics (KPIs): console/analytics.py; benchmark results: console/benchmarks.py

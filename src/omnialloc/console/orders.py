"""Console screens of orders for customer service: the list, a new order, and the order page.

The order page answers a customer's call: contact (phone, e-mail), the items by name, every shipment with
its tracking link and delivery estimate, the order's returns, refunds, exchanges, payment requests and
store credit (its money trail), internal notes, and only the actions its state allows (the others are not
shown, rather than shown and refused). A return (lines, reason, refund / exchange / store credit) is raised
from the same page. Form errors come back in words next to each field, all at once (``console.forms``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from pydantic import ValidationError as PydanticError

from omnialloc.api.deps import ctx
from omnialloc.console import bp, forms, need, reads
from omnialloc.domain.enums import OrderStatus, ReturnReason, ReturnResolution, Role
from omnialloc.domain.errors import Conflict, NotFound, ValidationFailed
from omnialloc.domain.states import ORDER_MACHINE
from omnialloc.services.orders import lifecycle, notes, queries
from omnialloc.services.returns import money
from omnialloc.services.returns import returns as returns_svc

O = OrderStatus
WRITERS = (Role.ADMIN, Role.CHANNEL)
# Shipment states in which the whole order can still be cancelled or held (lifecycle.cancel / hold).
CANCELLABLE = {"ALLOCATED", "ACCEPTED", "PACKED", "REJECTED", "CANCELLED"}
HOLDABLE = {"ALLOCATED", "ACCEPTED", "REJECTED", "CANCELLED"}
DELIVERED = {"DELIVERED", "COLLECTED"}
ALLOCATABLE = {O.CREATED, O.VALIDATED, O.BACKORDERED}
LINE_CANCELLABLE = {O.CREATED, O.VALIDATED, O.ON_HOLD, O.BACKORDERED, O.ALLOCATED, O.PARTIALLY_SHIPPED,
                    O.READY_FOR_PICKUP}
CUSTOMER_REASONS = [r.value for r in ReturnReason if r != ReturnReason.RTO]
RESOLUTIONS = [r.value for r in ReturnResolution]


def available_actions(view: dict) -> set[str]:
    """What the order's state allows: allocate, hold, release, cancel (whole), cancel_lines, return."""
    status = O(view["status"])
    shipments = {s["status"] for s in view["shipments"]}
    out = set()
    if status in ALLOCATABLE:
        out.add("allocate")
    if ORDER_MACHINE.can(status, O.ON_HOLD) and shipments <= HOLDABLE:
        out.add("hold")
    if status == O.ON_HOLD:
        out.add("release")
    if ORDER_MACHINE.can(status, O.CANCELLED) and shipments <= CANCELLABLE:
        out.add("cancel")
    if status in LINE_CANCELLABLE and any(l["qty"] > l["cancelled_qty"] for l in view["lines"]):
        out.add("cancel_lines")
    if shipments & DELIVERED:
        out.add("return")
    return out


# --------------------------------------------------------------------------- list and search
@bp.get("/orders")
def orders():
    p = need(Role.ADMIN, Role.CHANNEL, Role.ANALYST)
    search = (request.args.get("q") or "").strip()
    if search:
        found = reads.find_order(ctx(), p, search)
        if found:
            return redirect(url_for("console.order", order_id=found))
        flash(f"No order with id or external id {search!r}.", "error")
    status = request.args.get("status") or None
    if status is not None and status not in {str(s) for s in OrderStatus}:
        status = None
    q = {"status": status, "channel": request.args.get("channel") or None, "pin": request.args.get("pin") or None,
         "cursor": request.args.get("cursor") or None, "limit": 50}
    page = queries.list_orders(ctx(), p, q)  # newest first
    return render_template("console/orders.html", page=page, q=q, search=search,
                           counts=reads.status_counts(ctx(), p), statuses=[str(s) for s in OrderStatus],
                           channels=reads.channels(ctx()) if p.role != Role.CHANNEL else [p.channel])


# --------------------------------------------------------------------------- new order
def _order_lines(text: str) -> tuple[list[dict], list[str]]:
    """``SKU x qty`` per line -> the lines, and every line that is not of that form (all at once)."""
    lines, problems = [], []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        sku, sep, qty = raw.replace("×", " x ").partition(" x ")
        qty = qty.strip() or "1"
        if not sku.strip() or not qty.isdigit():
            problems.append(f"line {n} ({raw[:40]!r}): write “SKU x quantity”, e.g. SKU-0001 x 2")
            continue
        lines.append({"sku": sku.strip(), "qty": int(qty)})
    if not lines and not problems:
        problems.append("add at least one line, e.g. SKU-0001 x 1")
    return lines, problems


def _order_body(form, p) -> tuple[dict, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    lines, problems = _order_lines(form.get("lines", ""))
    if problems:
        errors["lines"] = problems
    body = {
        "channel": p.channel if p.role == Role.CHANNEL else form.get("channel", ""),
        "external_id": form.get("external_id", "").strip(),
        "payment_mode": form.get("payment_mode", "PREPAID"),
        "ship_to": {k: v for k in ("name", "line1", "city", "pin", "phone", "email")
                    if (v := form.get(k, "").strip())},
        "lines": lines,
    }
    days = (form.get("promised_days") or "").strip()
    if days:
        if days.isdigit():
            body["promised_days"] = int(days)
        else:
            errors["promised_days"] = ["a whole number of days, 1 to 60"]
    return body, errors


@bp.route("/orders/new", methods=["GET", "POST"])
def order_new():
    p = need(*WRITERS)
    form = request.form if request.method == "POST" else {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        from omnialloc.api.schemas.orders import OrderIn

        body, errors = _order_body(request.form, p)
        try:  # the schema's errors join the form's own, so every problem shows at once
            body = OrderIn.model_validate(body).model_dump()
        except PydanticError as exc:
            for field, messages in forms.collect(exc).items():
                if not (field == "lines" and "lines" in errors):
                    errors.setdefault(field, []).extend(messages)
        if not errors:
            try:
                view, created = lifecycle.capture(ctx(), p, body)
            except (ValidationFailed, Conflict) as exc:
                errors = forms.collect(exc)
            else:
                flash(f"Order {view['id']} captured: {view['status']}." if created
                      else f"Already captured as {view['id']}.", "ok")
                return redirect(url_for("console.order", order_id=view["id"]), code=303)
    return render_template("console/order_new.html", form=form, errors=errors,
                           summary=forms.summary(errors) if errors else None,
                           channels=reads.channels(ctx()) if p.role != Role.CHANNEL else [p.channel]), \
        (422 if errors else 200)


# --------------------------------------------------------------------------- the order page
def order_page(order_id: str, *, return_form: dict | None = None, return_errors: dict | None = None,
               status: int = 200):
    p = need(Role.ADMIN, Role.CHANNEL, Role.ANALYST)
    c = ctx()
    view = queries.order_view(c, p, order_id)
    alloc = view.get("plan") or {}
    plan = alloc.get("plan") if isinstance(alloc, dict) else None
    planned = (plan or {}).get("shipments") or []
    terms = list(planned[0]["costs"]) if planned else []
    cost_terms = [t for t in terms if t == "total" or any(s["costs"].get(t) for s in planned)]
    rets = returns_svc.list_returns(c, p, {"order_id": order_id, "limit": 50})["items"]
    trail = money.money_trail(c, p, order_id)
    skus = reads.sku_names(c, {l["sku"] for l in view["lines"]} | {l["sku"] for r in rets for l in r["lines"]})
    actions = available_actions(view) if p.role in WRITERS else set()
    shipments = [{**s, "tracking_url": reads.tracking_url(c, s.get("awb"))} for s in view["shipments"]]
    return render_template(
        "console/order.html", o=view, plan=plan or {}, alloc=alloc, cost_terms=cost_terms,
        map=reads.order_map(view, reads.nodes(c)), shipments=shipments, can_act=bool(actions), actions=actions,
        skus=skus, returns=rets, trail=trail, notes=notes.notes_of(view), can_note=p.role in WRITERS,
        can_settle=p.role in money.SETTLERS, reasons=CUSTOMER_REASONS, resolutions=RESOLUTIONS,
        return_form=return_form or {}, return_errors=return_errors or {},
        return_summary=forms.summary(return_errors) if return_errors else None,
        returnable=_returnable(view, rets)), status


def _returnable(view: dict, rets: list[dict]) -> dict[int, int]:
    """Units per line that were delivered and are not in a return yet (the form's maximum; the service
    checks again, with the return window)."""
    delivered: dict[int, int] = {}
    for s in view["shipments"]:
        if s["status"] in DELIVERED:
            for l in s["lines"]:
                delivered[l["line_no"]] = delivered.get(l["line_no"], 0) + l["qty"]
    for r in rets:
        if r["status"] not in ("REJECTED", "CANCELLED"):
            for l in r["lines"]:
                delivered[l["line_no"]] = delivered.get(l["line_no"], 0) - l["qty"]
    return {no: q for no, q in delivered.items() if q > 0}


@bp.get("/orders/<order_id>")
def order(order_id: str):
    return order_page(order_id)


@bp.post("/orders/<order_id>/<action>")
def order_action(order_id: str, action: str):
    p = need(*WRITERS)
    if action not in ("allocate", "hold", "release", "cancel"):
        abort(404)
    reason = (request.form.get("reason") or "").strip()
    view = queries.order_view(ctx(), p, order_id)
    allowed = available_actions(view)
    wanted = "cancel_lines" if action == "cancel" and any(
        k.startswith("cancel_") and (request.form.get(k) or "").strip() for k in request.form) else action
    if wanted not in allowed:
        flash(f"{action.capitalize()} is not possible: the order is {view['status']}.", "error")
        return redirect(url_for("console.order", order_id=order_id), code=303)
    try:
        if action == "allocate":
            view = lifecycle.allocate_order(ctx(), p, order_id)
        else:
            if not reason:
                raise ValidationFailed("give a reason (it is kept in the order's history)")
            if len(reason) > 500:
                raise ValidationFailed("the reason is longer than 500 characters")
            if action == "hold":
                view = lifecycle.hold(ctx(), p, order_id, reason)
            elif action == "release":
                view = lifecycle.release_hold(ctx(), p, order_id, reason)
            else:
                lines = {}
                for key in request.form:
                    if key.startswith("cancel_") and (raw := (request.form.get(key) or "").strip()):
                        if not raw.isdigit():
                            raise ValidationFailed(f"{key}: a whole number of units")
                        if int(raw):
                            lines[int(key.removeprefix("cancel_"))] = int(raw)
                view = lifecycle.cancel(ctx(), p, order_id, reason, lines or None)
    except (ValidationFailed, Conflict) as exc:
        flash(getattr(exc, "detail", str(exc)), "error")
    else:
        flash(f"{action.capitalize()}: order is now {view['status']}.", "ok")
    return redirect(url_for("console.order", order_id=order_id), code=303)


@bp.post("/orders/<order_id>/note")
def order_note(order_id: str):
    p = need(*WRITERS)
    try:
        notes.add_note(ctx(), p, order_id, request.form.get("note") or "")
    except ValidationFailed as exc:
        flash(exc.detail, "error")
    else:
        flash("Note added.", "ok")
    return redirect(url_for("console.order", order_id=order_id) + "#notes", code=303)


# --------------------------------------------------------------------------- a return from the order page
def _return_body(form, line_nos: list[int]) -> tuple[dict, dict[str, list[str]], list[int]]:
    """The API's return body from the form, the form's own errors, and which order line each body line is."""
    errors: dict[str, list[str]] = {}
    lines, order_of = [], []
    for no in line_nos:
        raw = (form.get(f"ret_qty_{no}") or "").strip()
        if not raw or raw == "0":
            continue
        if not raw.isdigit():
            errors.setdefault(f"ret_{no}", []).append("a whole number of units")
            continue
        line = {"line_no": no, "qty": int(raw), "reason": form.get(f"ret_reason_{no}") or ""}
        if line["reason"] not in CUSTOMER_REASONS:
            errors.setdefault(f"ret_{no}", []).append("choose a reason")
        sku = (form.get(f"ret_sku_{no}") or "").strip()
        if sku:
            line["exchange_sku"] = sku
        lines.append(line)
        order_of.append(no)
    if not lines and not errors:
        errors["ret_lines"] = ["give a quantity on at least one line"]
    resolution = form.get("resolution") or ""
    if resolution not in RESOLUTIONS:
        errors["resolution"] = ["choose refund, exchange or store credit"]
    body: dict = {"lines": lines, "resolution": resolution, "note": (form.get("note") or "").strip()[:500]}
    method, reference = form.get("refund_method") or "", (form.get("refund_reference") or "").strip()
    if reference:
        body["refund_account"] = {"method": method, "reference": reference}
    return body, errors, order_of


def _line_field(loc: str, order_of: list[int]) -> str:
    parts = loc.split(".")
    if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(order_of):
        return f"ret_{order_of[int(parts[1])]}"
    return {"lines": "ret_lines", "refund_account": "refund_account"}.get(parts[0], parts[0])


@bp.post("/orders/<order_id>/returns")
def order_return(order_id: str):
    p = need(*WRITERS)
    view = queries.order_view(ctx(), p, order_id)
    if "return" not in available_actions(view):
        flash(f"Nothing of order {order_id} has been delivered yet: it cannot be returned.", "error")
        return redirect(url_for("console.order", order_id=order_id), code=303)
    body, errors, order_of = _return_body(request.form, [l["line_no"] for l in view["lines"]])
    if not errors:
        from omnialloc.api.schemas.returns import ReturnIn

        try:
            body = ReturnIn.model_validate(body).model_dump()
            ret = returns_svc.request_return(ctx(), p, order_id, body)
        except PydanticError as exc:
            for e in exc.errors():
                loc = ".".join(str(x) for x in e["loc"])
                field = _line_field(loc, order_of)
                errors.setdefault(field, []).append(forms.words(e, field.split("_")[0]))
        except (ValidationFailed, Conflict) as exc:
            for fe in getattr(exc, "field_errors", None) or []:
                errors.setdefault(_line_field(fe.field, order_of), []).append(fe.message)
            if not errors:
                errors["ret_lines"] = [exc.detail]
        else:
            extra = ""
            if ret.get("payment_request"):
                extra = (f" The replacement costs more: a payment request of "
                         f"{ret['payment_request']['amount_paise'] / 100:,.2f} INR is pending.")
            flash(f"Return {ret['id']} created: {ret['status']}"
                  + (f", exchange order {ret['exchange_order_id']}" if ret.get("exchange_order_id") else "")
                  + "." + extra, "ok")
            return redirect(url_for("console.order", order_id=order_id) + "#returns", code=303)
    return order_page(order_id, return_form=dict(request.form), return_errors=errors, status=422)


@bp.post("/payment-requests/<request_id>/settle")
def payment_settle(request_id: str):
    p = need(*money.SETTLERS)
    order_id = request.form.get("order_id") or ""
    try:
        req = money.settle_payment_request(ctx(), p, request_id, {"status": request.form.get("status"),
                                                                   "reference": request.form.get("reference")})
    except (ValidationFailed, Conflict, NotFound) as exc:
        flash(exc.detail, "error")
    else:
        flash(f"Payment request {request_id}: {req['status']}.", "ok")
        order_id = req["order_id"]
    if not order_id:
        return redirect(url_for("console.orders"), code=303)
    return redirect(url_for("console.order", order_id=order_id) + "#money", code=303)

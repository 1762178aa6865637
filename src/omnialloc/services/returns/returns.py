"""Returns and reverse logistics: RMA with eligibility, reverse pickup, grading, disposition, resolution, RTO.

One use case per public function, each write in one transaction with its events
(``services.events.record``; the outbox turns ``return`` events into customer
messages: APPROVED -> return_approved, PICKUP_SCHEDULED -> return_pickup_scheduled,
RECEIVED -> return_received, type ``refund_issued`` -> refund_issued).

    request  -> REQUESTED -> APPROVED (auto or by an admin) -> PICKUP_SCHEDULED
             (solver: destination node + reverse carrier + reverse AWB)
             -> PICKED_UP -> IN_TRANSIT (carrier webhook on the reverse AWB)
             -> RECEIVED -> GRADED (POST /returns/{id}/receive at the node: per-unit
                grades A restock / B refurbish / C write off / D repair)
             -> CLOSED (refund, store credit, or the exchange order already made)

Exchanges are new orders captured and allocated through ``lifecycle.capture``,
linked to the return; their shipments may not ship before the return is picked
up unless ``exchange_ship_policy`` is ``immediately``.

RTO (an undelivered forward shipment arriving back at its node) becomes an
automatic return with reason ``rto``: all units restocked at that node on
arrival; prepaid orders get a refund. Its status moves are recorded as ``note``
events (audit only), so the buyer is not told "we received your return" for a
parcel they never got.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import defaultdict
from datetime import date, timedelta

from omnialloc.domain import RETURN_MACHINE, Capability, Order, PaymentMode, ReturnReason, ReturnStatus
from omnialloc.domain.enums import Grade, ReturnResolution, Role
from omnialloc.domain.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed
from omnialloc.domain.payments import PENDING as PAYMENT_PENDING
from omnialloc.domain.payments import PaymentRequest
from omnialloc.domain.returns import WORK_ORDER_OPEN, Disposition, Refund, Return, ReturnLine, WorkOrder
from omnialloc.geo.distance import haversine_km
from omnialloc.logistics.lanes import lanes_for
from omnialloc.logistics.rates import billed_weight_g, slab_count
from omnialloc.services.access import SYSTEM, AccessDenied, Principal
from omnialloc.services.events import now, record
from omnialloc.services.network.cache import network
from omnialloc.services.network.cache import skus as sku_master
from omnialloc.services.paging import keyset_page
from omnialloc.solvers.returns import ReturnDestinationProblem
from omnialloc.services import bus
from omnialloc.services.messages import RetryBackorders
from omnialloc.services.allocation.allocator import destination as customer_location
from omnialloc.services.fulfilment import credit_notes
from omnialloc.services.orders import lifecycle
from omnialloc.services.orders.queries import event_dict
from omnialloc.services.returns import money

S = ReturnStatus
DELIVERED_SHIPMENTS = ("DELIVERED", "COLLECTED")
NOT_COUNTING = (str(S.REJECTED), str(S.CANCELLED))
NEEDS_REPAIR = frozenset({ReturnReason.DAMAGED, ReturnReason.DEFECTIVE})
DISPOSITION = {Grade.A: "restock", Grade.B: "refurbish", Grade.C: "write_off", Grade.D: "repair"}
RECEIVABLE = (S.APPROVED, S.PICKUP_SCHEDULED, S.PICKED_UP, S.IN_TRANSIT)
BEFORE_PICKUP = (str(S.REQUESTED), str(S.APPROVED), str(S.PICKUP_SCHEDULED))
_PROGRESS = {S.REQUESTED: 0, S.APPROVED: 1, S.PICKUP_SCHEDULED: 2, S.PICKED_UP: 3, S.IN_TRANSIT: 4,
             S.RECEIVED: 5, S.GRADED: 6, S.CLOSED: 7}
# Carrier scans on a reverse AWB -> return status (None: recorded, no status change).
REVERSE_SCAN = {"picked_up": S.PICKED_UP, "in_transit": S.IN_TRANSIT, "out_for_delivery": S.IN_TRANSIT,
                "delivered": None, "failed_attempt": None, "rto_initiated": None, "rto_delivered": None}
READERS = (Role.ADMIN, Role.ANALYST, Role.CHANNEL, Role.NODE)


def category_windows(settings) -> dict[str, int]:
    """``electronics=10,beauty=7`` -> {"electronics": 10, "beauty": 7}; malformed parts are ignored."""
    out = {}
    for part in (settings.return_window_days_by_category or "").split(","):
        name, _, days = part.partition("=")
        if name.strip() and days.strip().isdigit():
            out[name.strip()] = int(days)
    return out


# ------------------------------------------------------------------ request
def request_return(ctx, principal: Principal, order_id: str, body: dict) -> dict:
    """Check eligibility, store the RMA (REQUESTED), and approve + schedule pickup when auto-approve is on."""
    principal.require(Role.ADMIN, Role.CHANNEL)
    with ctx.uow() as uow:
        order = uow.orders.get(order_id, for_update=True)
        if order is None or not principal.sees_channel(order.channel):
            raise NotFound(f"order {order_id} not found")
        lines = _eligible_lines(uow, ctx, order, body)
        refund_method = refund_reference = None
        if body["resolution"] == ReturnResolution.REFUND:
            account = body.get("refund_account")
            refund_method = account["method"] if account else "original"
            refund_reference = account["reference"] if account else None
        ret = Return(id="ret_" + secrets.token_hex(8), order_id=order.id, channel=order.channel,
                     customer_id=order.customer_id, origin="customer", status=S.REQUESTED,
                     resolution=body["resolution"], exchange_policy=ctx.settings.exchange_ship_policy,
                     requested_by=principal.actor, refund_method=refund_method, refund_reference=refund_reference,
                     created_at=now(), lines=tuple(lines))
        uow.returns.add(ret)
        record(uow, "return", ret.id, "requested", principal.actor, to_status=S.REQUESTED,
               reason=body.get("note") or None, **_facts(ret),
               lines=[{k: getattr(l, k) for k in ("line_no", "sku", "qty", "reason", "exchange_sku")} for l in lines])
        approved = False
        if ctx.settings.return_auto_approve:
            _approve_in(uow, ctx, ret, order, "system:auto-approve", "eligible: approved automatically")
            approved = True
        uow.commit()
    if approved and ret.resolution == ReturnResolution.EXCHANGE:
        _create_exchange(ctx, ret.id, principal.actor)
    return return_view(ctx, SYSTEM, ret.id)


def _eligible_lines(uow, ctx, order: Order, body: dict) -> list[ReturnLine]:
    """The return lines to store, or a 422 listing every reason it is not allowed."""
    delivered = uow.returns.delivered_units(order.id, DELIVERED_SHIPMENTS)
    if not delivered:
        raise ValidationFailed(f"order {order.id} is {order.status}: only delivered units can be returned",
                               field_errors=[FieldError("order", f"nothing of order {order.id} has been delivered")])
    returned = uow.returns.returned_qty(order.id, exclude_statuses=NOT_COUNTING)
    channel = uow.channels.get(order.channel)
    channel_days = channel.return_window_days if channel is not None else ctx.settings.return_window_days
    by_category = category_windows(ctx.settings)
    resolution = body["resolution"]
    wanted = {l["line_no"]: l for l in body["lines"]}
    line_skus = {order.line(no).sku for no in wanted if any(l.line_no == no for l in order.lines)}
    exchange_skus = {l["exchange_sku"] for l in body["lines"] if l.get("exchange_sku")}
    skus = sku_master(uow, sorted(line_skus | exchange_skus))
    errors: list[FieldError] = []
    seen: set[int] = set()
    today = now()
    out = []
    for i, line_in in enumerate(body["lines"]):
        no, field = line_in["line_no"], f"lines.{i}"
        if no in seen:
            errors.append(FieldError(f"{field}.line_no", f"line {no} is listed twice; merge the quantities"))
            continue
        seen.add(no)
        if not any(l.line_no == no for l in order.lines):
            errors.append(FieldError(f"{field}.line_no", f"order {order.id} has no line {no}"))
            continue
        line = order.line(no)
        sku = skus.get(line.sku)
        if sku is not None and not sku.returnable:
            errors.append(FieldError(f"{field}.line_no", f"{line.sku} ({sku.category}) is not returnable"))
            continue
        got, delivered_at = delivered.get(no, (0, None))
        if got == 0:
            errors.append(FieldError(f"{field}.line_no", f"line {no} ({line.sku}) has not been delivered"))
            continue
        days = channel_days
        why = f"channel {order.channel}: {channel_days} days"
        if sku is not None and sku.category in by_category and by_category[sku.category] < days:
            days = by_category[sku.category]
            why = f"category {sku.category}: {days} days"
        if delivered_at is not None and today > delivered_at + timedelta(days=days):
            ago = (today - delivered_at).days
            errors.append(FieldError(f"{field}.line_no", f"line {no} ({line.sku}) was delivered on "
                                     f"{delivered_at:%Y-%m-%d}, {ago} days ago; the return window is {days} days "
                                     f"({why})"))
            continue
        left = got - returned.get(no, 0)
        if line_in["qty"] > left:
            errors.append(FieldError(f"{field}.qty", f"only {max(left, 0)} unit(s) of line {no} can be returned "
                                     f"({got} delivered, {returned.get(no, 0)} already in returns)"))
            continue
        exchange_sku = line_in.get("exchange_sku")
        if exchange_sku and resolution != ReturnResolution.EXCHANGE:
            errors.append(FieldError(f"{field}.exchange_sku", "only allowed with resolution 'exchange'"))
            continue
        if exchange_sku and exchange_sku not in skus:
            errors.append(FieldError(f"{field}.exchange_sku", f"unknown SKU {exchange_sku!r}"))
            continue
        if resolution == ReturnResolution.EXCHANGE and not exchange_sku:
            exchange_sku = line.sku
        out.append(ReturnLine(line_no=no, sku=line.sku, qty=line_in["qty"], unit_price_paise=line.unit_price_paise,
                              reason=line_in["reason"], exchange_sku=exchange_sku))
    if resolution == ReturnResolution.STORE_CREDIT and not order.customer_id:
        errors.append(FieldError("resolution", "store credit needs a customer: the order has no customer_id"))
    cod = order.payment_mode == PaymentMode.COD
    if resolution == ReturnResolution.REFUND and cod and not body.get("refund_account"):
        errors.append(FieldError("refund_account", "a COD order is refunded to a bank account or UPI id: give "
                                                   "refund_account {method: upi|bank, reference}"))
    if body.get("refund_account") and not (cod and resolution == ReturnResolution.REFUND):
        errors.append(FieldError("refund_account", "only for refunds of COD orders; prepaid orders are refunded "
                                                   "to the original payment method"))
    if errors:
        raise ValidationFailed("the return cannot be accepted: " + "; ".join(e.message for e in errors[:3]),
                               field_errors=errors)
    return out


def _facts(ret: Return) -> dict:
    """What every return event carries, so the outbox can render messages from the event alone."""
    pickup = ret.pickup_date
    return {"order_id": ret.order_id, "return_id": ret.id, "resolution": ret.resolution,
            "carrier": ret.carrier, "awb": ret.awb, "node": ret.destination_node,
            "pickup_date": pickup.isoformat() if isinstance(pickup, date) else pickup}


def _change(uow, ret: Return, **values) -> Return:
    """Store ``values`` on the return; the return as it now is."""
    uow.returns.update(ret.id, **values)
    return dataclasses.replace(ret, **values)


def _move(uow, ret: Return, target: S, actor: str, reason: str | None, *, type_: str = "status_changed",
          **payload) -> Return:
    """The return moved to ``target`` (an event records it); the return as it now is."""
    current = S(ret.status)
    RETURN_MACHINE.check(current, target)
    uow.returns.update(ret.id, status=str(target), status_reason=reason)
    ret = dataclasses.replace(ret, status=target, status_reason=reason)
    record(uow, "return", ret.id, type_, actor, from_status=current, to_status=target, reason=reason,
           **{**_facts(ret), **payload})
    return ret


# ------------------------------------------------------------------ approval and pickup
def approve(ctx, principal: Principal, return_id: str) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        ret = _load(uow, principal, return_id)
        if ret.status != S.REQUESTED:
            raise Conflict(f"return {return_id} is {ret.status}; only REQUESTED returns can be approved")
        order = uow.orders.get(ret.order_id, for_update=True)
        _approve_in(uow, ctx, ret, order, principal.actor, "approved")
        uow.commit()
    if ret.resolution == ReturnResolution.EXCHANGE:
        _create_exchange(ctx, return_id, principal.actor)
    return return_view(ctx, principal, return_id)


def reject(ctx, principal: Principal, return_id: str, reason: str) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        ret = _load(uow, principal, return_id)
        if ret.status != S.REQUESTED:
            raise Conflict(f"return {return_id} is {ret.status}; only REQUESTED returns can be rejected")
        _move(uow, ret, S.REJECTED, principal.actor, reason)
        uow.commit()
    return return_view(ctx, principal, return_id)


def _approve_in(uow, ctx, ret: Return, order: Order, actor: str, reason: str) -> Return:
    ret = _move(uow, ret, S.APPROVED, actor, reason)
    return _schedule_pickup(uow, ctx, ret, order, actor)


def _schedule_pickup(uow, ctx, ret: Return, order: Order, actor: str) -> Return:
    dest = _choose_destination(uow, ctx, ret, order)
    explanation = dest.to_dict()
    if dest.status != "OPTIMAL":
        ret = _change(uow, ret, explanation=explanation, status_reason=dest.why)
        record(uow, "return", ret.id, "pickup_not_planned", actor, reason=dest.why, **_facts(ret))
        return ret
    awb = f"R{dest.carrier}{now():%y%m%d}{ret.id[-8:].upper()}"
    pickup_date = (now() + timedelta(days=1)).date()
    ret = _change(uow, ret, destination_node=dest.node, carrier=dest.carrier, awb=awb,
                  reverse_cost_paise=dest.reverse_cost_paise, pickup_date=pickup_date, explanation=explanation)
    return _move(uow, ret, S.PICKUP_SCHEDULED, actor, dest.why, reverse_cost_paise=dest.reverse_cost_paise)


def _choose_destination(uow, ctx, ret: Return, order: Order):
    """Build the pure destination problem from the network and stock, and solve it."""
    net = network(uow)
    customer = customer_location(order)
    lines = ret.lines
    skus = sku_master(uow, sorted({l.sku for l in lines}))
    problem = ReturnDestinationProblem(
        needs_repair=any(ReturnReason(l.reason) in NEEDS_REPAIR for l in lines),
        restock_value_pct=ctx.settings.return_restock_value_pct)
    units: dict[str, int] = defaultdict(int)
    for line in lines:
        problem.add_item(line.sku, line.qty, line.unit_price_paise)
        units[line.sku] += line.qty
    actual = sum(skus[s].unit_weight_g * q for s, q in units.items() if s in skus)
    volume = sum(skus[s].volume_mm3 * q for s, q in units.items() if s in skus)
    positions = [p for s in sorted(units) for p in uow.inventory.list(sku=s)]
    stock: dict[str, dict[str, int]] = defaultdict(dict)
    target: dict[str, dict[str, int]] = defaultdict(dict)
    for p in positions:
        stock[p.node][p.sku] = p.on_hand - p.reserved
        target[p.node][p.sku] = max(ctx.settings.return_target_units, 2 * p.safety_stock)
    for node in net.nodes:
        distance = float(haversine_km(customer.lat, customer.lon, node.lat, node.lon))
        problem.add_node(node.code, distance, accepts_returns=node.can(Capability.ACCEPT_RETURNS),
                         can_repair=node.can(Capability.REFURBISH) or node.can(Capability.REPAIR),
                         handling_paise=node.handling_cost_paise, stock=stock.get(node.code, {}),
                         target=target.get(node.code, {}))
        if not node.can(Capability.ACCEPT_RETURNS):
            continue
        for lane in lanes_for(net.locations[node.code], customer, net.carriers, net.rate_cards, net.serviceability,
                              cod=False, reverse=True):
            billed = billed_weight_g(actual, volume, lane.volumetric_divisor)
            if lane.max_weight_g and billed > lane.max_weight_g:
                continue
            freight = lane.first_slab_paise + (slab_count(billed, lane.slab_g) - 1) * lane.additional_slab_paise
            problem.add_lane(node.code, lane.carrier, freight, lane.sla_days)
    return problem.solve()


# ------------------------------------------------------------------ exchange
def _create_exchange(ctx, return_id: str, actor: str) -> None:
    """Capture + allocate the replacement order through the normal path, then link it to the return."""
    with ctx.uow(readonly=True) as uow:
        ret = uow.returns.get(return_id)
        order = uow.orders.get(ret.order_id)
        others = sorted({l.exchange_sku for l in ret.lines if l.exchange_sku and l.exchange_sku != l.sku})
        catalogue = {code: s.unit_price_paise for code, s in sku_master(uow, others).items()}
    if ret.exchange_order_id:
        return
    # The replacement ships at its own price (another SKU: the catalogue's); the difference is settled below.
    wanted: dict[str, dict] = {}
    for line in ret.lines:
        sku = line.exchange_sku or line.sku
        entry = wanted.setdefault(sku, {"sku": sku, "qty": 0,
                                        "unit_price_paise": money.replacement_price(line, catalogue)})
        entry["qty"] += line.qty
    difference = money.exchange_difference(ret.lines, {sku: w["unit_price_paise"] for sku, w in wanted.items()})
    to = order.ship_to
    ship_to = {"name": to.name, "line1": to.line1, "line2": to.line2, "city": to.city, "state": to.state,
               "phone": to.phone, "email": to.email}
    if to.pin:
        ship_to["pin"] = to.pin
    if to.lat is not None and to.lon is not None:
        ship_to.update(lat=to.lat, lon=to.lon)
    body = {"channel": order.channel, "external_id": f"exchange-{return_id}", "payment_mode": "PREPAID",
            "priority": order.priority, "tags": ["exchange", f"return:{return_id}"], "delivery_mode": "ship",
            "customer_id": order.customer_id, "promised_days": order.promised_days, "ship_to": ship_to,
            "lines": list(wanted.values())}
    try:
        view, _ = lifecycle.capture(ctx, SYSTEM, body)
    except DomainError as exc:
        with ctx.uow() as uow:
            record(uow, "return", return_id, "exchange_failed", actor, reason=exc.detail, order_id=ret.order_id,
                   return_id=return_id)
            uow.commit()
        return
    with ctx.uow() as uow:
        uow.returns.update(return_id, exchange_order_id=view["id"])
        record(uow, "return", return_id, "exchange_created", actor,
               reason=f"exchange order {view['id']} is {view['status']}", order_id=ret.order_id,
               return_id=return_id, exchange_order_id=view["id"], exchange_status=view["status"],
               price_difference_paise=difference)
        if difference > 0:  # dearer: the customer pays the difference (the shop collects and settles it)
            _request_payment(uow, ret, view["id"], difference, actor)
        uow.commit()


def _request_payment(uow, ret: Return, exchange_order_id: str, amount: int, actor: str) -> None:
    req = PaymentRequest(id="pay_" + secrets.token_hex(8), order_id=ret.order_id, channel=ret.channel,
                         amount_paise=amount, status=PAYMENT_PENDING, created_at=now(), return_id=ret.id,
                         exchange_order_id=exchange_order_id, customer_id=ret.customer_id,
                         reason=f"price difference of the exchange for return {ret.id} "
                                f"(replacement order {exchange_order_id})")
    uow.payment_requests.add(req)
    record(uow, "order", ret.order_id, "payment_requested", actor, reason=req.reason, payment_request_id=req.id,
           amount_paise=amount, return_id=ret.id, exchange_order_id=exchange_order_id)


def exchange_wait_reason(uow, order_id: str) -> str | None:
    """Why a shipment of ``order_id`` may not ship yet: it is an exchange waiting for the return's pickup."""
    ret = uow.returns.by_exchange_order(order_id)
    if ret is None or ret.exchange_policy == "immediately" or ret.status not in BEFORE_PICKUP:
        return None
    return (f"order {order_id} is the exchange for return {ret.id}, which is {ret.status}; it ships once "
            "the return is picked up (exchange_ship_policy=after_pickup)")


# ------------------------------------------------------------------ reverse tracking
def apply_reverse_scan(uow, carrier: str, ev: dict) -> dict | None:
    """A carrier scan on a reverse AWB; None when the AWB is not a return of this carrier."""
    ret = uow.returns.by_awb(ev["awb"])
    if ret is None or ret.carrier != carrier:
        return None
    ret = uow.returns.get(ret.id, for_update=True)
    actor = f"carrier:{carrier}"
    target = REVERSE_SCAN[ev["status"]]
    seen = ev.get("event_id") and any(e.payload.get("event_id") == ev["event_id"]
                                      for e in uow.events.for_entity("return", ret.id))
    if seen or (target is not None and ret.status == target):
        return {"result": "duplicate", "status": str(ret.status), "return_id": ret.id}
    scan = dict(scan=ev["status"], location=ev.get("location", ""), scanned_at=ev["at"], event_id=ev.get("event_id"))
    if target is None:
        record(uow, "return", ret.id, "reverse_scan", actor, reason=ev.get("remark") or f"carrier scan {ev['status']}",
               **_facts(ret), **scan)
        return {"result": "ignored", "status": str(ret.status), "return_id": ret.id,
                "reason": f"{ev['status']} on a reverse pickup is recorded; the node receives the return"}
    current = S(ret.status)
    if _PROGRESS.get(target, 0) <= _PROGRESS.get(current, 0) or not RETURN_MACHINE.can(current, target):
        record(uow, "return", ret.id, "tracking_ignored", actor, reason=f"stale or illegal scan {target}",
               **_facts(ret), **scan)
        return {"result": "stale", "status": str(ret.status), "return_id": ret.id}
    _move(uow, ret, target, actor, ev.get("remark") or None, type_="tracking", **scan)
    return {"result": "applied", "status": str(target), "return_id": ret.id}


# ------------------------------------------------------------------ receive, grade, resolve
def receive(ctx, principal: Principal, return_id: str, body: dict) -> dict:
    """Count in and grade the units at the destination node; dispose of them; resolve and close the return."""
    principal.require(Role.ADMIN, Role.NODE)
    restocked: set[str] = set()
    with ctx.uow() as uow:
        ret = _load(uow, principal, return_id, for_update=True)
        if S(ret.status) not in RECEIVABLE:
            raise Conflict(f"return {return_id} is {ret.status}; only approved returns that have not been "
                           "received can be received")
        node = ret.destination_node
        if not node:
            raise Conflict(f"return {return_id} has no destination node yet (no reverse pickup was planned)")
        counts = _graded_counts(ret, body["units"])
        received = {no: sum(by_grade.values()) for no, by_grade in counts.items()}
        ret = _set_received(uow, ret, received)
        ret = _move(uow, ret, S.RECEIVED, principal.actor, f"received at {node}",
                    received={str(k): v for k, v in sorted(received.items())})
        credit_notes.credit_return(uow, ret, principal.actor)  # GST: the invoices of the units back are reduced
        summary = _dispose(uow, ret, node, counts, principal.actor, restocked)
        ret = _move(uow, ret, S.GRADED, principal.actor, "graded", dispositions=summary)
        _resolve(uow, ret, principal.actor)
        _move(uow, ret, S.CLOSED, principal.actor, "resolved")
        bus.send(uow, RetryBackorders.of(restocked, "restock"))  # waiting orders get them from the backorder worker
        uow.commit()
    return return_view(ctx, principal, return_id)


def _set_received(uow, ret: Return, received: dict[int, int]) -> Return:
    """Each line counted in: ``received`` units (a line not in it: none); the return as it now is."""
    lines = []
    for line in ret.lines:
        uow.returns.set_received(ret.id, line.line_no, received.get(line.line_no, 0))
        lines.append(dataclasses.replace(line, received_qty=received.get(line.line_no, 0)))
    return dataclasses.replace(ret, lines=tuple(lines))


def _graded_counts(ret: Return, units: list[dict]) -> dict[int, dict[str, int]]:
    by_line = {l.line_no: l for l in ret.lines}
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    errors = []
    for i, unit in enumerate(units):
        if unit["line_no"] not in by_line:
            errors.append(FieldError(f"units.{i}.line_no", f"return {ret.id} has no line {unit['line_no']}"))
            continue
        counts[unit["line_no"]][unit["grade"]] += unit.get("qty", 1)
    for no, by_grade in counts.items():
        if sum(by_grade.values()) > by_line[no].qty:
            errors.append(FieldError("units", f"{sum(by_grade.values())} unit(s) graded for line {no}, but only "
                                              f"{by_line[no].qty} were returned"))
    if errors:
        raise ValidationFailed("the units cannot be received: " + errors[0].message, field_errors=errors)
    return counts


def _dispose(uow, ret: Return, node: str, counts, actor: str, restocked: set[str]) -> list[dict]:
    """Per line and grade: A back on hand (an inventory event), B/D a work order, C written off."""
    sku_of = {l.line_no: l.sku for l in ret.lines}
    reason = "rto" if ret.origin == "rto" else "return"
    summary = []
    for no in sorted(counts):
        sku = sku_of[no]
        for grade in sorted(counts[no]):
            qty = counts[no][grade]
            disposition = DISPOSITION[Grade(grade)]
            work_order = None
            if disposition == "restock":
                uow.inventory.adjust(node, sku, qty)
                record(uow, "inventory", f"{node}:{sku}", "adjusted", actor, reason=reason, delta=qty, node=node,
                       sku=sku, return_id=ret.id, order_id=ret.order_id)
                restocked.add(sku)
            elif disposition in ("refurbish", "repair"):
                work_order = "wo_" + secrets.token_hex(8)
                uow.work_orders.add(WorkOrder(id=work_order, return_id=ret.id, node=node, sku=sku, qty=qty,
                                              kind=disposition, status=WORK_ORDER_OPEN, created_at=now()))
                record(uow, "work_order", work_order, "created", actor, to_status=WORK_ORDER_OPEN,
                       reason=f"{disposition} {qty} x {sku} from return {ret.id}", node=node, sku=sku, qty=qty,
                       return_id=ret.id, order_id=ret.order_id)
            uow.returns.add_disposition(Disposition(return_id=ret.id, line_no=no, grade=grade, qty=qty,
                                                    disposition=disposition, node=node, work_order_id=work_order))
            summary.append({"line_no": no, "sku": sku, "grade": grade, "qty": qty, "disposition": disposition,
                            "work_order_id": work_order})
    return summary


def _resolve(uow, ret: Return, actor: str) -> None:
    """Refund or store credit for the units received (exchanges were settled by the exchange order)."""
    amount = sum((l.received_qty or 0) * l.unit_price_paise for l in ret.lines)
    resolution = ret.resolution
    if resolution == ReturnResolution.REFUND:
        order = uow.orders.get(ret.order_id)
        method = ret.refund_method or "original"
        uow.returns.add_refund(Refund(id="rfd_" + secrets.token_hex(8), return_id=ret.id, order_id=ret.order_id,
                                      amount_paise=amount, currency=order.currency,
                                      payment_mode=str(order.payment_mode), method=method,
                                      reference=ret.refund_reference, status="issued", created_at=now()))
        record(uow, "return", ret.id, "refund_issued", actor, reason=f"refund via {method}",
               **_facts(ret), refund_paise=amount, refund_method=_METHOD_LABEL.get(method, method))
    elif resolution == ReturnResolution.STORE_CREDIT:
        balance = uow.store_credit.move(
            ret.customer_id, amount, actor=actor, reason=f"return {ret.id}", return_id=ret.id,
            order_id=ret.order_id, channel=ret.channel)
        record(uow, "return", ret.id, "store_credit_issued", actor, reason=f"store credit for return {ret.id}",
               **_facts(ret), amount_paise=amount, balance_paise=balance, customer_id=ret.customer_id)
    elif resolution == ReturnResolution.EXCHANGE:
        record(uow, "return", ret.id, "note", actor, reason="exchange: the replacement order settles it",
               **_facts(ret), exchange_order_id=ret.exchange_order_id)
        _refund_cheaper_exchange(uow, ret, actor)


def _refund_cheaper_exchange(uow, ret: Return, actor: str) -> None:
    """A replacement cheaper than the returned units: refund the difference, now the units are back."""
    if not ret.exchange_order_id:
        return
    replacement = uow.orders.get(ret.exchange_order_id)
    difference = money.exchange_difference(ret.lines, {l.sku: l.unit_price_paise for l in replacement.lines})
    if difference >= 0:
        return
    order = uow.orders.get(ret.order_id)
    method = ret.refund_method or "original"
    uow.returns.add_refund(Refund(id="rfd_" + secrets.token_hex(8), return_id=ret.id, order_id=ret.order_id,
                                  amount_paise=-difference, currency=order.currency,
                                  payment_mode=str(order.payment_mode), method=method,
                                  reference=ret.refund_reference, status="issued", created_at=now()))
    record(uow, "return", ret.id, "refund_issued", actor, reason="price difference of a cheaper exchange",
           **_facts(ret), refund_paise=-difference, refund_method=_METHOD_LABEL.get(method, method))


_METHOD_LABEL = {"original": "original payment method", "upi": "UPI", "bank": "bank transfer"}


# ------------------------------------------------------------------ RTO
def rto_arrived(uow, shipment, actor: str) -> str | None:
    """An undelivered shipment is back at its node: an automatic return (reason rto), restocked on arrival.

    Runs inside the tracking transaction; idempotent per shipment. Returns the return id.
    """
    existing = uow.returns.by_source_shipment(shipment.id)
    if existing is not None:
        return existing.id
    order = uow.orders.get(shipment.order_id)
    lines = tuple(ReturnLine(line_no=l.line_no, sku=l.sku, qty=l.qty,
                             unit_price_paise=order.line(l.line_no).unit_price_paise, reason=str(ReturnReason.RTO))
                  for l in shipment.lines if l.qty > 0)
    if not lines:
        return None
    prepaid = order.payment_mode == PaymentMode.PREPAID
    ret = Return(id="ret_" + secrets.token_hex(8), order_id=order.id, channel=order.channel,
                 customer_id=order.customer_id, origin="rto", status=S.REQUESTED,
                 resolution=str(ReturnResolution.REFUND) if prepaid else None, exchange_policy="after_pickup",
                 source_shipment_id=shipment.id, destination_node=shipment.node, carrier=shipment.carrier,
                 refund_method="original" if prepaid else None, requested_by=actor, created_at=now(), lines=lines)
    uow.returns.add(ret)
    quiet = "automatic (RTO)"
    record(uow, "return", ret.id, "requested", actor, to_status=S.REQUESTED, reason=f"RTO of {shipment.id}",
           **_facts(ret), origin="rto", shipment_id=shipment.id)
    # Status moves of an RTO are audit-only ("note"): the buyer never sent anything back.
    ret = _move(uow, ret, S.APPROVED, actor, quiet, type_="note")
    ret = _set_received(uow, ret, {l.line_no: l.qty for l in lines})
    ret = _move(uow, ret, S.RECEIVED, actor, f"{quiet}: back at {shipment.node}", type_="note")
    credit_notes.credit_return(uow, ret, actor)  # GST: the invoice of a parcel never delivered is reduced
    counts = {l.line_no: {"A": l.qty} for l in lines}
    restocked: set[str] = set()
    summary = _dispose(uow, ret, shipment.node, counts, actor, restocked)
    bus.send(uow, RetryBackorders.of(restocked, "restock"))  # the parcel's units are sellable again: waiting orders may take them
    ret = _move(uow, ret, S.GRADED, actor, quiet, type_="note", dispositions=summary)
    if prepaid:
        _resolve(uow, ret, actor)
    _move(uow, ret, S.CLOSED, actor, quiet, type_="note")
    return ret.id


# ------------------------------------------------------------------ reads
def public_reverse_view(uow, awb: str) -> dict | None:
    """The buyer's tracking view of a reverse pickup (statuses and places, no personal data), or None."""
    ret = uow.returns.by_awb(awb)
    if ret is None:
        return None
    events = uow.events.for_entity("return", ret.id)
    timeline = [{"status": e.to_status, "at": e.at.isoformat(), "location": e.payload.get("location", "")}
                for e in events if e.to_status and e.type != "note"]
    return {"awb": awb, "carrier": ret.carrier, "status": str(ret.status), "promised_days": None,
            "timeline": timeline, "kind": "return"}


def _load(uow, principal: Principal, return_id: str, *, for_update: bool = False) -> Return:
    ret = uow.returns.get(return_id, for_update=for_update)
    if ret is None or not _sees(principal, ret):
        raise NotFound(f"return {return_id} not found")
    return ret


def _sees(principal: Principal, ret: Return) -> bool:
    if principal.role == Role.CHANNEL:
        return principal.channel == ret.channel
    if principal.role == Role.NODE:
        return bool(ret.destination_node) and principal.node == ret.destination_node
    return principal.role in (Role.ADMIN, Role.ANALYST)


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


_RETURN_KEYS = ("id", "order_id", "channel", "customer_id", "origin", "status", "status_reason", "resolution",
                "exchange_policy", "exchange_order_id", "source_shipment_id", "refund_method", "destination_node",
                "carrier", "awb", "reverse_cost_paise", "pickup_date", "requested_by", "created_at", "updated_at")
_LINE_KEYS = ("line_no", "sku", "qty", "unit_price_paise", "reason", "exchange_sku", "received_qty")


def return_dict(ret: Return) -> dict:
    out = {k: _iso(getattr(ret, k)) for k in _RETURN_KEYS}
    out["status"] = str(ret.status)
    out["lines"] = [{k: getattr(l, k) for k in _LINE_KEYS} for l in ret.lines]
    return out


def return_view(ctx, principal: Principal, return_id: str) -> dict:
    if principal.role not in READERS:
        raise AccessDenied(f"the {principal.role} role cannot read returns")
    with ctx.uow(readonly=True) as uow:
        ret = _load(uow, principal, return_id)
        dispositions = uow.returns.dispositions(return_id)
        work = uow.work_orders.for_return(return_id)
        refund = uow.returns.refund(return_id)
        payment = uow.payment_requests.for_return(return_id)
        events = uow.events.for_entity("return", return_id)

    view = return_dict(ret)
    view.update(
        refund_reference=ret.refund_reference if principal.role == Role.ADMIN else None,
        explanation=ret.explanation,
        dispositions=[{k: getattr(d, k) for k in ("line_no", "grade", "qty", "disposition", "node", "work_order_id")}
                      for d in dispositions],
        work_orders=[{**{k: getattr(w, k) for k in ("id", "node", "sku", "qty", "kind", "status")},
                      "created_at": _iso(w.created_at)} for w in work],
        refund=None if refund is None else {k: _iso(getattr(refund, k)) for k in (
            "id", "amount_paise", "currency", "payment_mode", "method", "status", "created_at")},
        payment_request=None if payment is None else money.request_dict(payment),
        events=[event_dict(e) for e in events],
    )
    return view


def list_returns(ctx, principal: Principal, q: dict) -> dict:
    if principal.role not in READERS:
        raise AccessDenied(f"the {principal.role} role cannot list returns")
    channel, node = q.get("channel"), q.get("node")
    if principal.role == Role.CHANNEL:
        if channel not in (None, principal.channel):
            return {"items": [], "next_cursor": None}
        channel = principal.channel
    if principal.role == Role.NODE:
        if node not in (None, principal.node):
            return {"items": [], "next_cursor": None}
        node = principal.node
    return keyset_page(ctx, q, "returns", lambda uow, after, limit: uow.returns.list(
        status=q.get("status"), channel=channel, node=node, order_id=q.get("order_id"), after=after, limit=limit),
        lambda uow, row: return_dict(row))


# ------------------------------------------------------------------ store credit
def store_credit(ctx, principal: Principal, customer_id: str) -> dict:
    """Balance and ledger of one customer. A channel key reaches only its own channel's customers (another's is
    not found); it sees the whole balance (credit is spent on any channel) and the ledger entries of its
    channel and of none (credit given by hand), not another channel's orders and returns."""
    principal.require(Role.ADMIN, Role.ANALYST, Role.CHANNEL)
    with ctx.uow(readonly=True) as uow:
        if principal.role == Role.CHANNEL and not uow.customers.of_channel(principal.channel, customer_id):
            raise NotFound(f"customer {customer_id} not found")
        balance = uow.store_credit.balance(customer_id)
        ledger = [e for e in uow.store_credit.ledger(customer_id)
                  if principal.role != Role.CHANNEL or e.channel in (None, principal.channel)]
    return {"customer_id": customer_id, "balance_paise": balance, "currency": "INR",
            "ledger": [{"delta_paise": e.delta_paise, "balance_after_paise": e.balance_after_paise,
                        "return_id": e.return_id, "order_id": e.order_id, "reason": e.reason,
                        "at": _iso(e.at)} for e in ledger]}


def redeem_store_credit(ctx, principal: Principal, customer_id: str, body: dict) -> dict:
    """Spend credit on an order of the same customer; never below zero (one conditional update)."""
    principal.require(Role.ADMIN, Role.CHANNEL)
    with ctx.uow() as uow:
        order = uow.orders.get(body["order_id"])
        if order is None or not principal.sees_channel(order.channel):
            raise NotFound(f"order {body['order_id']} not found")
        if order.customer_id != customer_id:
            raise ValidationFailed("store credit can only pay for the same customer's orders",
                                   field_errors=[FieldError("order_id", f"order {order.id} is not customer "
                                                                        f"{customer_id}'s")])
        repo = uow.store_credit
        balance = repo.move(customer_id, -body["amount_paise"], actor=principal.actor,
                            reason=body.get("reason") or f"paid towards order {order.id}", order_id=order.id,
                            channel=order.channel)
        if balance is None:
            have = repo.balance(customer_id)
            raise ValidationFailed(f"customer {customer_id} has {have} paise of store credit, less than "
                                   f"{body['amount_paise']}", field_errors=[FieldError("amount_paise", "exceeds the balance")])
        record(uow, "order", order.id, "store_credit_applied", principal.actor, reason=body.get("reason") or None,
               customer_id=customer_id, amount_paise=body["amount_paise"], balance_paise=balance)
        uow.commit()
    return store_credit(ctx, principal, customer_id)


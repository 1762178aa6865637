"""Read models for the API: orders, shipments and manifests rendered as plain JSON-able dicts.

Scoped roles see only their own things; anything else is "not found".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from omnialloc.domain import Order, Shipment
from omnialloc.domain.allocations import Allocation
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import NotFound, ValidationFailed
from omnialloc.services import paging
from omnialloc.services.access import Principal
from omnialloc.services.access import AccessDenied

READERS = (Role.ADMIN, Role.CHANNEL, Role.ANALYST)


def _iso(value):
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def shipment_dict(s: Shipment) -> dict:
    return {
        "id": s.id, "order_id": s.order_id, "node": s.node, "carrier": s.carrier, "status": str(s.status),
        "awb": s.awb, "weight_g": s.weight_g, "billed_weight_g": s.billed_weight_g, "cost_paise": s.cost_paise,
        "cost_breakdown": s.cost_breakdown, "sla_days": s.sla_days,
        "service": s.service, "ship_by": _iso(s.ship_by), "delivery_date": _iso(s.delivery_date),
        "deliver_by": _iso(s.deliver_by),
        "lines": [{"line_no": l.line_no, "sku": l.sku, "qty": l.qty} for l in s.lines],
    }


def order_delivery_date(shipments: list[Shipment]) -> date | None:
    """The order's EDD: the latest estimated delivery of its live shipments (issue 24), None if none has one."""
    dates = [s.delivery_date for s in shipments
             if s.delivery_date is not None and str(s.status) not in ("REJECTED", "CANCELLED")]
    return max(dates) if dates else None


def order_dict(o: Order) -> dict:
    to = o.ship_to
    return {
        "id": o.id, "channel": o.channel, "external_id": o.external_id, "status": str(o.status),
        "payment_mode": str(o.payment_mode), "currency": o.currency, "value_paise": o.value_paise,
        "priority": o.priority, "tags": list(o.tags), "promised_days": o.promised_days,
        "delivery_mode": str(o.delivery_mode), "pickup_node": o.pickup_node, "customer_id": o.customer_id,
        "created_at": _iso(o.created_at), "promised_by": _iso(o.promised_by), "promise_source": o.promise_source,
        "ship_to": {"name": to.name, "line1": to.line1, "line2": to.line2, "city": to.city, "state": to.state,
                    "pin": to.pin, "phone": to.phone, "email": to.email, "lat": to.lat, "lon": to.lon},
        "lines": [{"line_no": l.line_no, "sku": l.sku, "qty": l.qty, "cancelled_qty": l.cancelled_qty,
                   "unit_price_paise": l.unit_price_paise} for l in o.lines],
    }


def event_dict(e) -> dict:
    return {"entity": e.entity, "entity_id": e.entity_id, "type": e.type, "from_status": e.from_status,
            "to_status": e.to_status, "actor": e.actor, "reason": e.reason, "at": _iso(e.at), "payload": e.payload}


def order_view(ctx, principal: Principal, order_id: str) -> dict:
    with ctx.uow(readonly=True) as uow:
        order, status_reason = uow.orders.get_with_reason(order_id)
        if principal.role not in READERS:
            raise AccessDenied(f"the {principal.role} role cannot read orders")
        if order is None or not principal.sees_channel(order.channel):
            raise NotFound(f"order {order_id} not found")
        shipments = uow.shipments.for_order(order_id)
        allocation = uow.allocations.latest(order_id)
        events = uow.events.for_entities([("order", order_id)] + [("shipment", s.id) for s in shipments])
        number = uow.order_search.channel_order_numbers([order_id]).get(order_id)
    return render_order(order, status_reason, shipments, allocation, events, channel_order_number=number)


def render_order(order: Order, status_reason: str | None, shipments: list[Shipment], allocation: Allocation | None,
                 events: list, *, channel_order_number: str | None = None) -> dict:
    """The order view from its parts: ``events`` are those of the order and its shipments, oldest first;
    ``allocation``: its latest (shown as ``plan``); ``channel_order_number``: the shop's own number."""
    events = sorted(events, key=lambda e: (e.at, e.entity))
    why = priority_reason(order, events)
    return {**order_dict(order), "status_reason": status_reason, "priority_reason": why,
            "shipments": [shipment_dict(s) for s in shipments],
            "delivery_date": _iso(order_delivery_date(shipments)),
            "plan": None if allocation is None else plan_with_priority(allocation.as_dict(), order.priority, why),
            "events": [event_dict(e) for e in events], "channel_order_number": channel_order_number}


def plan_with_priority(allocation: dict, priority: int, why: dict) -> dict:
    """The stored allocation with its explanation's ``priority`` entry: the order's priority, why it has it,
    and what it did in this plan (the rule effects that looked at it, e.g. taking protected stock), so the
    explanation says what priority changed and, when nothing, says so (docs/priority.md)."""
    plan = allocation.get("plan")
    if not isinstance(plan, dict):
        return allocation
    effects = []
    for rule in plan.get("rules") or []:
        for e in rule.get("effects") or []:
            if (e.get("action") or {}).get("type") != "protect_stock":
                continue  # the one allocation action that looks at the order's priority
            if e.get("note", "").startswith("priority"):
                effects.append(e["note"])
            held = [a.removeprefix("hold back ") for a in e.get("applied") or [] if a.startswith("hold back")]
            if held:
                more = f" and {len(held) - 1} more node/SKU pair(s)" if len(held) > 1 else ""
                effects.append(f"rule {rule.get('name')!r} holds back {held[0]}{more} from this order: priority "
                               f"{priority} is below its minimum {e['action'].get('min_priority')}")
    entry = {"priority": priority, "why": why["text"], "effects": effects,
             "text": (f"priority {priority} ({why['text']})"
                      + (": " + "; ".join(effects) if effects else
                         ": this plan is what any priority would get; priority orders the waiting line for stock, "
                         "the nightly batch and the node's work queue" if priority else ""))}
    return {**allocation, "plan": {**plan, "priority": entry}}


def priority_reason(order: Order, events: list) -> dict:
    """Why the order has its priority: the validation rule that set it (from its ``rules_applied``
    event), or the capture request (0 when the caller gave none)."""
    for e in reversed(events):
        if e.entity == "order" and e.type == "rules_applied":
            rule = ((e.payload or {}).get("decided_by") or {}).get("priority")
            if rule:
                return {"source": "rule", "rule": rule,
                        "text": f"set by validation rule #{rule.get('rule_id')} {rule.get('name')!r} "
                                f"(version {rule.get('version')})"}
    if order.priority:
        return {"source": "order", "rule": None, "text": "given by the channel when the order was captured"}
    return {"source": "default", "rule": None, "text": "the default (0): no rule or request set it"}


def captured_view(order: Order, shipments: list[Shipment], allocation: Allocation | None, events: list) -> dict:
    """The view of an order captured (and maybe allocated) by this very request, from what it wrote.

    Rendering from the written objects spares a read transaction; it shows the same thing
    as :func:`order_view` because every event of a new order and its shipments was written here, and
    the stored status reason is the reason of the order's last status change.
    """
    wanted = {("order", order.id)} | {("shipment", s.id) for s in shipments}
    mine = [e for e in events if (e.entity, e.entity_id) in wanted]
    status_reason = next((e.reason for e in reversed(mine) if e.entity == "order" and e.type == "status_changed"),
                         None)
    return render_order(order, status_reason, shipments, allocation, mine)


def list_orders(ctx, principal: Principal, q: dict) -> dict:
    if principal.role not in READERS:
        raise AccessDenied(f"the {principal.role} role cannot list orders")
    channel = principal.channel if principal.role == Role.CHANNEL else q.get("channel")
    if principal.role == Role.CHANNEL and q.get("channel") not in (None, principal.channel):
        return {"items": [], "next_cursor": None}
    limit = min(q.get("limit") or 50, ctx.settings.max_page_size)
    secret = ctx.settings.secret_key
    after = paging.decode(secret, "orders", q["cursor"], (datetime, str)) if q.get("cursor") else None
    with ctx.uow(readonly=True) as uow:
        page = uow.orders.list(status=q.get("status"), channel=channel, node=q.get("node"), ship_pin=q.get("pin"),
                               created_from=_utc(q.get("created_from")), created_to=_utc(q.get("created_to")),
                               after=after, limit=limit)
    return {"items": [order_dict(o) for o in page.items],
            "next_cursor": paging.encode(secret, "orders", page.next_key) if page.next_key else None}


def recent_shipments(ctx, principal: Principal, cursor: str | None = None, limit: int = 100) -> dict:
    """Shipments newest first (a carrier key: its own), each with its ``created_at``: the console's list."""
    principal.require(Role.ADMIN, Role.CARRIER)
    carrier = principal.carrier if principal.role == Role.CARRIER else None
    secret = ctx.settings.secret_key
    after = paging.decode(secret, "shipments-by-time", cursor, (datetime, str)) if cursor else None
    with ctx.uow(readonly=True) as uow:
        rows = uow.shipments.newest_first(carrier=carrier, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [{**shipment_dict(s), "created_at": _iso(at)} for at, s in rows],
            "next_cursor": paging.encode(secret, "shipments-by-time", (rows[-1][0], rows[-1][1].id)) if more else None}


def _utc(value):
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def shipment_view(ctx, principal: Principal, shipment_id: str) -> dict:
    with ctx.uow(readonly=True) as uow:
        s = uow.shipments.get(shipment_id)
        if s is None or not _sees_shipment(uow, principal, s):
            raise NotFound(f"shipment {shipment_id} not found")
        events = uow.events.for_entity("shipment", shipment_id)
    return {**shipment_dict(s), "events": [event_dict(e) for e in events]}


def _sees_shipment(uow, principal: Principal, s: Shipment) -> bool:
    if principal.role == Role.NODE:
        return s.node == principal.node
    if principal.role == Role.CARRIER:
        return s.carrier == principal.carrier and s.awb is not None
    if principal.role == Role.CHANNEL:
        order = uow.orders.get(s.order_id)
        return order is not None and order.channel == principal.channel
    return True


def list_shipments(ctx, principal: Principal, q: dict) -> dict:
    node = principal.node if principal.role == Role.NODE else q.get("node")
    if principal.role == Role.NODE and q.get("node") not in (None, principal.node):
        return {"items": [], "next_cursor": None}
    if principal.role == Role.CHANNEL:
        raise AccessDenied("channel keys read shipments through their orders")
    carrier = principal.carrier if principal.role == Role.CARRIER else None
    limit = min(q.get("limit") or 50, ctx.settings.max_page_size)
    statuses = [q["status"]] if q.get("status") else None
    secret = ctx.settings.secret_key
    after_id = paging.decode(secret, "shipments", q["cursor"], (str,))[0] if q.get("cursor") else None
    with ctx.uow(readonly=True) as uow:
        if q.get("awb"):
            found = uow.shipments.by_awb(q["awb"])
            rows = [found] if found is not None and (node is None or found.node == node) else []
        elif node is not None:
            rows = uow.shipments.for_node(node, statuses=statuses, limit=limit + 1, after_id=after_id)
        else:
            rows = uow.shipments.list(statuses=statuses, limit=limit + 1, after_id=after_id)
        if carrier is not None:
            rows = [s for s in rows if s.carrier == carrier]
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [shipment_dict(s) for s in rows],
            "next_cursor": paging.encode(secret, "shipments", (rows[-1].id,)) if more else None}


def dispatch_by(order_created_at: datetime | None, promised_days: int | None, sla_days: int | None) -> datetime | None:
    """When a shipment must leave its node to keep the order's promise (None: the order has no promise)."""
    if order_created_at is None or promised_days is None:
        return None
    return order_created_at + timedelta(days=promised_days - (sla_days or 0))


def manifest(ctx, principal: Principal, node: str, day: str | None) -> dict:
    if principal.role not in (Role.ADMIN, Role.NODE, Role.ANALYST):
        raise AccessDenied(f"the {principal.role} role cannot read manifests")
    if not principal.sees_node(node):
        raise NotFound(f"node {node} not found")
    try:
        d = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError:
        raise ValidationFailed(f"date {day!r} is not a calendar date (YYYY-MM-DD)") from None
    start = datetime.combine(d, time.min, tzinfo=UTC)
    with ctx.uow(readonly=True) as uow:
        if uow.nodes.get(node) is None:
            raise NotFound(f"node {node} not found")
        shipped = uow.shipments.shipped_between(node, start, start + timedelta(days=1))
    by_carrier: dict[str, list] = {}
    for s in shipped:
        by_carrier.setdefault(s.carrier, []).append(
            {"shipment": s.id, "order_id": s.order_id, "awb": s.awb, "billed_weight_g": s.billed_weight_g,
             "units": s.units, "status": str(s.status)})
    return {"node": node, "date": d.isoformat(),
            "carriers": [{"carrier": c, "shipments": items, "count": len(items)} for c, items in sorted(by_carrier.items())],
            "total": len(shipped)}


__all__ = ["order_view", "captured_view", "render_order", "list_orders", "shipment_view", "list_shipments", "manifest",
           "dispatch_by", "priority_reason"]

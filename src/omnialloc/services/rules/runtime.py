"""Rules at order time: the hooks the lifecycle calls, and the per-process compiled rule cache.

- ``validate_new(uow, ctx, order)`` at capture, before the order is stored:
  runs validation rules, applies the priority/tags/cancellation they set to the
  order, and returns the status it is stored in (VALIDATED, ON_HOLD or
  CANCELLED) with its reason; ``record_validation`` records which rules fired
  as an order event.
- ``routing_for(uow, ctx, order)`` at every allocation: runs routing, shipping
  and split rules and returns the ``Routing`` the problem builder turns into
  eligibility constraints and objective bonuses (None when no rule applies).

The compiled rule set is cached per process and engine, keyed by the token in
``rules_revision``: one small SELECT per transaction (shared with the network
caches, ``UnitOfWork.revision``) tells whether any rule changed since (in this
process or another), and only then are the rules reloaded and compiled. No rule
is ever compiled per order.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from omnialloc.domain import DeliveryMode, Node, Order, OrderStatus
from omnialloc.domain.enums import Capability
from omnialloc.domain.errors import DomainError
from omnialloc.domain.rules import Rule
from omnialloc.geo.distance import haversine_km
from omnialloc.geo.zones import zone_between
from omnialloc.rules import (
    Catalog,
    Facts,
    InvalidRule,
    NodeInfo,
    OrderInput,
    RoutingOutcome,
    RuleSet,
    RuleSpec,
    build_facts,
    compile_rule,
)
from omnialloc.rules.model import ALLOCATION_KINDS, RuleKind
from omnialloc.services.events import record
from omnialloc.services.allocation.planning import Routing
from omnialloc.services.network.cache import network, revision
from omnialloc.services.allocation.allocator import destination, remaining_units
from omnialloc.channels.feed import held_back as buffer

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ the cache
@dataclass
class _Entry:
    token: str | None
    rules: RuleSet
    broken: list[dict]


_cache: dict[int, _Entry] = {}
_lock = threading.Lock()


def repo(uow):
    """The rules' repository of ``uow``."""
    return uow.rules


def spec_of(rule: Rule) -> RuleSpec:
    return RuleSpec(id=rule.id, name=rule.name, kind=rule.kind, condition=rule.condition,
                    actions=list(rule.actions or []), priority=rule.priority, enabled=rule.enabled,
                    stop_processing=rule.stop_processing, description=rule.description or "",
                    version=rule.version, created_by=rule.created_by, updated_by=rule.updated_by,
                    created_at=rule.created_at, updated_at=rule.updated_at)


def compile_rows(rows: list[Rule]) -> tuple[RuleSet, list[dict]]:
    """Compile stored rules for evaluation. Codes were checked when saved; a node or carrier that
    disappeared since simply matches nothing. A stored rule that no longer compiles is skipped, loudly."""
    compiled, broken = [], []
    for row in rows:
        try:
            compiled.append(compile_rule(spec_of(row), None))
        except InvalidRule as exc:
            log.error("rule #%s %r is stored but does not compile; skipped: %s", row.id, row.name, exc.detail)
            broken.append({"rule_id": row.id, "name": row.name, "error": exc.detail})
    return RuleSet(compiled), broken


def current(uow) -> tuple[RuleSet, list[dict]]:
    """The compiled, enabled rules of this database (cached until the revision token changes)."""
    r = repo(uow)
    token = revision(uow)  # once per transaction: validation and routing share it with the network caches
    key = id(uow.engine)
    # No revision row yet (None) is a state like any token: no rule was ever saved (every save bumps
    # the token), so the cached set stays right until the first save writes a token.
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit.token == token:
        return hit.rules, hit.broken
    rules, broken = compile_rows(r.list())
    with _lock:
        _cache[key] = _Entry(token, rules, broken)
    return rules, broken


def invalidate() -> None:
    with _lock:
        _cache.clear()


# ------------------------------------------------------------------ facts and catalogue
def catalog_of(nodes, carriers, skus=None) -> Catalog:
    return Catalog(
        nodes={n.code: NodeInfo(n.code, str(n.kind), frozenset(n.groups), n.active) for n in nodes},
        carriers={c.code for c in carriers},
        skus=None if skus is None else {s.code for s in skus},
        categories=None if skus is None else {s.category for s in skus},
    )


_catalogs: dict[int, tuple[object, Catalog]] = {}


def network_catalog(net) -> Catalog:
    """The catalogue of a loaded network, built once per network object (it is rebuilt on every reload)."""
    held = _catalogs.get(id(net))
    if held is not None and held[0] is net:
        return held[1]
    catalog = catalog_of(net.nodes, net.carriers)
    if len(_catalogs) > 16:
        _catalogs.clear()
    _catalogs[id(net)] = (net, catalog)
    return catalog


def facts_for(uow, order: Order, net, *, skus=None, dest=None) -> Facts:
    """The typed facts of one order: what its rules may ask about."""
    wanted = sorted({line.sku for line in order.lines})
    skus = skus if skus is not None else uow.skus.get_many(wanted)
    pin = city = state = zone = region = ""
    try:
        dest = dest or destination(order)
        pin, city, state, region = dest.pin, dest.city, dest.state_code, dest.region
        zone = _nearest_zone(dest, net)
    except DomainError:
        pin, city = order.ship_to.pin, order.ship_to.city  # rules on the address still work
    count = repo(uow).customer_order_count(order.customer_id, before=order.created_at, exclude_order=order.id)
    lines = [(line.line_no, line.sku, line.open_qty, line.unit_price_paise) for line in order.lines if line.open_qty > 0]
    return build_facts(OrderInput(
        channel=order.channel, payment_mode=str(order.payment_mode), priority=order.priority, tags=list(order.tags),
        promised_days=order.promised_days, created_at=order.created_at, lines=lines, pin=pin, city=city,
        state=state, zone=zone, region=region,
        sku_weight_g={code: s.unit_weight_g for code, s in skus.items()},
        sku_category={code: s.category for code, s in skus.items()}, customer_order_count=count))


def _nearest_zone(dest, net) -> str:
    """``ship_to.zone``: the courier zone from the nearest node that ships (the best case for this address)."""
    best: Node | None = None
    best_km = 0.0  # read only once best is set
    for node in net.nodes:
        if not node.can(Capability.SHIP):
            continue
        km = float(haversine_km(dest.lat, dest.lon, node.lat, node.lon))
        if best is None or km < best_km or (km == best_km and node.code < best.code):
            best, best_km = node, km
    if best is None:
        return ""
    return str(zone_between(net.locations[best.code], dest))


# ------------------------------------------------------------------ the hooks
def validate_new(uow, ctx, order: Order) -> tuple[OrderStatus, str, object | None]:
    """Run the validation rules on a captured order before it is stored, and apply what they set
    (priority, tags, cancelled quantities) to ``order`` in memory, so it is stored once, validated.

    Returns (status to store, its reason, the rules' outcome for :func:`record_validation`; None
    when there is no validation rule).
    """
    rules, _ = current(uow)
    if not rules.by_kind[RuleKind.VALIDATION]:
        return OrderStatus.VALIDATED, "passed validation", None

    out = rules.validate(facts_for(uow, order, network(uow)))
    if out.priority is not None:
        order.priority = out.priority
    if out.tags:
        order.tags = list(order.tags) + [t for t in out.tags if t not in order.tags]
    if out.status == "CANCELLED":
        for line in order.lines:  # as a cancel does: nothing of the order stays open
            line.cancelled_qty = line.qty
    return OrderStatus(out.status), out.reason, out


def record_validation(uow, order: Order, out, actor: str) -> None:
    """The ``rules_applied`` event of :func:`validate_new`'s outcome (when any rule fired or failed)."""
    if out is not None and (out.fired or out.errors):
        record(uow, "order", order.id, "rules_applied", actor, reason=_summary(out.fired, out.errors),
               phase="validation", fired=out.fired, errors=out.errors, decided_by=out.decided_by,
               result={"status": out.status, "priority": out.priority, "tags": out.tags})


def routing_for(uow, ctx, order: Order, *, remaining: dict[int, int] | None = None, rules: RuleSet | None = None,
                skus=None) -> Routing | None:
    """``remaining``: the units to place (default: those not in a live shipment; the nightly batch
    re-plans all open units). ``rules``/``skus``: already loaded by a caller routing many orders."""
    rules = rules if rules is not None else current(uow)[0]
    if not has_allocation_rules(rules):
        return None
    net = network(uow)
    out = rules.route(facts_for(uow, order, net, skus=skus), network_catalog(net))
    if out.empty:
        return None
    if order.delivery_mode == DeliveryMode.PICKUP:
        return pickup_routing(uow, out, order.pickup_node)
    if remaining is None:
        remaining = remaining_units(order, uow.shipments.for_order(order.id))
    return to_routing(out, order, remaining, held_back=held_back(uow, out.protected))


def pickup_routing(uow, out: RoutingOutcome, store: str | None) -> Routing | None:
    """A pickup-in-store order's routing: the store and the handover are the customer's choice, so of
    the rules' outcome only protected stock at ``store`` applies (the units held back from an order below
    the rule's priority, in the plan and in the reservation's ``keep=``); None when no protect_stock rule
    decided anything there. The plan's rules list the protect_stock effects at the store only (what the
    explanation of priority reads, `services.orders.queries.plan_with_priority`)."""
    if not any(key.startswith(f"protect:{store}:") for key in out.decided_by):
        return None
    protected = {key: rule for key, rule in out.protected.items() if key[0] == store}
    held = {k: v for k, v in held_back(uow, protected).items() if v > 0}
    fired = []
    for f in out.fired:
        effects = []
        for e in f["effects"]:
            if e["action"]["type"] != "protect_stock":
                continue
            here = [a for a in e["applied"] if a.endswith(f" at {store}")]
            beaten = {a: by for a, by in e.get("overridden_by", {}).items() if a.endswith(f" at {store}")}
            if here or beaten:
                kept = {k: v for k, v in e.items() if k != "overridden_by"} | {"applied": here}
                effects.append(kept | ({"overridden_by": beaten} if beaten else {}))
        if effects:
            fired.append({**f, "effects": effects})
    return Routing(fired=fired, held_back=held)


def has_allocation_rules(rules: RuleSet) -> bool:
    return any(rules.by_kind[k] for k in ALLOCATION_KINDS)


def held_back(uow, protected: dict[tuple[str, str], tuple[int, int, int, str]]) -> dict[tuple[str, str], int]:
    """Units of each protected (node, SKU) this order may not take, held back like a channel's buffer:
    ``units`` plus ``percent`` of the node's sellable stock (on hand less safety stock), rounded up.

    The share is of the stock on hand, not of what is still available: a share of ATP would shrink
    with every order a flood of ordinary orders places, until nothing was left for an urgent one."""
    if not protected:
        return {}

    out: dict[tuple[str, str], int] = {}
    for sku in sorted({sku for _, sku in protected}):
        for pos in uow.inventory.list(sku=sku):
            rule = protected.get((pos.node, sku))
            if rule is not None:
                sellable = max(0, pos.on_hand - pos.safety_stock)
                out[(pos.node, sku)] = buffer(sellable, rule[0], rule[1])
    return out


def to_routing(out: RoutingOutcome, order: Order, remaining: dict[int, int], *,
               held_back: dict[tuple[str, str], int] | None = None) -> Routing:
    """The solver adapter's input. Keep-together groups shrink to the lines still to place (after a hop),
    and the minimum shipment value is capped at what is left to ship (else a small order could never ship).
    ``held_back``: the units of protected stock this order may not take (:func:`held_back`)."""
    live = {str(no) for no in remaining}
    groups = [g & live for g in out.keep_together if len(g & live) >= 2]
    left_value = sum(order.line(no).unit_price_paise * q for no, q in remaining.items())
    fired = list(out.fired) + [{**e, "effects": []} for e in out.errors]
    return Routing(
        only_nodes=None, forbidden_nodes=dict(out.forbidden_nodes), node_bonus=dict(out.node_bonus),
        max_distance_km=out.max_distance_km, allow_stores=True, forbidden_carriers=dict(out.forbidden_carriers),
        carrier_bonus=dict(out.carrier_bonus), max_shipments=out.max_shipments, keep_together=groups,
        min_shipment_value_paise=min(out.min_shipment_value_paise, left_value), fired=fired,
        held_back={k: v for k, v in (held_back or {}).items() if v > 0},
        deliver_within_days=out.deliver_within[0] if out.deliver_within else None,
        deliver_within_strict=bool(out.deliver_within and out.deliver_within[1]),
        late_penalty_paise=out.deliver_within[2] if out.deliver_within else 0,
        express=out.express, promise_days=out.promise_days,
    )


def _summary(fired: list[dict], errors: list[dict]) -> str:
    names = ", ".join(repr(f["name"]) for f in fired)
    text = f"rules fired: {names}" if fired else "no rule fired"
    if errors:
        text += f"; {len(errors)} rule(s) could not be evaluated"
    return text

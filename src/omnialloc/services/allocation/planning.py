"""Turn an order and a stock snapshot into the solver's ``AllocationProblem``.

This is the one adapter between the store's world (nodes, rate cards, PINs) and
the pure solver's world (lines, nodes, lanes with integer costs).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from omnialloc.config import Settings
from omnialloc.domain import Capability, DeliveryMode, Node, Order, PaymentMode, Sku
from omnialloc.geo.distance import haversine_point_km
from omnialloc.geo.pins import PinLocation
from omnialloc.logistics.lanes import lane_table
from omnialloc.logistics.transit.clock import LaneTiming
from omnialloc.solvers import AllocationProblem, Lane, make_lane

PICKUP_CARRIER = "PICKUP"  # the customer collects at the store: no carrier, no freight


@dataclass
class Candidates:
    """Everything about the network that one allocation needs, read in one transaction."""

    nodes: list[Node]
    locations: dict[str, PinLocation]
    atp: dict[tuple[str, str], int]
    capacity_left: dict[str, int]
    rejections: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)      # node -> why (rejected earlier)
    prices: dict[tuple[str, str], int] = field(default_factory=dict)  # lookahead paise per unit
    # Filled by build_problem: each offered lane's dates (issue 24), for the shipments' EDDs and the explanation
    timing: dict[tuple[str, str], LaneTiming] = field(default_factory=dict)
    channel_promise_days: int | None = None      # the order's channel's default promise (issue 25's channels)
    # The channel's promise policy (issue 24): "hard" (a plan that cannot keep the promise is infeasible) or
    # "soft", paying channel_late_penalty_paise per day late (None: the late_paise_per_day setting)
    channel_promise_policy: str = "soft"
    channel_late_penalty_paise: int | None = None
    # Filled by build_problem: the order's promise as planned, (days after the order, source), or None
    promise: tuple[int, str] | None = None


@dataclass
class Routing:
    """Eligibility and preferences from routing/shipping/split rules (the Rules issue fills it)."""

    only_nodes: set[str] | None = None
    forbidden_nodes: dict[str, str] = field(default_factory=dict)
    node_bonus: dict[str, int] = field(default_factory=dict)
    max_distance_km: float | None = None
    allow_stores: bool = True
    forbidden_carriers: dict[str, str] = field(default_factory=dict)
    carrier_bonus: dict[str, int] = field(default_factory=dict)
    max_shipments: int | None = None
    keep_together: list[set[str]] = field(default_factory=list)
    min_shipment_value_paise: int = 0
    fired: list[dict] = field(default_factory=list)
    # (node, sku) -> units this order may not take: stock protected for orders of a higher priority
    # (routing rules' protect_stock; see docs/priority.md)
    held_back: dict[tuple[str, str], int] = field(default_factory=dict)
    # A service level from a shipping rule (deliver_within): ship within this many transit days,
    # strictly, or paying ``late_penalty_paise`` per day a lane is slower.
    deliver_within_days: int | None = None
    deliver_within_strict: bool = False
    late_penalty_paise: int = 0
    # The delivery promise (issue 24): ship by the carriers' express service where they offer it (a rule's
    # `express`), and a promise in days set by a rule (`promise_days`) over the channel's default.
    express: bool = False
    promise_days: int | None = None


def build_problem(order: Order, remaining: dict[int, int], skus: dict[str, Sku], dest: PinLocation,
                  cand: Candidates, network, settings: Settings, routing: Routing | None = None,
                  at: datetime | None = None, stocked_only: bool = False) -> AllocationProblem:
    """Build the problem for the units of ``order`` still to place (``remaining``: line_no -> qty).

    ``at``: when the parcels are planned (now; a re-plan or a hop plans later than the order was placed).
    Each lane's days are the days from the order's date to the delivery date of a parcel planned then
    (``logistics.transit.clock``), so a promise of N days is kept when every lane used takes at most N.

    ``stocked_only``: leave out the nodes that hold no unit of the order (when some node does). They cannot
    change the plan (the solver rules a node without stock out first); only an explanation names them, so a
    caller that asks for none (the promise API) saves their rows."""
    routing = routing or Routing()
    cod = order.payment_mode == PaymentMode.COD
    pickup = order.delivery_mode == DeliveryMode.PICKUP
    value = sum(order.line(no).unit_price_paise * q for no, q in remaining.items())
    wanted = {order.line(no).sku for no in remaining}
    # The lane table once per order, not keyed again per node.
    transit = getattr(network, "transit", None)
    clock = getattr(network, "clock", None) if transit is not None and not pickup else None
    lanes = None if pickup else lane_table(network.carriers, network.rate_cards, network.serviceability, transit,
                                           getattr(settings, "express_freight_pct", 100))
    at = at or datetime.now(UTC)
    order_day = clock.order_day(order.created_at or at) if clock is not None else None
    # Lanes only for nodes holding some unit of the order: the solver rules out a node without stock before
    # it looks at lanes, and the fastest date counts only nodes with units, so their lanes would change no
    # plan, promise or date; with a new destination per order (most orders) they were a third of the
    # lane work.
    stocked = {node.code for node in cand.nodes
               if any(available(cand, routing, node.code, s) > 0 for s in wanted)}
    timed = {}
    if clock is not None:
        for node in cand.nodes:
            if node.code not in stocked:
                continue
            timed[node.code] = timed_lanes(lanes, clock, node.code, cand.locations[node.code], dest, cod,
                                            routing.express, clock.moment(node.code, at), order_day)
    promise = None if pickup else order_promise(order, remaining, routing, cand, timed, settings)
    cand.promise = promise
    promised, policy, late_penalty, slowest = service_level(None if pickup else order.promised_days, routing,
                                                             pickup, promise, settings, cand)
    problem = AllocationProblem(
        order_id=order.id, payment_mode=str(order.payment_mode), order_value_paise=value,
        promised_days=promised, sla_policy=policy, lateness_penalty_paise_per_day=late_penalty,
        allow_partial=False, unfilled_penalty_paise_per_unit=settings.unfilled_penalty_paise,
        split_penalty_paise=settings.split_penalty_paise,
        max_shipments=1 if pickup else routing.max_shipments,
        keep_together=routing.keep_together, min_shipment_value_paise=routing.min_shipment_value_paise,
        speed_paise_per_day=0 if clock is None else getattr(settings, "value_per_day_paise", 0),
    )
    for no, qty in sorted(remaining.items()):
        line = order.line(no)
        sku = skus[line.sku]
        problem.add_line(str(no), line.sku, qty, sku.unit_weight_g, line.unit_price_paise, sku.volume_mm3)

    penalty = node_penalties(cand.nodes, cand, routing, settings)
    for node in cand.nodes:
        if stocked_only and stocked and not pickup and node.code not in stocked:
            continue
        loc = cand.locations[node.code]
        distance = node_distance_km(dest, node)
        reason = ineligible(node, order, cand, routing, distance)
        stock = {s: cand.atp.get((node.code, s), 0) for s in wanted}
        if routing.held_back:
            stock = {s: max(0, q - routing.held_back.get((node.code, s), 0)) for s, q in stock.items()}
        problem.add_node(
            node.code, distance_km=distance, handling_cost_paise=node.handling_cost_paise,
            capacity_shipments=cand.capacity_left.get(node.code, node.daily_capacity), priority=node.priority,
            kind=str(node.kind), stock=stock, forbidden_reason=reason,
            penalty_paise=penalty[node.code],
            unit_prices_paise={s: cand.prices[(node.code, s)] for s in wanted if (node.code, s) in cand.prices},
        )
        if not pickup and node.code not in stocked:
            continue
        if pickup:
            problem.add_lane(node.code, PICKUP_CARRIER, "A", first_slab_paise=0, additional_slab_paise=0,
                             cod_fixed_paise=0, cod_percent_bp=0, max_weight_g=None, sla_days=0, cod_allowed=True)
            continue
        here: Sequence[Lane]
        if clock is None:
            here = _solver_lanes(lanes, node.code, loc, dest, cod)
        else:
            pairs = timed[node.code]
            here = [lane for lane, _ in pairs]
            for lane, timing in pairs:
                cand.timing[(node.code, lane.carrier)] = timing
        if routing.carrier_bonus or routing.forbidden_carriers or slowest is not None:
            here = [_ruled(lane, routing, slowest) for lane in here]
        problem.add_lanes(here)
    return problem


def node_penalties(nodes, cand: Candidates, routing: Routing, settings: Settings) -> dict[str, int]:
    """Per node, the cost added to each shipment from it: recent rejections and routing preferences
    (real-time allocation and the nightly batch price nodes with this one rule).

    A routing preference is charged as a penalty on the less-preferred nodes rather than a bonus per
    shipment: a bonus on every preferred shipment would reward splitting an order across two preferred
    nodes, which no seller means by "prefer"."""
    top_bonus = max(routing.node_bonus.values(), default=0)
    return {node.code: cand.rejections.get(node.code, 0) * settings.rejection_penalty_paise
            + top_bonus - routing.node_bonus.get(node.code, 0) for node in nodes}


# Solver lanes per (lane table, node, carrier quote), checked once and shared between orders (a Lane
# is frozen): building and checking ~70 of them per order was a fifth of the request's CPU. A quote
# depends on the destination only through its zone and SLA, so new destinations mostly hit too. A
# new lane table (carriers or rate cards changed, network reloaded) starts a new cache.
_LANES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_DISTANCES: dict[tuple[float, float, float, float], float] = {}
_MAX_CACHED = 100_000


# And the finished list per (node, origin, destination, COD), in front of both: a destination seen
# before (most are, in a day's orders) then costs one dict look-up per node instead of the table's
# zone/quote look-ups and ~4 quote hashes per node.
_DEST_LANES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _solver_lanes(table, node_code: str, origin: PinLocation, dest: PinLocation, cod: bool) -> tuple[Lane, ...]:
    memo = _DEST_LANES.get(table)
    if memo is None:
        memo = _DEST_LANES[table] = {}
    key = (node_code, origin, dest, cod)
    lanes = memo.get(key)
    if lanes is None:
        if len(memo) >= _MAX_CACHED:
            memo.clear()
        lanes = memo[key] = tuple(_quoted_lanes(table, node_code, origin, dest, cod))
    return lanes


# Lanes with their dates per (node, origin, destination, COD, express, the node's moment, the order's day):
# the days a lane takes depend on when the parcel is planned (the node's cut-off and calendar) and on when
# the order was placed, so the memo is keyed by both; a day's orders share the node's two moments.
_TIMED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TIMED_CLASS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def timed_lanes(table, clock, node_code: str, origin: PinLocation, dest: PinLocation, cod: bool, express: bool,
                 moment, order_day) -> tuple[tuple[Lane, LaneTiming], ...]:
    memo = _TIMED.get(table)
    if memo is None:
        memo = _TIMED[table] = {}
    key = (node_code, origin, dest, cod, express, moment, order_day)
    pairs = memo.get(key)
    if pairs is None:
        if len(memo) >= _MAX_CACHED:
            memo.clear()
        # A destination seen for the first time: the lanes and dates of one of its class already seen (the
        # lane table's `destination_class`, with its state for the delivery holidays), else computed.
        by_class = _TIMED_CLASS.get(table)
        if by_class is None:
            by_class = _TIMED_CLASS[table] = {}
        klass = table.destination_class(origin, dest)
        class_key = (node_code, origin, klass, dest.state_code, cod, express, moment, order_day)
        pairs = by_class.get(class_key)
        if pairs is not None:
            memo[key] = pairs
            return pairs
        if len(by_class) >= _MAX_CACHED:
            by_class.clear()
        if cod:
            # A COD order's lanes are the prepaid ones whose carrier takes COD here: the same quotes, dates and
            # Lane objects (the lane table only filters its quotes by COD), so a class seen for one payment
            # mode costs the other a filter, not its quotes and dates again (a first-seen destination's lanes
            # were a tenth of a first-seen promise cart's CPU).
            prepaid_key = (node_code, origin, klass, dest.state_code, False, express, moment, order_day)
            prepaid = by_class.get(prepaid_key)
            if prepaid is None:
                prepaid = by_class[prepaid_key] = _timed_in_class(table, clock, node_code, origin, dest, klass,
                                                                  express, moment, order_day)
            pairs = tuple(pair for pair in prepaid if pair[0].cod_allowed)
        else:
            pairs = _timed_in_class(table, clock, node_code, origin, dest, klass, express, moment, order_day)
        memo[key] = by_class[class_key] = pairs
    return pairs


def _timed_in_class(table, clock, node_code: str, origin: PinLocation, dest: PinLocation, klass, express: bool,
                    moment, order_day) -> tuple[tuple[Lane, LaneTiming], ...]:
    """A prepaid order's lanes from the node to a destination of class ``klass``, with their dates."""
    cache = _LANES.get(table)
    if cache is None:
        cache = _LANES[table] = {}
    out = []
    for q in table.lanes_in_class(origin, dest, klass, cod=False, express=express):
        timing = clock.timing_at(node_code, q.carrier, q.service, q.sla_days, q.transit_basis, dest.state_code,
                                 moment, order_day)
        lane = cache.get((node_code, q, timing.days))
        if lane is None:
            if len(cache) >= _MAX_CACHED:
                cache.clear()
            lane = cache[(node_code, q, timing.days)] = make_lane(
                node_code, q.carrier, str(q.zone), q.first_slab_paise, q.additional_slab_paise, q.slab_g,
                q.cod_fixed_paise, q.cod_percent_bp, q.max_weight_g, timing.days, q.cod_allowed,
                q.volumetric_divisor)
        out.append((lane, timing))
    return tuple(out)


def _quoted_lanes(table, node_code: str, origin: PinLocation, dest: PinLocation, cod: bool) -> list[Lane]:
    cache = _LANES.get(table)
    if cache is None:
        cache = _LANES[table] = {}
    out = []
    for q in table.lanes(origin, dest, cod=cod):
        lane = cache.get((node_code, q))
        if lane is None:
            if len(cache) >= _MAX_CACHED:
                cache.clear()
            lane = cache[(node_code, q)] = make_lane(
                node_code, q.carrier, str(q.zone), q.first_slab_paise, q.additional_slab_paise, q.slab_g,
                q.cod_fixed_paise, q.cod_percent_bp, q.max_weight_g, q.sla_days, q.cod_allowed, q.volumetric_divisor)
        out.append(lane)
    return out


def order_promise(order: Order, remaining: dict[int, int], routing: Routing, cand: Candidates,
                  timed: dict, settings: Settings) -> tuple[int, str] | None:
    """The order's delivery promise in days after the order, and where it came from (issue 24): its request
    (``promised_days``), else a rule's ``promise_days``, else its channel's default, else the fastest
    feasible date plus ``promise_slack_days`` (None when no node can send it or lanes are not timed)."""
    if order.promised_days is not None:
        return order.promised_days, "request"
    if routing.promise_days is not None:
        return routing.promise_days, "rule"
    if cand.channel_promise_days is not None:
        return cand.channel_promise_days, "channel"
    fastest = fastest_days(order, remaining, routing, cand, timed)
    return None if fastest is None else (fastest + settings.promise_slack_days, "fastest")


def available(cand: Candidates, routing: Routing, node_code: str, sku: str) -> int:
    """Units of ``sku`` at the node this order may take: its ATP less what a protect_stock rule holds back
    from the order (negative when the rule holds back more than there is)."""
    return cand.atp.get((node_code, sku), 0) - routing.held_back.get((node_code, sku), 0)


def fastest_days(order: Order, remaining: dict[int, int], routing: Routing, cand: Candidates,
                 timed: dict) -> int | None:
    """The fastest delivery (days after the order) a plan could make: from one eligible node holding the whole
    order if one exists, else per line the fewest days by which eligible nodes together hold its units, and the
    slowest line's (a lower bound a split plan may need to exceed). A node holding fewer units than a line needs
    counts only with the others that make up the rest: counting it alone promised a date no plan could keep."""
    best: dict[str, int] = {}
    for node in cand.nodes:
        pairs = timed.get(node.code)
        if not pairs or ineligible(node, order, cand, routing, 0.0) is not None:
            continue
        usable = [t.days for lane, t in pairs if lane.carrier not in routing.forbidden_carriers]
        if usable:
            best[node.code] = min(usable)
    whole = [d for code, d in best.items()
             if all(available(cand, routing, code, order.line(no).sku) >= qty for no, qty in remaining.items())]
    if whole:
        return min(whole)
    per_line = []
    for no, qty in remaining.items():
        sku = order.line(no).sku
        options = sorted((d, units) for code, d in best.items()
                         if (units := available(cand, routing, code, sku)) > 0)
        if not options:
            return None
        held = 0
        for d, units in options:  # too few units anywhere: the day all of them are in reach
            held += units
            if held >= qty:
                break
        per_line.append(d)
    return max(per_line) if per_line else None


def service_level(promised: int | None, routing: Routing, pickup: bool, promise: tuple[int, str] | None = None,
                  settings: Settings | None = None,
                  cand: Candidates | None = None) -> tuple[int | None, str, int, int | None]:
    """The solver's promise for this order: (promised days, SLA policy, lateness paise per day, the
    slowest transit allowed outright or None).

    The order's own promise is hard. A strict ``deliver_within`` tightens it; a soft one becomes the
    promise with a lateness penalty, and the order's own (longer) promise then stays hard by excluding
    the lanes slower than it. Without either, a promise from a rule, the channel or the fastest date
    plus slack (``promise``) follows the channel's policy (``cand``): soft by default, paying the
    channel's ``late_penalty_paise`` (else ``late_paise_per_day``) for each day a shipment would be
    late; hard, no lane slower than the promise (no plan: the order waits)."""
    days = routing.deliver_within_days
    if not pickup and days is None and promised is None and promise is not None and settings is not None:
        if cand is not None and cand.channel_promise_policy == "hard":
            return promise[0], "hard", 0, None
        late = cand.channel_late_penalty_paise if cand is not None else None
        return promise[0], "soft", settings.late_paise_per_day if late is None else late, None
    if pickup or days is None:
        return promised, "hard", 0, None
    if routing.deliver_within_strict:
        return (days if promised is None else min(days, promised)), "hard", 0, None
    if promised is not None and promised <= days:
        return promised, "hard", 0, None
    return days, "soft", routing.late_penalty_paise, promised


def _ruled(lane: Lane, routing: Routing, slowest: int | None = None) -> Lane:
    """``lane`` with the shipping rules' bonus or exclusion of its carrier, and excluded when slower
    than ``slowest`` days (the order's own promise under a soft service level)."""
    bonus, forbidden = routing.carrier_bonus.get(lane.carrier, 0), routing.forbidden_carriers.get(lane.carrier)
    if forbidden is None and slowest is not None and lane.sla_days > slowest:
        forbidden = f"takes {lane.sla_days} days, the order promises {slowest}"
    if not bonus and forbidden is None:
        return lane
    return make_lane(lane.node, lane.carrier, lane.zone, lane.first_slab_paise, lane.additional_slab_paise,
                     lane.slab_g, lane.cod_fixed_paise, lane.cod_percent_bp, lane.max_weight_g, lane.sla_days,
                     lane.cod_allowed, lane.volumetric_divisor, bonus, forbidden)


def node_distance_km(dest: PinLocation, node: Node) -> float:
    """Great-circle km from the node to the destination (memoised: the same pairs recur all day)."""
    key = (dest.lat, dest.lon, node.lat, node.lon)
    km = _DISTANCES.get(key)
    if km is None:
        if len(_DISTANCES) >= _MAX_CACHED:
            _DISTANCES.clear()
        # The math module's haversine: ~1 us against numpy's ~14 us on scalars. It may differ from numpy's in
        # the last bit (at most 2e-12 km on 100,000 random pairs), which moves a plan only if a node's
        # distance cost landed within that of a half-paisa rounding edge; the lanes' distance band uses it too.
        km = _DISTANCES[key] = haversine_point_km(dest.lat, dest.lon, node.lat, node.lon)
    return km


def ineligible(node: Node, order: Order, cand: Candidates, routing: Routing, distance: float) -> str | None:
    """Why a node may not serve this order at all, or None. Reasons are shown in the explanation."""
    if node.code in cand.excluded:
        return f"rejected this order earlier: {cand.excluded[node.code]}"
    if order.delivery_mode == DeliveryMode.PICKUP:
        if node.code != order.pickup_node:
            return "pickup orders are fulfilled at the chosen store"
        return None if node.can(Capability.PICKUP_IN_STORE) else "store does not offer pickup"
    if not node.can(Capability.SHIP):
        return "node does not ship to customers"
    if node.code in routing.forbidden_nodes:
        return routing.forbidden_nodes[node.code]
    if routing.only_nodes is not None and node.code not in routing.only_nodes:
        return "not among the nodes a routing rule allows"
    if not routing.allow_stores and str(node.kind) == "store":
        return "ship-from-store is off for this order"
    if routing.max_distance_km is not None and distance > routing.max_distance_km:
        return f"{distance:.0f} km away, beyond the {routing.max_distance_km:.0f} km limit"
    return None

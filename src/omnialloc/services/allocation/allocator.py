"""Allocation: solve the order against a fresh stock snapshot and reserve the plan atomically.

Runs inside the caller's write transaction. The reservation of every (node, SKU)
is one conditional UPDATE (docs/architecture.md: the reservation) in sorted order; if any
fails, someone took the stock between snapshot and reserve, and the caller rolls
back and re-solves.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from omnialloc.domain import ORDER_MACHINE, DeliveryMode, Order, OrderStatus, Shipment, ShipmentLine, ShipmentStatus
from omnialloc.domain.allocations import Allocation
from omnialloc.domain.errors import DomainError, ValidationFailed
from omnialloc.domain.shipments import DEAD_STATUSES, RESERVING_STATUSES
from omnialloc.geo.pins import PinLocation, locate, locate_point
from omnialloc.observability import metrics
from omnialloc.services import bus
from omnialloc.services.events import now, record
from omnialloc.services.messages import RetryBackorders
from omnialloc.services.network.cache import channel as channel_master
from omnialloc.services.network.cache import Network, network, recent_rejections
from omnialloc.services.network.cache import skus as sku_master
from omnialloc.services.allocation.delivery import annotate, edd_fields, promise_dict
from omnialloc.services.allocation.planning import Candidates, Routing, build_problem
from omnialloc.solvers import PlanStatus, solve

# Shipments that hold stock (reserved) and shipments that ended without goods leaving (their units are
# unplaced again); every other shipment's units have left the node ("shipped").
HOLDING = RESERVING_STATUSES
DEAD = DEAD_STATUSES
# Shipments at their end: with the buyer, collected at the counter, or back at the node (returned to origin).
ENDED = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.COLLECTED, ShipmentStatus.RTO_DELIVERED})
# Orders whose unplaced units may be planned: new, waiting, or with shipments of which one was rejected.
ALLOCATABLE = frozenset({OrderStatus.VALIDATED, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED,
                         OrderStatus.PARTIALLY_SHIPPED})
# Orders not yet planned: their units are neither placed nor waiting, just not decided yet.
UNPLANNED = frozenset({OrderStatus.CREATED, OrderStatus.VALIDATED, OrderStatus.ON_HOLD})


class ReservationConflict(Exception):
    """Stock moved between the snapshot and the reservation: roll back and re-solve."""


@dataclass
class Outcome:
    order_id: str
    status: str
    plan: dict | None = None
    shipments: list[str] = field(default_factory=list)
    reason: str | None = None
    # What the transaction wrote, for rendering the answer without reading it back (services.orders.queries):
    order: Order | None = None                              # the order as it now stands
    held: list[Shipment] = field(default_factory=list)      # all its shipments, oldest first
    allocation: Allocation | None = None                    # the allocation written
    events: list = field(default_factory=list)              # the events written, oldest first


def remaining_units(order: Order, shipments: list[Shipment]) -> dict[int, int]:
    """Units of each line not yet in a live shipment (what allocation still has to place)."""
    out = {}
    for no, units in line_units(order, shipments).items():
        if units.waiting > 0:
            out[no] = units.waiting
    return out


@dataclass(frozen=True)
class LineUnits:
    """Where the open units of one order line are: every unit is placed (in a shipment holding stock),
    shipped (its shipment left the node), or waiting (in no live shipment); cancelled units are not open."""

    open: int
    placed: int
    shipped: int

    @property
    def waiting(self) -> int:
        return self.open - self.placed - self.shipped


def line_units(order: Order, shipments: list[Shipment]) -> dict[int, LineUnits]:
    placed: Counter[int] = Counter()
    shipped: Counter[int] = Counter()
    for shipment in shipments:
        if shipment.status in DEAD:
            continue
        bucket = placed if shipment.status in HOLDING else shipped
        for line in shipment.lines:
            bucket[line.line_no] += line.qty
    return {line.line_no: LineUnits(line.open_qty, placed[line.line_no], shipped[line.line_no])
            for line in order.lines}


def settled_status(order: Order, shipments: list[Shipment]) -> OrderStatus:
    """The status the order's units give it, once it has been planned (see ``docs/orders.md``).

    Nothing open: CANCELLED. Any unit waiting for stock: BACKORDERED (whatever else has shipped).
    Else units still at nodes: ALLOCATED, PARTIALLY_SHIPPED once something shipped (a pickup order
    waiting at the counter stays READY_FOR_PICKUP). Else all shipped: SHIPPED until every shipment has
    reached its end (delivered, collected or back at its node), then DELIVERED if any parcel reached the
    buyer (a parcel that came back is the shipment's RTO, its units restocked by the RTO return),
    PICKED_UP if collected at the counter, RTO only when every parcel came back.
    """
    units = line_units(order, shipments).values()
    if all(u.open == 0 for u in units):
        return OrderStatus.CANCELLED
    if any(u.waiting > 0 for u in units):
        return OrderStatus.BACKORDERED
    live = [s.status for s in shipments if s.status not in DEAD]
    if any(status in HOLDING for status in live):
        if any(status not in HOLDING for status in live):
            return OrderStatus.PARTIALLY_SHIPPED
        if order.status == OrderStatus.READY_FOR_PICKUP:
            return OrderStatus.READY_FOR_PICKUP
        return OrderStatus.ALLOCATED
    ends = set(live)
    if not ends <= ENDED:
        return OrderStatus.SHIPPED
    if ShipmentStatus.DELIVERED in ends:
        return OrderStatus.DELIVERED
    if ShipmentStatus.COLLECTED in ends:
        return OrderStatus.PICKED_UP
    return OrderStatus.RTO


def settle(uow, order: Order, shipments: list[Shipment], actor: str, reason: str, **payload) -> None:
    """Move a planned order to :func:`settled_status` (no-op when it is there or not planned yet, unless
    every unit is cancelled). Orders that start waiting queue a backorder retry of their SKUs."""
    target = settled_status(order, shipments)
    if target == order.status or (order.status in UNPLANNED and target != OrderStatus.CANCELLED):
        return
    if target == OrderStatus.BACKORDERED:
        backorder(uow, order, remaining_units(order, shipments), actor, reason, **payload)
    else:
        move_order(uow, order, target, actor, reason, **payload)


def backorder(uow, order: Order, units: dict[int, int], actor: str, reason: str, *, current: bool = False,
              **payload) -> None:
    """The order's ``units`` (line -> qty) wait for stock: BACKORDERED, and a retry of their SKUs queued in
    this transaction (stock freed while this order was being planned is then not missed)."""
    move_order(uow, order, OrderStatus.BACKORDERED, actor, reason, current=current, units=units, **payload)
    metrics.BACKORDERS.inc()
    bus.send(uow, RetryBackorders.of({order.line(no).sku for no in units}, "waiting"))


def destination(order: Order) -> PinLocation:
    to = order.ship_to
    if to.pin:
        return locate(to.pin)
    if to.lat is not None and to.lon is not None:
        return locate_point(to.lat, to.lon)
    raise ValidationFailed("the order has neither a PIN nor coordinates to ship to")


def plan_units(uow, ctx, order: Order, remaining: dict[int, int], routing: Routing | None = None, *,
               strategy: str = "optimal", own_reservations: Sequence[Shipment] = (), stored: bool = True,
               explain: bool = True):
    """Solve for ``remaining`` units against the stock and capacity seen by ``uow``, reserving nothing.

    ``own_reservations``: shipments whose stock counts as available again (a dry run re-planning a
    stored order). Returns (Plan, its JSON dict with the fired rules).
    """
    seen = read_candidates(uow, ctx, order, remaining, own_reservations=own_reservations, stored=stored)
    return plan_seen(ctx, order, remaining, seen, routing, strategy=strategy, explain=explain)


@dataclass
class Seen:
    """What one plan reads in its transaction (network, SKUs, stock, capacity, rejections, the channel's
    promise): `plan_seen` may solve several variants of one order against it (the promise API's standard
    and express options) without reading it again."""

    net: Network
    skus: dict
    cand: Candidates


def read_candidates(uow, ctx, order: Order, remaining: dict[int, int], *, own_reservations: Sequence[Shipment] = (),
                    stored: bool = True, stock: tuple | None = None) -> Seen:
    """`plan_units`'s reads. ``stock``: (day, SKUs, ATP, live) the caller already read by
    ``uow.inventory.atp_and_live_on`` in this transaction; used when it is today's read of these SKUs."""
    net = network(uow)
    skus = sku_master(uow, sorted({order.line(no).sku for no in remaining}))
    since_day = now().replace(hour=0, minute=0, second=0, microsecond=0)
    if stock is not None and stock[0] == since_day.date() and tuple(stock[1]) == tuple(skus):
        atp, live = dict(stock[2]), stock[3]
    else:
        atp, live = uow.inventory.atp_and_live_on(list(skus), since_day.date())  # one round trip for both
    for s in own_reservations:
        if s.status in HOLDING:
            for line in s.lines:
                atp[(s.node, line.sku)] = atp.get((s.node, line.sku), 0) + line.qty
    cand = Candidates(
        nodes=[n for n in net.nodes if order.delivery_mode != DeliveryMode.PICKUP or n.code == order.pickup_node],
        locations=net.locations,
        atp=atp,
        capacity_left=_capacity_left(uow, net, since_day, live),
        rejections=recent_rejections(uow, now() - timedelta(days=ctx.settings.rejection_window_days)),
        excluded=uow.orders.excluded_nodes(order.id) if stored else {},
    )
    chan = channel_master(uow, order.channel)
    if chan is not None:  # the channel's promise and how it is kept (issue 24, docs/promise.md)
        cand.channel_promise_days = chan.default_promise_days
        cand.channel_promise_policy = chan.promise_policy
        cand.channel_late_penalty_paise = chan.late_penalty_paise
    if ctx.settings.prices_enabled:  # lookahead: the batch's stock opportunity prices (services.batch.prices)
        cand.prices = uow.stock_prices.for_skus(skus)
    return Seen(net, skus, cand)


def plan_seen(ctx, order: Order, remaining: dict[int, int], seen: Seen, routing: Routing | None = None, *,
              strategy: str = "optimal", explain: bool = True):
    """`plan_units` on what `read_candidates` read (``seen`` is not changed: each call plans on its own copy
    of the candidates, whose lane timings and promise `build_problem` fills)."""
    net = seen.net
    cand = replace(seen.cand, timing={}, promise=None)
    problem = build_problem(order, remaining, seen.skus, destination(order), cand, net, ctx.settings, routing,
                            at=now(), stocked_only=not explain)
    plan = solve(problem, strategy=strategy, time_limit_ms=ctx.settings.solver_time_limit_ms, explain_plan=explain)
    metrics.observe_plan(plan.method, plan.status.value, plan.solve_ms)
    plan_dict = annotate(dict(plan.to_dict()), cand.timing, {code: n.city for code, n in net.by_code.items()})
    promised = promise_dict(cand.promise, net.clock if cand.timing else None, order.created_at or now())
    if promised is not None:
        plan_dict["promise"] = promised
    if routing is not None and routing.fired:
        plan_dict["rules"] = routing.fired
    return plan, plan_dict


def allocate_in(uow, ctx, order: Order, actor: str, *, routing: Routing | None = None,
                strategy: str = "optimal", event_type: str = "allocated", untouched: bool = False,
                quiet: bool = False) -> Outcome:
    """Plan and reserve the order's unplaced units inside the open transaction ``uow``.

    ``untouched``: the order is known unchanged since its capture (no shipments, no rejections yet).
    ``quiet``: a backorder retry; if a BACKORDERED order still cannot be completed, write nothing.
    """
    if order.status not in ALLOCATABLE:
        raise DomainError(f"order {order.id} is {order.status}; only VALIDATED, BACKORDERED, ALLOCATED or "
                          "PARTIALLY_SHIPPED orders can be allocated")
    shipments = [] if untouched else uow.shipments.for_order(order.id)
    remaining = remaining_units(order, shipments)
    if not remaining:
        return Outcome(order.id, str(order.status), reason="nothing left to allocate")

    plan, plan_dict = plan_units(uow, ctx, order, remaining, routing, strategy=strategy, stored=not untouched)
    short = plan.status == PlanStatus.INFEASIBLE or not plan.shipments or plan.unfilled
    if short and quiet and order.status == OrderStatus.BACKORDERED:
        return Outcome(order.id, str(OrderStatus.BACKORDERED), plan_dict,
                       reason=plan.reason or "not enough stock at eligible nodes")
    allocation = uow.allocations.add_row(order_id=order.id, strategy=strategy, status=str(plan.status),
                                         objective_paise=plan.objective_paise, bound_paise=plan.bound_paise,
                                         solve_ms=plan.solve_ms, plan=plan_dict, created_at=now())

    if short:
        # All or nothing: a plan that leaves units out reserves none of it, and every unplaced unit waits.
        reason = plan.reason or "not enough stock at eligible nodes"
        backorder(uow, order, remaining, actor, reason, current=True)
        return Outcome(order.id, str(OrderStatus.BACKORDERED), plan_dict, reason=reason, order=order,
                       held=shipments, allocation=allocation)

    created, held = [], list(shipments)
    for ps, sd in zip(plan.shipments, plan_dict["shipments"]):
        shipment = Shipment(
            id="shp_" + secrets.token_hex(8), order_id=order.id, node=ps.node, carrier=ps.carrier,
            lines=[ShipmentLine(int(lid), order.line(int(lid)).sku, q) for lid, q in sorted(ps.lines.items(), key=lambda kv: int(kv[0]))],
            status=ShipmentStatus.ALLOCATED, weight_g=ps.actual_weight_g, billed_weight_g=ps.billed_weight_g,
            cost_paise=ps.costs.total, sla_days=ps.sla_days, cost_breakdown={**ps.costs.to_dict(), "zone": ps.zone},
            **edd_fields(sd.get("edd")),
        )
        uow.shipments.add(shipment)
        record(uow, "shipment", shipment.id, "created", actor, to_status=shipment.status,
               reason=f"planned at {ps.node} via {ps.carrier}", order_id=order.id)
        created.append(shipment.id)
        held.append(shipment)
    # The stock last, after the shipments' rows and the order's status: a reservation locks its inventory
    # rows until the commit, and receipts and other allocations of those SKUs queue behind it, so nothing
    # but the events' statement and the COMMIT may come between (a conflict still rolls everything back:
    # one transaction). The order's row is already locked by this transaction (capture inserted it, or
    # ``allocate`` locked it), so writing it first adds no lock. A caller retries a conflict with the order
    # it holds (``allocate(held=...)``): what the status write changed in ``order`` is restored then.
    need: dict[tuple[str, str], int] = defaultdict(int)
    for ps in plan.shipments:
        for line_id, qty in ps.lines.items():
            need[(ps.node, order.line(int(line_id)).sku)] += qty
    kept = routing.held_back if routing is not None else {}
    before = (order.status, order.promised_by, order.promise_source)
    promise = plan_dict.get("promise")
    promised = None
    if promise is not None and order.promised_by is None:  # the first plan sets the promise; hops keep it
        order.promised_by, order.promise_source = datetime.fromisoformat(promise["promised_by"]), promise["source"]
        promised = (order.promised_by, order.promise_source)
    # ALLOCATED, or PARTIALLY_SHIPPED when some of the order already left (re-planned units of a hop)
    target = OrderStatus.PARTIALLY_SHIPPED if any(s.status not in HOLDING | DEAD for s in held) else OrderStatus.ALLOCATED
    if order.status == target:
        if promised is not None:
            uow.orders.set_promise(order.id, *promised)
        record(uow, "order", order.id, event_type, actor, reason="re-planned units", shipments=created,
               objective_paise=plan.objective_paise)
    else:
        move_order(uow, order, target, actor, f"{len(created)} shipment(s) planned", current=True,
                   promise=promised, shipments=created, objective_paise=plan.objective_paise)
    # Every (node, SKU) in sorted order (no deadlocks between concurrent reservers; one statement on PostgreSQL)
    if not uow.inventory.reserve_all(need, kept):  # (reserve_all reads only need's keys of kept)
        order.status, order.promised_by, order.promise_source = before
        metrics.RESERVATION_CONFLICTS.inc()
        raise ReservationConflict(", ".join(f"{sku} at {node}" for node, sku in sorted(need)))
    return Outcome(order.id, str(target), plan_dict, created, order=order, held=held,
                   allocation=allocation)


def _capacity_left(uow, net, since_day, stored: dict[str, int] | None) -> dict[str, int]:
    # live shipments created today, per node (``stored``: today's counter rows already read)
    used = uow.shipments.live_on(since_day.date(), stored=stored)
    return {n.code: max(0, n.daily_capacity - used.get(n.code, 0)) for n in net.nodes}


def move_order(uow, order: Order, target: OrderStatus, actor: str, reason: str, *, current: bool = False,
               promise: tuple | None = None, **payload) -> None:
    """Change the order's status (or note it when already there) with its event.

    ``current``: ``order`` was read in this transaction and is kept in step with every write, so the
    outbox may take its facts from it instead of reading the order again. ``promise``: (promised_by,
    source) to store with the status (the order's first plan).
    """
    subject = order if current else None
    if order.status == target:
        if promise is not None:
            uow.orders.set_promise(order.id, *promise)
        record(uow, "order", order.id, "note", actor, reason=reason, subject=subject,
               **{k: _jsonable(v) for k, v in payload.items()})
        return
    ORDER_MACHINE.check(order.status, target)
    uow.orders.set_status(order.id, target, reason, promise=promise)
    previous, order.status = order.status, target
    record(uow, "order", order.id, "status_changed", actor, from_status=previous, to_status=target,
           reason=reason, subject=subject, **{k: _jsonable(v) for k, v in payload.items()})


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value



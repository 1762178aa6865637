"""Nightly batch re-optimization of open orders: plan (solve all together) and apply (order by order).

``plan_batch`` reads the open orders -- ALLOCATED orders whose live shipments
are all still ALLOCATED (nothing accepted or packed), and BACKORDERED orders;
ship-to-customer only (pickup orders stay where they are) -- the stock they
may use (on_hand - safety_stock - reservations of orders NOT in the batch),
each node's shipment capacity left for the day (its daily capacity minus
today's live shipments of orders not in the batch) and the carrier lanes, and
builds one ``solvers.batch.BatchProblem``. It is solved with decomposition
(components over binding stock/capacity; Dask when a scheduler is given or
``dask=True``). The current allocation, priced in the same model and
improved by per-order re-solves, is a candidate too, so the plan is never
worse than what is live. Like real-time allocation (``allow_partial=False``)
an order is either fully allocated or backordered: an order the batch would
fill only in part is backordered whole.

The plan is persisted (``batch_runs`` + one ``batch_moves`` row per changed
order) before anything is applied. ``apply_batch`` then applies each move in
its own transaction: optimistic checks (order version and the exact live
shipments and their versions as planned: an order accepted, packed, cancelled
or re-planned meanwhile is skipped and reported), reservation deltas per
(node, SKU) in sorted order with the conditional-update rule (never
oversubscribing), old shipments CANCELLED, new ones created, and the move
marked APPLIED -- all in that one transaction. A run killed with -9 leaves
each order fully old or fully new; re-running applies the PENDING rest.
Moves that need stock another move frees are retried after it.

Every order in the batch gets the routing outcome real-time allocation would
compute for its open units (``runtime.routing_for``, the same rules and
the same adapter): nodes a routing rule forbids, beyond its distance limit or
not shipping get no lanes, forbidden carriers no lane, carrier bonuses lower
their lane; node preferences and recent rejections cost what
``planning.node_penalties`` says per shipment; the split penalty (settings),
"at most K shipments", keep-together groups and the minimum shipment value go
into the batch problem as the order's policy. The current allocation is priced
with the same terms, so before and after compare like with like.

Known limits: the batch respects node capabilities, nodes that rejected the
order, COD, the promised days and lane weight limits, but not the lookahead
stock prices (the batch is what computes them); an order whose live allocation
breaks a rule added since is left as it is unless the batch finds a cheaper
plan within the rules; a line may ship from several nodes (`split_lines`, as real-time allocation
splits it) unless the order may not split or the line is kept together, but an order that already holds
a line split across shipments is left as it is; orders with more than 6 lines (pieces of split lines
count) only get single-line and whole-order shipments; cost-matrix plans are for analysis and are not applied
(routing still removes forbidden nodes from them).
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypedDict
from pathlib import Path

import numpy as np

from omnialloc.domain import SHIPMENT_MACHINE, DeliveryMode, OrderStatus, PaymentMode, Shipment, ShipmentLine, \
    ShipmentStatus
from omnialloc.domain.batch import BatchMove, BatchRun
from omnialloc.domain.errors import NotFound, ValidationFailed
from omnialloc.domain.shipments import DEAD_STATUSES
from omnialloc.logistics.lanes import lanes_for
from omnialloc.observability import metrics
from omnialloc.services import bus
from omnialloc.services.allocation.allocator import backorder, destination, move_order, remaining_units, settled_status
from omnialloc.services.events import now, record
from omnialloc.services.messages import RetryBackorders
from omnialloc.services.network.cache import network, recent_rejections
from omnialloc.services.network.cache import skus as sku_master
from omnialloc.logistics.transit.clock import LaneTiming
from omnialloc.services.allocation.delivery import edd_fields
from omnialloc.services.allocation.planning import Candidates, Routing, timed_lanes, ineligible, lane_table, \
    node_distance_km, node_penalties
from omnialloc.services.network.cache import channel as channel_master
from omnialloc.solvers.batch import BatchProblem, solve_decomposed
from omnialloc.services.rules import runtime
from omnialloc.solvers.batch.assign import Index, State, best_for_order, check, fits, incumbent_state, order_cost, total_cost, \
    unkept
from omnialloc.solvers.batch.patterns import build_patterns
from omnialloc.solvers.batch.priority import solve_tiers

ACTOR = "system:batch"
OPEN_STATUSES = (OrderStatus.ALLOCATED, OrderStatus.BACKORDERED)
#: an allocated order moves only if that saves at least this much on it (Rs 10 by default)
MIN_MOVE_SAVING_PAISE = 1_000
#: with --allow-unallocate, the unfilled penalty of a confirmed order's unit, in unfilled penalties
UNALLOCATE_WEIGHT = 2
#: test-only: seconds to sleep inside each order's apply transaction (to kill a run half way)
SLEEP_ENV = "OMNIALLOC_BATCH_APPLY_TEST_SLEEP"


# --------------------------------------------------------------------------- snapshot
@dataclass
class Snapshot:
    """The batch as read from the store, and how to map the solver's answer back."""

    problem: BatchProblem
    orders: dict                                      # order_id -> Order
    current: dict[str, list[Shipment]]                # order_id -> live shipments (all ALLOCATED)
    versions: dict[str, int]
    lane_info: dict[tuple[str, str, str], tuple[str, int]] = field(default_factory=dict)  # (o, node, carrier) -> (zone, sla)
    weights: dict[str, int] = field(default_factory=dict)
    matrix: bool = False
    skipped: dict[str, str] = field(default_factory=dict)  # order_id -> why it is not in the batch
    ship_versions: dict[str, int] = field(default_factory=dict)
    #: order_id -> the latest delivery date a move may give (destination's local date), or None: the order's
    #: stored promise (``orders.promised_by``) when its current plan keeps it or its channel's promise is hard,
    #: else the current plan's date (no worse than today); without a stored promise, its live shipments' date
    promise: dict = field(default_factory=dict)
    #: (order, node, carrier) -> the lane's LaneTiming for a parcel planned now (the delivery clock real-time
    #: allocation uses: the node's cut-off, working days, holidays); absent when the network has no transit model
    timing: dict[tuple[str, str, str], LaneTiming] = field(default_factory=dict)
    allow_unallocate: bool = False
    #: order_id -> {(node, sku): units of protected stock it may not take} (a protect_stock rule's floor)
    keep: dict = field(default_factory=dict)


def _whole_lines(order, live: list[Shipment]) -> bool:
    """Every line of the order's live shipments is in one shipment with all its open units: the
    batch's model (a line ships whole from one node) can express what the order holds now."""
    seen: dict[int, int] = {}
    for s in live:
        for ln in s.lines:
            if ln.line_no in seen:
                return False
            seen[ln.line_no] = ln.qty
    open_qty = {ln.line_no: ln.open_qty for ln in order.lines if ln.open_qty > 0}
    return all(open_qty.get(no) == q for no, q in seen.items())


def _promised_by(live: list[Shipment], created_on: dict):
    """The delivery date the buyer was given: the earliest (shipment created + its SLA), or None."""
    dates = [created_on[s.id].date() + timedelta(days=s.sla_days) for s in live
             if s.sla_days is not None and created_on.get(s.id) is not None]
    return min(dates) if dates else None


def _limit(order, live: list[Shipment], created_on: dict, clock, hard: bool):
    """The latest delivery date (destination's local date) a move may give ``order`` (issue 22: a move never
    delays a promised delivery). With a stored promise (``promised_by``, the UTC end of the promised day): that
    day, when the channel's promise is hard or the current plan keeps it; else the current plan's later date
    (no worse than today). Without one: the date its live shipments give (`_promised_by`)."""
    current = _promised_by(live, created_on)
    dated = [s.delivery_date for s in live if s.delivery_date is not None]
    if live and len(dated) == len(live):
        current = max(dated)
    if order.promised_by is None or clock is None:
        return current
    promised = clock.order_day(order.promised_by - timedelta(microseconds=1))
    if hard or current is None or current <= promised:
        return promised
    return current


def _read_ids(path) -> list[str]:
    """An orders file: a CSV with an ``order_id`` column, or one order id per line."""
    text = Path(path).read_text().splitlines()
    if text and "order_id" in text[0].split(","):
        return [r["order_id"].strip() for r in csv.DictReader(text) if r.get("order_id", "").strip()]
    return [t.strip() for t in text if t.strip() and not t.startswith("#")]


def snapshot(ctx, *, order_ids: list[str] | None = None, cost_matrix: str | None = None,
             extra_orders=None, allow_unallocate: bool = False, unallocate_weight: int | None = None) -> Snapshot:
    """Read the open orders (or ``order_ids`` among them) and build the BatchProblem in one read transaction.

    ``extra_orders(problem, add_lanes)``: a hook to add pseudo-orders (expected demand, for prices).
    ``allow_unallocate``: an ALLOCATED order may lose its stock (else it must stay filled), each unit it
    loses counting ``unallocate_weight`` unfilled penalties (default ``UNALLOCATE_WEIGHT``)."""
    with ctx.uow(readonly=True) as uow:
        # priority first (issue 30): every order-by-order step of the batch takes them in this order
        ids = uow.orders.ids_by_priority(OPEN_STATUSES)
        if order_ids is not None:
            wanted = set(order_ids)
            ids = [i for i in ids if i in wanted]
        by_id: dict = {}
        for k in range(0, len(ids), 500):
            by_id.update(uow.orders.get_many(ids[k:k + 500]))
        live: dict[str, list[Shipment]] = defaultdict(list)
        created_on: dict = {}
        for k in range(0, len(ids), 500):
            chunk = ids[k:k + 500]
            for s in uow.shipments.for_orders(chunk):
                if s.status not in DEAD_STATUSES:
                    live[s.order_id].append(s)
            created_on.update(uow.shipments.created_at(chunk))
        versions = uow.orders.versions(ids)

        skipped: dict[str, str] = {}
        batch: dict = {}
        for oid in ids:
            o = by_id[oid]
            if o.delivery_mode == DeliveryMode.PICKUP:
                skipped[oid] = "pickup order"
                continue
            if any(s.status != ShipmentStatus.ALLOCATED for s in live.get(oid, [])):
                skipped[oid] = "a shipment is already accepted or packed"
                continue
            if not any(ln.open_qty > 0 for ln in o.lines):
                continue
            if live.get(oid) and not _whole_lines(o, live[oid]):
                skipped[oid] = "a line is split across shipments; left as it is"
                continue
            batch[oid] = o

        net = network(uow)
        # an order holding a shipment at a node no longer in the network (deactivated) is left as it is: the
        # batch cannot price keeping it, and one such order must not stop the whole batch
        in_network = {n.code for n in net.nodes}
        for oid in [o for o in batch if any(s.node not in in_network for s in live.get(o, []))]:
            skipped[oid] = "a shipment's node is no longer in the network; left as it is"
            del batch[oid]
        skus = sku_master(uow, sorted({ln.sku for o in batch.values() for ln in o.lines}))
        # stock: ATP + what the batch's own shipments hold
        atp = defaultdict(int, uow.inventory.atp_everywhere())
        used_today: dict[str, int] = defaultdict(int)
        day = now().replace(hour=0, minute=0, second=0, microsecond=0)
        for node, order_id in uow.shipments.live_since(day):
            if order_id not in batch:
                used_today[node] += 1
        for oid in batch:
            for s in live.get(oid, []):
                for ln in s.lines:
                    atp[(s.node, ln.sku)] += ln.qty
        excluded = {oid: uow.orders.excluded_nodes(oid) for oid in batch}
        ship_ids = [s.id for oid in batch for s in live.get(oid, [])]
        ship_versions = {}
        for k in range(0, len(ship_ids), 500):
            ship_versions.update(uow.shipments.versions(ship_ids[k:k + 500]))
        routing = _routings(uow, ctx, batch, skus)
        # the channels' promise policy (issue 24): a hard promise is never given up by a move
        hard = {c for c in {o.channel for o in batch.values()}
                if (ch := channel_master(uow, c)) is not None and ch.promise_policy == "hard"}
        rejections = recent_rejections(uow, now() - timedelta(days=ctx.settings.rejection_window_days))

    problem = BatchProblem()
    stock_by_node: dict[str, dict[str, int]] = defaultdict(dict)
    for (n, s), q in atp.items():
        if q > 0:
            stock_by_node[n][s] = q
    for node in net.nodes:
        problem.add_node(node.code, stock_by_node.get(node.code, {}),
                         capacity_shipments=max(0, node.daily_capacity - used_today.get(node.code, 0)),
                         handling_cost_paise=node.handling_cost_paise)
    snap = Snapshot(problem, batch, {o: live.get(o, []) for o in batch}, versions, skipped=skipped,
                    matrix=cost_matrix is not None, weights={k: v.unit_weight_g for k, v in skus.items()},
                    ship_versions=dict(ship_versions), allow_unallocate=allow_unallocate)
    pen = ctx.settings.unfilled_penalty_paise
    codes = {node.code for node in net.nodes}
    ranked = Candidates(nodes=net.nodes, locations=net.locations, atp={}, capacity_left={}, rejections=rejections)

    def node_cost(r: Routing) -> dict[str, int]:
        return {k: v for k, v in node_penalties(net.nodes, ranked, r, ctx.settings).items() if v}

    no_rules = Routing()
    default_cost = node_cost(no_rules)
    today = now().date()
    planned_at = now()
    # lanes timed by the delivery clock, as real-time allocation times them (planning.timed_lanes)
    clock = getattr(net, "clock", None) if getattr(net, "transit", None) is not None else None
    table = None if clock is None else lane_table(net.carriers, net.rate_cards, net.serviceability, net.transit,
                                                  getattr(ctx.settings, "express_freight_pct", 100))
    weight = UNALLOCATE_WEIGHT if unallocate_weight is None else unallocate_weight
    for oid, o in batch.items():
        lines = [(str(ln.line_no), ln.sku, ln.open_qty, skus[ln.sku].unit_weight_g, ln.unit_price_paise,
                  skus[ln.sku].volume_mm3) for ln in o.lines if ln.open_qty > 0]
        r = routing.get(oid, no_rules)
        if r.held_back:
            snap.keep[oid] = dict(r.held_back)
        held = snap.current[oid]
        snap.promise[oid] = _limit(o, held, created_on, clock, o.channel in hard)
        confirmed = o.status == OrderStatus.ALLOCATED
        # with --allow-unallocate a unit taken from a confirmed order counts twice: the batch un-allocates
        # only to fill more units elsewhere (or an order of higher priority), never to save shipping
        problem.add_order(oid, lines, payment_mode=str(o.payment_mode),
                          unfilled_penalty_paise_per_unit=pen * weight if confirmed else pen,
                          forbidden_nodes=sorted(set(r.forbidden_nodes) & codes),
                          node_cost_paise=default_cost if r is no_rules else node_cost(r),
                          split_penalty_paise=ctx.settings.split_penalty_paise, max_shipments=r.max_shipments,
                          keep_together=r.keep_together, min_shipment_value_paise=r.min_shipment_value_paise,
                          must_fill=o.status == OrderStatus.ALLOCATED and not allow_unallocate,
                          priority=int(o.priority or 0),
                          incumbent=[(s.node, [str(ln.line_no) for ln in s.lines]) for s in held] or None,
                          # a line may ship from several nodes, as real-time allocation may split it
                          # (not when the order may not split, nor a keep-together group's line)
                          split_lines=True)
    if cost_matrix is not None:
        problem.read_cost_matrix_csv(cost_matrix)
        return snap

    def add_lanes(oid, dest, *, cod: bool, promised_days, weight_g: int, excluded_nodes=None, order=None,
                  rules: Routing | None = None):
        """``rules``: the order's routing outcome (eligible nodes, carriers and their bonuses)."""
        rules = rules or Routing()
        # a move never delays a promised date: a lane arriving after it is not offered, except the lane
        # of a shipment the order holds now (keeping it is not a move)
        promise = snap.promise.get(oid)
        room = None if promise is None else (promise - today).days
        timed_here = clock is not None and order is not None and promise is not None
        order_day = clock.order_day(order.created_at or planned_at) if timed_here and clock is not None else None
        kept_lanes = {(s.node, s.carrier) for s in snap.current.get(oid, [])}
        cand = Candidates(nodes=net.nodes, locations=net.locations, atp={}, capacity_left={},
                          excluded=excluded_nodes or {})
        for node in net.nodes:
            only_kept = False
            if order is not None:
                km = 0.0 if rules.max_distance_km is None else node_distance_km(dest, node)
                if ineligible(node, order, cand, rules, km):
                    # a node the order may no longer be sent to (a rule since, a rejection): only the
                    # shipment it holds there stays offered
                    if node.code not in {n for n, _ in kept_lanes}:
                        continue
                    only_kept = True
            if order is None and not node.active:
                continue
            timed: dict[str, LaneTiming] = {}
            if timed_here and clock is not None:  # the surface service: the batch prices lanes_for's (not express) lanes
                for t_lane, t in timed_lanes(table, clock, node.code, net.locations[node.code], dest, cod,
                                              False, clock.moment(node.code, planned_at), order_day):
                    timed.setdefault(t_lane.carrier, t)
            # transit days from the transit model (issue 24), as real-time allocation's lanes take them
            for lane in lanes_for(net.locations[node.code], dest, net.carriers, net.rate_cards,
                                  net.serviceability, cod=cod, transit=getattr(net, "transit", None)):
                # the lane of a shipment the order holds now is always offered: keeping it is not a move,
                # and real-time allocation may have timed it otherwise (its delivery clock, a rule since)
                if (node.code, lane.carrier) not in kept_lanes:
                    if only_kept:
                        continue
                    if (cod and not lane.cod_allowed) or (lane.max_weight_g and weight_g > lane.max_weight_g):
                        continue
                    if promised_days is not None and lane.sla_days > promised_days:
                        continue
                    if lane.carrier in rules.forbidden_carriers:
                        continue
                    dated = timed.get(lane.carrier)
                    if dated is not None and promise is not None and dated.delivery_date > promise:
                        continue  # the clock's date: cut-off, holidays
                    if dated is None and room is not None and lane.sla_days > room:
                        continue
                if lane.carrier in timed:
                    snap.timing[(oid, node.code, lane.carrier)] = timed[lane.carrier]
                problem.add_lane(oid, node.code, lane.carrier, lane.first_slab_paise, lane.additional_slab_paise,
                                 slab_g=lane.slab_g, volumetric_divisor=lane.volumetric_divisor,
                                 cod_fixed_paise=lane.cod_fixed_paise if cod else 0,
                                 cod_percent_bp=lane.cod_percent_bp if cod else 0,
                                 bonus_paise=rules.carrier_bonus.get(lane.carrier, 0))
                snap.lane_info[(oid, node.code, lane.carrier)] = (str(lane.zone), lane.sla_days)

    for oid, o in batch.items():
        try:
            dest = destination(o)
        except ValidationFailed:
            continue
        weight = sum(skus[ln.sku].unit_weight_g * ln.open_qty for ln in o.lines)
        add_lanes(oid, dest, cod=o.payment_mode == PaymentMode.COD, promised_days=o.promised_days,
                  weight_g=weight, excluded_nodes=excluded[oid], order=o, rules=routing.get(oid))
    if extra_orders is not None:
        extra_orders(problem, add_lanes)
    return snap


def _routings(uow, ctx, batch: dict, skus: dict) -> dict[str, Routing]:
    """Each order's routing outcome for all its open units, as real-time allocation computes it."""
    rules, _ = runtime.current(uow)
    if not runtime.has_allocation_rules(rules):
        return {}
    out = {}
    for oid, o in batch.items():
        open_units = {ln.line_no: ln.open_qty for ln in o.lines if ln.open_qty > 0}
        r = runtime.routing_for(uow, ctx, o, remaining=open_units, rules=rules, skus=skus)
        if r is not None:
            out[oid] = r
    return out


# --------------------------------------------------------------------------- solve + compare
def _assignments(d, pats, chosen_by_order: dict[int, list[int]]) -> dict:
    return {d.order_ids[o]: sorted((int(pats.node[k]), int(pats.mask[k])) for k in ks)
            for o, ks in chosen_by_order.items()}


def solve_snapshot(snap: Snapshot, *, scheduler: str | None = None, dask: bool = False,
                   time_limit: float = 60.0, progress=None, min_saving_paise: int = 0) -> dict:
    """Solve (tier by tier when priorities differ); return before/after per order in the same cost model,
    and the batch figures. The after plan keeps every order that must stay filled filled, or it is not used."""
    d = snap.problem.compile()
    t0 = time.perf_counter()

    def solve(sub):
        return solve_decomposed(sub, time_limit=time_limit, scheduler=scheduler, dask=dask or bool(scheduler),
                                progress=progress)

    tiered = solve_tiers(d, solve, allow_unallocate=snap.allow_unallocate)
    if len(tiered) == 1:
        bound, gap_split, partial_total = tiered[0][1].bound, tiered[0][1].gap_split(), tiered[0][1].objective
        n_comp, largest = tiered[0][1].n_components, tiered[0][1].largest_component
    else:  # the bound of the batch without tiers is valid for the tiered plan too
        whole = solve(d)
        bound, gap_split, partial_total = whole.bound, whole.gap_split(), sum(p.objective for _, p in tiered)
        n_comp = sum(p.n_components for _, p in tiered)
        largest = max(p.largest_component for _, p in tiered)
    pats = build_patterns(d)
    ix = Index(d, pats)
    key = {(o, n, m): k for k, (o, n, m) in enumerate(zip(pats.order.tolist(), pats.node.tolist(),
                                                          pats.mask.tolist()))}
    opos = {o: i for i, o in enumerate(d.order_ids)}
    npos = {n: i for i, n in enumerate(d.node_codes)}
    line_pos = d.order_line_start()

    def bit(o: int, line_id: str) -> int:
        s, e = int(line_pos[o]), int(line_pos[o + 1])
        return 1 << list(d.line_ids[s:e]).index(line_id)

    current = incumbent_state(ix) if any(d.incumbent) else State.fresh(d)
    if current is None or unkept(ix, current):  # the store holds more than the snapshot says: a bug
        raise AssertionError("the live allocation does not fit the batch's own snapshot")
    before = total_cost(ix, current)

    # the batch plan, whole orders only (real-time allocation's rule), stock freed re-offered by priority
    after = State.fresh(d)
    chosen: dict[int, list[int]] = defaultdict(list)
    for _, plan in tiered:
        unf = set(plan.unfilled)
        for mv in plan.shipments:
            if mv.order_id in unf and not d.order_keep[opos[mv.order_id]]:
                continue
            o = opos[mv.order_id]
            chosen[o].append(key[(o, npos[mv.node], sum(bit(o, lid) for lid in mv.line_ids))])
    for o, ks in chosen.items():
        after.take(ix, o, ks)
    _whole_orders(ix, after)
    method = "batch" if len(tiered) == 1 else f"batch in {len(tiered)} priority tiers"
    if check(ix, after) or unkept(ix, after):
        after, method = current, "kept current"
    after = _realizable(ix, current, after, min_saving_paise)
    if _worse(ix, current, after):
        after, method = current, "kept current"
    after_tot = total_cost(ix, after)

    per_order = {}
    for oid in snap.orders:
        o = opos[oid]
        new = sorted((d.node_codes[ix.node[k]], int(pats.mask[k]), k) for k in after.chosen[o])
        old = sorted((d.node_codes[ix.node[k]], int(pats.mask[k]), k) for k in current.chosen[o])
        if after is current or [(n, m) for n, m, _ in new] == [(n, m) for n, m, _ in old]:
            continue
        per_order[oid] = {
            "new": [{"node": n, "mask": m, "pattern": k, "cost_paise": ix.cost[k]} for n, m, k in new],
            "before": _order_cost(ix, o, current.chosen[o]),
            "after": _order_cost(ix, o, after.chosen[o]),
            "before_parts": _order_parts(ix, o, current.chosen[o]),
            "after_parts": _order_parts(ix, o, after.chosen[o]),
        }
    return {"data": d, "patterns": pats, "before": before, "after": after_tot, "moves": per_order,
            "before_state": current, "after_state": after, "ix": ix, "method": method,
            "bound": bound, "gap_split": gap_split, "partial_fill_total": partial_total,
            "components": n_comp, "largest_component": largest, "seconds": time.perf_counter() - t0,
            "wall_limit_hit": any(part.stats.get("wall_limit_hit") for _, p in tiered for part in p.parts)}


def _worse(ix, current, after) -> bool:
    """`after` costs more than `current`, compared priority tier by tier from the highest (a tier
    is never made worse for the sake of a lower one)."""
    d = ix.d
    for p in sorted(set(d.order_prio.tolist()), reverse=True):
        orders = np.flatnonzero(d.order_prio == p).tolist()
        b = sum(order_cost(ix, o, current.chosen[o]) for o in orders)
        a = sum(order_cost(ix, o, after.chosen[o]) for o in orders)
        if a != b:
            return a > b
    # fixed node costs are shared by the tiers: compared last
    return bool(d.fixed[after.used > 0].sum() > d.fixed[current.used > 0].sum())


def _realizable(ix, current, after, min_saving_paise: int):
    """The part of `after` that `apply_batch` can reach from `current` one order at a time (each order's
    move needs the stock its target holds free at that moment: a swap of two orders' stock cannot be
    applied order by order and is left out), moving a confirmed order only when it saves at least
    `min_saving_paise` (a move is churn for the warehouse and a message to the buyer), and un-allocating
    one only when an order the plan newly fills takes some of its stock."""
    st = State(current.stock.copy(), current.cap.copy(), current.used.copy(), [list(c) for c in current.chosen])
    # stock that orders newly filled by the plan take: an order is un-allocated only to give them its stock
    wanted = {(ix.node[k], s) for o in range(ix.d.n_orders) if after.chosen[o] and not current.chosen[o]
              for k in after.chosen[o] for s, _ in ix.content[k]}
    todo = []
    for o in range(ix.d.n_orders):  # index order is priority order
        if sorted(after.chosen[o]) == sorted(current.chosen[o]):
            continue
        if current.chosen[o] and not after.chosen[o] and \
                not any((ix.node[k], s) in wanted for k in current.chosen[o] for s, _ in ix.content[k]):
            continue
        if current.chosen[o] and after.chosen[o] and \
                order_cost(ix, o, current.chosen[o]) - order_cost(ix, o, after.chosen[o]) < max(min_saving_paise, 1):
            continue
        todo.append(o)
    while todo:
        left = []
        for o in todo:
            old = st.release(ix, o)
            if fits(ix, st, after.chosen[o]):
                st.take(ix, o, after.chosen[o])
            else:
                st.take(ix, o, old)
                left.append(o)
        if len(left) == len(todo):
            break
        todo = left
    return st


def _order_parts(ix, o, ks) -> dict:
    """One order's cost in money (shipping, split) apart from its unfilled units."""
    d = ix.d
    s, e = int(ix.start[o]), int(ix.start[o + 1])
    cov = 0
    for k in ks:
        cov |= int(ix.p.mask[k])
    return {"shipping": int(sum(ix.cost[k] for k in ks)),
            "split": int(ix.split[o] * max(0, len(ks) - 1)),
            "unfilled_units": int(sum(int(d.line_qty[s + i]) for i in range(e - s) if not cov >> i & 1))}


def _order_cost(ix, o, ks) -> int:
    return int(order_cost(ix, o, ks))


def _whole_orders(ix, st) -> None:
    """An order the state fills only in part is backordered whole (real-time allocation's rule); then the
    stock that frees is offered to the unfilled orders, each taking it only if it can be filled whole."""
    def full(o, ks) -> bool:
        cov = 0
        for k in ks:
            cov |= int(ix.p.mask[k])
        return cov == (1 << int(ix.start[o + 1] - ix.start[o])) - 1

    empty = []
    for o, ks in enumerate(st.chosen):
        if not ks:
            empty.append(o)
        elif not full(o, ks):
            st.release(ix, o)
            empty.append(o)
    for o in empty:
        _, ks = best_for_order(ix, st, o)
        if ks and full(o, ks) and _order_cost(ix, o, ks) < _order_cost(ix, o, []):
            st.take(ix, o, ks)


def _saving(snap: Snapshot, moves: dict) -> dict:
    """What the moves change, in money (shipping, split) apart from unfilled units, and how many orders
    get cheaper or dearer to serve, get stock, lose it, or only move."""
    money = {"shipping": 0, "split": 0}
    units = 0
    counts = {"improved": 0, "worsened": 0, "allocated": 0, "unallocated": 0, "moved": 0}
    for oid, mv in moves.items():
        b, a = mv["before_parts"], mv["after_parts"]
        for k in money:
            money[k] += b[k] - a[k]
        units += b["unfilled_units"] - a["unfilled_units"]
        was = bool(snap.current[oid])
        counts["allocated" if not was else "unallocated" if not mv["new"] else "moved"] += 1
        if mv["after"] < mv["before"]:
            counts["improved"] += 1
        elif mv["after"] > mv["before"]:
            counts["worsened"] += 1
    return {"saving_money_paise": {**money, "total": sum(money.values())}, "units_filled_more": units,
            **{f"orders_{k}": v for k, v in counts.items()}}


def _held_back(snap: Snapshot, res: dict) -> dict[str, str]:
    """Moves that would deliver later than promised (a shipment made today on a lane whose SLA ends
    after the order's promised date): held back, the order stays as it is. The lanes offered to the
    solver already exclude these; this is the last check before anything is stored."""
    d, ix, pats = res["data"], res["ix"], res["patterns"]
    today = now().date()
    out = {}
    for oid, mv in res["moves"].items():
        promise = snap.promise.get(oid)
        if promise is None:
            continue
        kept = {(s.node, frozenset((str(ln.line_no), ln.qty) for ln in s.lines)) for s in snap.current[oid]}
        for part in mv["new"]:
            k = part["pattern"]
            lines = frozenset(_units(d, pats, k).items())
            if (part["node"], lines) in kept:
                continue
            carrier = None if d.lane_carrier is None else d.lane_carrier[int(pats.cand[k])]
            info = None if carrier is None else snap.lane_info.get((oid, part["node"], carrier))
            t = None if carrier is None else snap.timing.get((oid, part["node"], carrier))
            arrives = (t.delivery_date if t is not None else None if info is None
                       else today + timedelta(days=info[1]))
            if arrives is None or arrives > promise:
                out[oid] = f"a shipment from {part['node']} would arrive after the promised {promise.isoformat()}"
                break
    return out


def _units(d, pats, k: int) -> dict[str, int]:
    """Pattern k's units per order line id (a split line's pieces added up)."""
    out: dict[str, int] = {}
    for i in pats.lines[pats.ptr[k]:pats.ptr[k + 1]].tolist():
        out[d.line_src[i]] = out.get(d.line_src[i], 0) + int(d.line_qty[i])
    return out


def _counts(ix, st) -> dict:
    per = [len(ks) for ks in st.chosen]
    return {"shipments": int(sum(per)), "split_orders": int(sum(1 for p in per if p > 1))}


# --------------------------------------------------------------------------- plan
@metrics.timed(metrics.BATCH_SECONDS, job="batch_plan")
def plan_batch(ctx, *, scheduler: str | None = None, dask: bool = False, orders_file: str | None = None,
               cost_matrix: str | None = None, time_limit: float = 600.0,
               progress=None, actor: str = ACTOR, allow_unallocate: bool = False,
               min_saving_paise: int = MIN_MOVE_SAVING_PAISE) -> dict:
    """Solve the open orders together and persist the plan; returns its summary (``reports.batch_plan``
    writes it, with :func:`planned_moves`, to a folder).

    ``allow_unallocate``: an ALLOCATED order may be backordered to fill orders of the same or a higher
    priority (never a lower one); by default every ALLOCATED order stays allocated. An allocated order
    moves only when that saves at least ``min_saving_paise`` on its own cost."""
    t0 = time.perf_counter()
    ids = _read_ids(orders_file) if orders_file else None
    snap = snapshot(ctx, order_ids=ids, cost_matrix=cost_matrix, allow_unallocate=allow_unallocate)
    if not snap.orders:
        return {"run_id": None, "orders": 0, "moves": 0, "skipped": snap.skipped,
                "detail": "no open orders to re-optimize"}
    res = solve_snapshot(snap, scheduler=scheduler, dask=dask, time_limit=time_limit, progress=progress,
                         min_saving_paise=min_saving_paise)
    ix = res["ix"]
    d = res["data"]
    held_back = _held_back(snap, res)
    for oid in held_back:
        res["moves"].pop(oid)
    bc, ac = _counts(ix, res["before_state"]), _counts(ix, res["after_state"])
    bound = res["bound"]
    summary: dict[str, object] = {
        "orders": len(snap.orders), "not_in_batch": len(snap.skipped), "method": res["method"],
        "allow_unallocate": allow_unallocate,
        "before": {**res["before"], **bc}, "after": {**res["after"], **ac},
        "bound_paise": None if bound is None else round(float(bound)),
        "gap": None if not bound else (res["after"]["total"] - bound) / bound,
        "gap_split": {k: round(float(v)) for k, v in res["gap_split"].items()},
        # the solver's plan may fill an order in part; live allocation backorders such orders whole
        # (allow_partial=False), which the LP bound does not know: most of a large gap is that rule
        "partial_fill_total": int(res["partial_fill_total"]),
        "partial_fill_gap": None if not bound else (res["partial_fill_total"] - bound) / bound,
        "components": res["components"], "largest_component": res["largest_component"],
        "moves": len(res["moves"]), "cost_matrix": bool(cost_matrix),
        "solve_seconds": round(res["seconds"], 2),
        "held_back": held_back,
        # the wall-clock safety net cut a solver step short: this plan may differ from a faster run's
        "wall_limit_hit": res["wall_limit_hit"],
        **_saving(snap, res["moves"]),
    }
    run_id = "bat_" + secrets.token_hex(8)
    moves = []
    for seq, (oid, mv) in enumerate(sorted(res["moves"].items())):
        new = []
        for part in mv["new"]:
            k = part["pattern"]
            carrier = None if d.lane_carrier is None else d.lane_carrier[int(res["patterns"].cand[k])]
            qty = _units(d, res["patterns"], k)
            zone, sla = ("D", None) if carrier is None else snap.lane_info.get((oid, part["node"], carrier), ("D", None))
            t = None if carrier is None else snap.timing.get((oid, part["node"], carrier))
            new.append({"node": part["node"], "carrier": carrier, "lines": qty, "cost_paise": int(part["cost_paise"]),
                        "zone": zone, "sla_days": sla if t is None else t.days,
                        "edd": None if t is None else t.to_dict()})
        old = {"order_version": snap.versions.get(oid), "status": str(snap.orders[oid].status),
               "shipments": [[s.id, snap.ship_versions[s.id], s.node] for s in snap.current[oid]],
               "parts": mv["before_parts"], "new_parts": mv["after_parts"],
               "promised_by": None if snap.promise.get(oid) is None else snap.promise[oid].isoformat(),
               # the protected stock this order may not take where it would newly reserve (apply's floor)
               "keep": [[n, s, q] for (n, s), q in sorted(snap.keep.get(oid, {}).items())
                        if any(part["node"] == n for part in new)]}
        moves.append(BatchMove(run_id=run_id, order_id=oid, seq=seq, old=old, new=new,
                               cost_before_paise=int(mv["before"]), cost_after_paise=int(mv["after"])))
    summary["run_id"] = run_id
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    with ctx.uow() as uow:
        uow.batch_runs.add(BatchRun(id=run_id, status="PLANNED", summary=_jsonable(summary), created_by=actor,
                                    created_at=now()), moves)
        uow.commit()
    return summary


def _jsonable(x):
    return json.loads(json.dumps(x, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


# --------------------------------------------------------------------------- apply
def latest_run(ctx) -> str | None:
    with ctx.uow(readonly=True) as uow:
        return uow.batch_runs.latest_unapplied()


def planned_moves(ctx, run_id: str) -> list[BatchMove]:
    """The moves of run ``run_id`` not applied yet (all of them, right after the plan)."""
    with ctx.uow(readonly=True) as uow:
        return uow.batch_runs.pending_moves(run_id)


class _Skip(Exception):
    pass


class _NoStock(Exception):
    pass


@metrics.timed(metrics.BATCH_SECONDS, job="batch_apply")
class ApplyTally(TypedDict):
    """What ``apply_batch`` did: moves applied and skipped (with why), and the saving."""

    run_id: str
    applied: int
    skipped: int
    skips: dict[str, str]
    saving_paise: int
    saving_money_paise: int
    units_filled_more: int
    allocated: int
    unallocated: int
    moved: int


def apply_batch(ctx, run_id: str | None = None, *, actor: str = ACTOR, progress=None) -> ApplyTally:
    """Apply the PENDING moves of a run, each order in its own transaction; returns a tally with skip reasons."""
    run_id = run_id or latest_run(ctx)
    if run_id is None:
        raise NotFound("no batch plan waiting to be applied; run `omnialloc batch plan` first")
    with ctx.uow() as uow:
        run = uow.batch_runs.get(run_id)
        if run is None:
            raise NotFound(f"batch run {run_id} not found")
        if run.summary.get("cost_matrix"):
            raise ValidationFailed("a plan made from an analyst's cost matrix is for analysis only; it is not applied")
        allow_unallocate = bool(run.summary.get("allow_unallocate"))
        uow.batch_runs.set_status(run_id, "APPLYING")
        pending = uow.batch_runs.pending_moves(run_id)
        uow.commit()
    sleep = float(os.environ.get(SLEEP_ENV, "0") or 0)
    tally: ApplyTally = {"run_id": run_id, "applied": 0, "skipped": 0, "skips": {}, "saving_paise": 0,
             "saving_money_paise": 0, "units_filled_more": 0, "allocated": 0, "unallocated": 0, "moved": 0}
    todo = list(pending)
    total = len(todo)
    while todo:
        deferred = []
        for mv in todo:
            try:
                with ctx.uow() as uow:
                    _apply_one(uow, ctx, run_id, mv, actor, allow_unallocate=allow_unallocate)
                    if sleep:
                        time.sleep(sleep)
                    uow.commit()
                tally["applied"] += 1
                tally["saving_paise"] += mv.cost_before_paise - mv.cost_after_paise
                _tally_move(tally, mv)
                if progress:
                    progress(tally["applied"] + tally["skipped"], total)
            except _Skip as exc:
                _mark(ctx, run_id, mv.order_id, "SKIPPED", str(exc))
                tally["skipped"] += 1
                tally["skips"][mv.order_id] = str(exc)
                if progress:
                    progress(tally["applied"] + tally["skipped"], total)
            except _NoStock as exc:
                deferred.append((mv, str(exc)))
        if len(deferred) == len(todo):  # no progress: the stock is gone
            for mv, why in deferred:
                _mark(ctx, run_id, mv.order_id, "SKIPPED", why)
                tally["skipped"] += 1
                tally["skips"][mv.order_id] = why
            break
        todo = [mv for mv, _ in deferred]
    with ctx.uow() as uow:
        uow.batch_runs.set_status(run_id, "APPLIED", applied_at=now())
        uow.commit()
    return tally


def _tally_move(tally: ApplyTally, mv) -> None:
    """Money saved (shipping, split: the planned parts) apart from units filled, and what became of the order."""
    parts = (mv.old or {}).get("parts")
    new_parts = (mv.old or {}).get("new_parts")
    if parts and new_parts:
        tally["saving_money_paise"] += (parts["shipping"] + parts["split"]) - (new_parts["shipping"] + new_parts["split"])
        tally["units_filled_more"] += parts["unfilled_units"] - new_parts["unfilled_units"]
    if not mv.old["shipments"]:
        tally["allocated"] += 1
    elif not mv.new:
        tally["unallocated"] += 1
    else:
        tally["moved"] += 1


def _mark(ctx, run_id: str, order_id: str, state: str, reason: str) -> None:
    with ctx.uow() as uow:
        uow.batch_runs.mark_move(run_id, order_id, state, now(), reason)
        uow.commit()


def _apply_one(uow, ctx, run_id: str, mv, actor: str, *, allow_unallocate: bool = False) -> None:
    order = uow.orders.get(mv.order_id, for_update=True)
    if order is None:
        raise _Skip("order no longer exists")
    old = mv.old
    if str(order.status) != old["status"] or uow.orders.version(order.id) != old["order_version"]:
        raise _Skip(f"order changed meanwhile (now {order.status})")
    live = [s for s in uow.shipments.for_order(order.id) if s.status not in DEAD_STATUSES]
    planned = {(sid, ver) for sid, ver, _ in old["shipments"]}
    if any(s.status != ShipmentStatus.ALLOCATED for s in live):
        raise _Skip("a shipment was accepted or packed meanwhile")
    if {(s.id, uow.shipments.version(s.id)) for s in live} != planned:
        raise _Skip("the order's shipments changed meanwhile")
    if live and not mv.new and not allow_unallocate:  # never without the operator's explicit option
        raise _Skip("the plan would un-allocate this order; re-plan with --allow-unallocate to allow it")
    # a shipment the plan keeps as it is (same node, lines and carrier) stays: same id, same promise
    same = {(s.node, s.carrier, tuple(sorted((ln.line_no, ln.qty) for ln in s.lines))): s for s in live}
    kept, new_parts = [], []
    for part in mv.new:
        k = (part["node"], part["carrier"], tuple(sorted((int(lid), q) for lid, q in part["lines"].items())))
        if k in same:
            kept.append(same.pop(k))
        else:
            new_parts.append(part)
    live = list(same.values())
    delta: dict[tuple[str, str], int] = defaultdict(int)
    for s in live:
        for ln in s.lines:
            delta[(s.node, ln.sku)] -= ln.qty
    lines = {ln.line_no: ln for ln in order.lines}
    for part in new_parts:
        for lid, q in part["lines"].items():
            delta[(part["node"], lines[int(lid)].sku)] += q
    # a protect_stock rule's floor, as real-time allocation reserves (services.allocation.allocator)
    keep = {(n, s): q for n, s, q in old.get("keep", [])}
    for key in sorted(delta):  # fixed order: no deadlocks with concurrent reservers
        q = delta[key]
        if q > 0 and not uow.inventory.reserve(key[0], key[1], q, keep=keep.get(key, 0)):
            floor = f" beyond the {keep[key]} protected unit(s) this order may not take" if keep.get(key) else ""
            raise _NoStock(f"{key[1]} at {key[0]} is no longer available{floor}")
        if q < 0 and not uow.inventory.release(key[0], key[1], -q):
            raise _Skip(f"reservation of {key[1]} at {key[0]} is missing; run `omnialloc check`")
    for s in live:
        SHIPMENT_MACHINE.check(s.status, ShipmentStatus.CANCELLED)
        uow.shipments.set_status(s.id, ShipmentStatus.CANCELLED)
        record(uow, "shipment", s.id, "status_changed", actor, from_status=s.status,
               to_status=ShipmentStatus.CANCELLED, reason=f"re-planned by batch {run_id}", order_id=order.id)
    created = []
    weights = sku_master(uow, sorted({ln.sku for ln in order.lines}))
    for part in new_parts:
        sl = [ShipmentLine(int(lid), lines[int(lid)].sku, q) for lid, q in sorted(part["lines"].items(),
                                                                                   key=lambda kv: int(kv[0]))]
        w = sum(weights[x.sku].unit_weight_g * x.qty for x in sl)
        shipment = Shipment(id="shp_" + secrets.token_hex(8), order_id=order.id, node=part["node"],
                            carrier=part["carrier"], lines=sl, status=ShipmentStatus.ALLOCATED, weight_g=w,
                            billed_weight_g=w, cost_paise=part["cost_paise"], sla_days=part.get("sla_days"),
                            cost_breakdown={"total": part["cost_paise"], "zone": part.get("zone", "D")},
                            **edd_fields(part.get("edd")))
        uow.shipments.add(shipment)
        record(uow, "shipment", shipment.id, "created", actor, to_status=shipment.status,
               reason=f"batch {run_id}: planned at {part['node']} via {part['carrier']}", order_id=order.id)
        created.append(shipment.id)
    # stock the move let go goes to the orders waiting for it, outside this batch too (the backorder worker)
    released = sorted({sku for (_, sku), q in delta.items() if q < 0})
    if released:
        bus.send(uow, RetryBackorders.of(released, "released"))
    # the order's status follows its units (services.allocation.settled_status): every unit the new
    # shipments do not place waits on a BACKORDERED order, whatever the plan said
    was_confirmed = order.status == OrderStatus.ALLOCATED
    held_now = uow.shipments.for_order(order.id)
    target = settled_status(order, held_now)
    if target == OrderStatus.BACKORDERED:
        reason = (f"batch {run_id} gave this order's stock to orders that need it more" if live
                  else f"re-planned by batch {run_id}")
        backorder(uow, order, remaining_units(order, held_now), actor, reason, batch_run=run_id, shipments=created)
        if live:  # it held stock before: its buyer hears of the delay
            record(uow, "order", order.id, "delayed", actor, reason=f"un-allocated by batch {run_id}",
                   batch_run=run_id, customer_reason="the items were needed for earlier or more urgent orders")
    else:
        move_order(uow, order, target, actor, f"re-optimized by batch {run_id}", shipments=created,
                   batch_run=run_id)
        if was_confirmed and created:  # a buyer already told "confirmed" hears that it ships otherwise
            parcels = len(mv.new)
            by = old.get("promised_by")
            record(uow, "order", order.id, "replanned", actor, reason=f"shipments re-planned by batch {run_id}",
                   batch_run=run_id, shipments=created,
                   customer_reason=f"it now ships in {parcels} parcel{'s' if parcels > 1 else ''}"
                                   + (f", still by {by}" if by else ""))
    uow.batch_runs.mark_move(run_id, order.id, "APPLIED", now())

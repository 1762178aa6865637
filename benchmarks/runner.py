"""Run allocation strategies on the same orders, in arrival order, with stock depleting.

Each online strategy keeps its own copy of the stock and sees the orders one
at a time, as a live OMS would. Per order it gets the same candidate nodes
(every node holding any of the order's SKUs in *its* stock), the same lanes
and the same cost terms, so differences come from the decisions alone.

Honesty checks, enforced and not averaged:
- every plan is applied to the strategy's stock and must never oversell;
- every plan ships + leaves unfilled exactly the ordered units;
- on every order, for every baseline, the optimal strategy is solved on the
  *baseline's* problem (same order, same stock state) and must not cost more
  than the baseline there (`check=True`). Violations are collected, written
  out, and raise `NeverCostlierViolation` at the end of the run.

The clairvoyant strategy knows all orders in advance; see `clairvoyant.py`.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from omnialloc.geo import haversine_km
from omnialloc.geo.zones import zone_between
from omnialloc.solvers import STRATEGIES as SOLVER_STRATEGIES
from omnialloc.solvers import AllocationProblem, PlanStatus, solve
from omnialloc.solvers.instance import Instance, compile_problem
from omnialloc.solvers.problem import Lane, make_lane

from .scenarios import Order, Scenario

ONLINE = ("nearest", "priority", "max_stock", "cost_greedy", "optimal", "optimal_lookahead")
BASELINES = ("nearest", "priority", "max_stock", "cost_greedy")
MYOPIC = "optimal"
LOOKAHEAD = "optimal_lookahead"   # optimal + per-unit opportunity prices from a demand forecast (lookahead.py)
CLAIRVOYANT = "clairvoyant"                   # the batch solver's plan over all orders known in advance
CLAIRVOYANT_BOUND = "clairvoyant_lp_bound"    # a lower bound on every plan (clairvoyant.lp_bound)
FREEZE_EVERY = 100   # orders between gc.freeze() calls (see _run_group)


class NeverCostlierViolation(AssertionError):
    pass


@dataclass
class StrategyLog:
    """Per-order results of one strategy (arrays indexed by arrival order)."""

    name: str
    n: int
    cost: np.ndarray = None          # objective incl. unfilled penalty
    landed: np.ndarray = None        # shipping + COD + handling (what leaves the wallet)
    shipments: np.ndarray = None
    units: np.ndarray = None
    unfilled: np.ndarray = None
    sla_ok: np.ndarray = None
    km_sum: np.ndarray = None        # sum over shipments of node->customer km
    solve_ms: np.ndarray = None
    status_counts: dict = field(default_factory=lambda: defaultdict(int))
    flows: dict = field(default_factory=lambda: defaultdict(int))   # (node, city) -> shipments
    stock: np.ndarray = None
    price_refreshes: list = field(default_factory=list)   # lookahead only: one dict per price refresh

    def __post_init__(self):
        self.cost = np.zeros(self.n, dtype=np.int64)
        self.landed = np.zeros(self.n, dtype=np.int64)
        self.shipments = np.zeros(self.n, dtype=np.int32)
        self.units = np.zeros(self.n, dtype=np.int32)
        self.unfilled = np.zeros(self.n, dtype=np.int32)
        self.sla_ok = np.zeros(self.n, dtype=bool)
        self.km_sum = np.zeros(self.n, dtype=np.float64)
        self.solve_ms = np.zeros(self.n, dtype=np.float64)


@dataclass
class Violation:
    order_id: str
    baseline: str
    baseline_cost: int
    optimal_cost: int
    optimal_status: str


@dataclass
class RunResult:
    scenario: Scenario
    logs: dict[str, StrategyLog]
    violations: list[Violation]
    checks: int
    wall_s: dict[str, float]
    run_wall_s: float = 0.0           # elapsed time of `run` (all processes)
    workers: int = 1
    clairvoyant: dict | None = None   # {"plan": batch_optimum(...) or None, "bound": lp_bound(...) or None}
    group_cpu_s: list = field(default_factory=list)   # CPU seconds of each process, with its strategies


class OrderContext:
    """Everything about one order that does not depend on a strategy's stock, plus the
    problems and plans already made for it (shared by every strategy whose stock looks
    the same to this order, see `_state_key`)."""

    __slots__ = ("order", "cols", "qty", "km", "penalty", "value", "problems", "plans", "template")

    def __init__(self, sc: Scenario, order: Order):
        self.order = order
        # An order's SKUs are distinct (the generator draws without repeats), so a column
        # per SKU is a column per line and capping a column at its line's qty is exact.
        self.cols = np.asarray(order.skus, dtype=np.int64)
        self.qty = np.asarray(order.qty, dtype=np.int64)
        self.km = haversine_km(order.loc.lat, order.loc.lon, sc.node_latlon[:, 0], sc.node_latlon[:, 1])
        self.penalty = sc.unfilled_penalty(order)
        self.value = sum(sc.skus[s].value_paise * q for s, q in zip(order.skus, order.qty))
        self.problems: dict[bytes, Instance | None] = {}
        self.plans: dict[tuple[bytes, str], object] = {}
        self.template: _Template | None = None

    def lanes_of(self, sc: Scenario, node: int) -> list[dict]:
        return sc.lanes(self.order, node)

    def view(self, stock: np.ndarray, capped: bool) -> np.ndarray:
        """The stock this order can see: (nodes x its SKUs); `capped` at each line's qty."""
        sub = stock[:, self.cols]
        return np.minimum(sub, self.qty[None, :]) if capped else sub


def build_problem(sc: Scenario, ctx: OrderContext, stock: np.ndarray, prices: np.ndarray | None = None) -> AllocationProblem:
    """The order's problem against a (nodes x SKUs) stock matrix (and lookahead prices)."""
    return _problem(sc, ctx, ctx.view(stock, capped=False), None if prices is None else prices[:, ctx.cols])


def _problem(sc: Scenario, ctx: OrderContext, sub: np.ndarray, price_sub: np.ndarray | None) -> AllocationProblem:
    o = ctx.order
    p = AllocationProblem(
        o.order_id,
        payment_mode="COD" if o.cod else "PREPAID",
        order_value_paise=ctx.value,
        allow_partial=True,
        unfilled_penalty_paise_per_unit=ctx.penalty,
    )
    codes = [sc.skus[s].code for s in o.skus]
    for k, (s, q) in enumerate(zip(o.skus, o.qty)):
        p.add_line(f"L{k}", codes[k], q, sc.line_weight(s), sc.skus[s].value_paise, sc.line_volume(s))
    held = np.flatnonzero(sub.sum(axis=1) > 0)
    rows = sub[held].tolist()
    price_rows = price_sub[held].tolist() if price_sub is not None else None
    for r, i in enumerate(held.tolist()):
        node = sc.nodes[i]
        st = {c: u for c, u in zip(codes, rows[r]) if u > 0}
        kw = {}
        if price_rows is not None:
            kw["unit_prices_paise"] = {c: pr for c, pr in zip(codes, price_rows[r]) if pr > 0}
        p.add_node(node.code, float(ctx.km[i]), node.handling_paise, None, node.priority, node.kind, st, **kw)
        p.add_lanes(_lanes(sc, o, i))
    return p


def _lanes(sc: Scenario, order: Order, node: int) -> tuple[Lane, ...]:
    """The checked solver lanes from `node` to the order's PIN (`lane_kwargs`, made into `Lane`s
    once per (node, PIN, COD) and shared by every problem: a lane is frozen)."""
    memo = sc.__dict__.setdefault("_runner_lanes", {})
    key = (node, order.loc.pin, order.cod)
    got = memo.get(key)
    if got is None:
        kws = lane_kwargs(sc, order, node)
        # Checked once per answer of the lane table (make_lane), then only re-addressed per node.
        protos = sc.__dict__.setdefault("_runner_lane_protos", {})
        proto = protos.get(id(kws))
        if proto is None:
            checked = [make_lane("-", **kw) for kw in kws]
            proto = protos[id(kws)] = (kws, [tuple(getattr(lane, f) for f in _LANE_FIELDS[1:]) for lane in checked])
        code = sc.nodes[node].code
        got = memo[key] = tuple(Lane(code, *rest) for rest in proto[1])
    return got


_LANE_FIELDS = tuple(f.name for f in dataclasses.fields(Lane))   # "node" first


def lane_kwargs(sc: Scenario, order: Order, node: int) -> list[dict]:
    """`sc.lanes(order, node)`, asked once per (zone, PIN, COD) rather than per node: with
    courier rate cards a lane depends on its origin only through the zone between the two PINs
    (omnialloc.logistics.lanes: the rate card is per carrier and zone, serviceability and SLA per
    destination PIN and zone), so the ~100 nodes of an order share a handful of answers.
    Jasin & Sinha lanes are priced by distance and stay per node. The dicts are shared: callers
    must not mutate them."""
    if sc.cost_model != "courier":
        return sc.lanes(order, node)
    by_node = sc.__dict__.setdefault("_runner_node_lanes", {})
    key = (node, order.loc.pin, order.cod)
    got = by_node.get(key)
    if got is None:
        memo = sc.__dict__.setdefault("_runner_zone_lanes", {})
        zkey = (zone_between(sc.nodes[node].loc, order.loc), order.loc.pin, order.cod)
        got = memo.get(zkey)
        if got is None:
            got = memo[zkey] = sc.lanes(order, node)
        by_node[key] = got
    return got


class _Template:
    """The order compiled once against every node that holds any of its SKUs at the start,
    each stocking every line: what `compile_problem` decides per node without looking at
    the stock (lanes per node after COD/serviceability and dominance, node cost terms,
    candidate order). `instance` cuts it down to one stock state, giving the instance
    `compile_problem(_problem(sc, ctx, sub, price_sub))` would give (same arrays, same
    node and lane order; tests/unit/bench checks it), without rebuilding the problem."""

    __slots__ = ("inst", "glob", "others")

    def __init__(self, sc: Scenario, ctx: OrderContext):
        held = sc.stock0[:, ctx.cols].sum(axis=1) > 0
        held0 = np.flatnonzero(held)
        self.others = np.flatnonzero(~held)
        full = np.zeros_like(sc.stock0[:, ctx.cols])
        full[held0] = ctx.qty
        self.inst = compile_problem(_problem(sc, ctx, full, None))
        # Template candidate -> scenario node index (the template's nodes are held0, in order).
        self.glob = held0[self.inst.cand]

    def instance(self, sub: np.ndarray, price_sub: np.ndarray | None) -> Instance | None:
        """The compiled instance for the (nodes x lines) stock view `sub` (and prices), or
        None when no node can ship any of it (the caller builds that rare case the slow
        way, to keep the solver's own INFEASIBLE answer). It carries no verdicts on the
        nodes left out, so it is for solving with explain_plan=False only (as the runner does)."""
        T = self.inst
        S = sub[self.glob]
        if np.any(S < 0) or sub[self.others].any():
            return None   # not a depleted start stock: build it the slow way
        has = S > 0
        # compile_problem drops a lane whose max weight is below the lightest unit the
        # node stocks, and a node left without lanes. Dropping by max weight commutes with
        # dropping dominated lanes (a lane dominates another only with a max weight at
        # least as high), so the template's undominated lanes, filtered, are the state's.
        lightest = np.where(has, T.w[None, :], np.iinfo(np.int64).max).min(axis=1)
        lane_ok = T.maxw >= lightest[T.lane_node]
        node_ok = has.any(axis=1) & (np.bincount(T.lane_node[lane_ok], minlength=T.n_cand) > 0)
        cidx = np.flatnonzero(node_ok)
        nc = len(cidx)
        if nc == 0:
            return None
        lanes = np.flatnonzero(lane_ok & node_ok[T.lane_node])
        pos = np.full(T.n_cand, -1, dtype=np.int64)
        pos[cidx] = np.arange(nc)
        lane_node = pos[T.lane_node[lanes]]
        # Lanes stay grouped by node in candidate order: row c of node_lanes lists c's lanes.
        counts = np.bincount(lane_node, minlength=nc)
        node_lanes = -np.ones((nc, max(int(counts.max()), 1)), dtype=np.int64)
        starts = np.cumsum(counts) - counts
        k = np.arange(len(lanes))
        node_lanes[lane_node, k - starts[lane_node]] = k
        stock = S[cidx]
        if price_sub is None:
            price = np.zeros((nc, T.n_lines), dtype=np.int64)
        else:
            price = np.maximum(price_sub[self.glob[cidx]], 0).astype(np.int64)
        return dataclasses.replace(
            T, cand=T.cand[cidx], node_handling=T.node_handling[cidx], node_penalty=T.node_penalty[cidx],
            node_distance=T.node_distance[cidx], node_priority=T.node_priority[cidx],
            node_bonus=T.node_bonus[cidx], node_fixed=T.node_fixed[cidx], stock=stock,
            cap_line=np.minimum(stock[:, T.line_sku], T.q[None, :]), price=price,
            lane_src=T.lane_src[lanes], lane_node=lane_node, first=T.first[lanes], add=T.add[lanes],
            slab=T.slab[lanes], div=T.div[lanes], maxw=T.maxw[lanes], cod_fixed=T.cod_fixed[lanes],
            cod_bp=T.cod_bp[lanes], lateness=T.lateness[lanes], lane_bonus=T.lane_bonus[lanes],
            lane_fixed=T.lane_fixed[lanes], node_lanes=node_lanes, verdicts={}, infeasible_reason=None,
            kmax=T.problem.max_shipments if T.problem.max_shipments is not None else nc,
            has_prices=bool(np.any(price)), memo={},
        )


def instance_for(sc: Scenario, ctx: OrderContext, sub: np.ndarray, price_sub: np.ndarray | None) -> Instance | AllocationProblem:
    """What to hand `solve` for this order and stock view: the compiled instance cut from
    the order's template, or (no node can ship any of it) the problem built the slow way."""
    if ctx.template is None:
        ctx.template = _Template(sc, ctx)
    inst = ctx.template.instance(sub, price_sub)
    return inst if inst is not None else _problem(sc, ctx, sub, price_sub)


def _state_key(ctx: OrderContext, stock: np.ndarray, solver_strategy: str,
               price_sub: np.ndarray | None) -> tuple[bytes, np.ndarray]:
    """What a solve depends on, as bytes, and the stock view it was made from: the stock the
    order sees (capped at each line's qty, except for max_stock, which ranks nodes by their
    whole stock) and the prices. Capping is exact for the other strategies: they read stock
    only through min(stock, need) (feasibility, `cap_line`, the MIP's stock rows)."""
    sub = ctx.view(stock, capped=solver_strategy != "max_stock")
    return sub.tobytes() + (b"" if price_sub is None else b"|" + price_sub.tobytes()), sub


SOLVER_ERRORS: dict[str, list[str]] = defaultdict(list)


def _solve(problem, strategy: str, time_limit_ms: float, who: str):
    """`solve`, but an internal solver error on an optimal solve is retried on the MIP path
    (method="mip") and recorded, so one crash neither stops a long run nor goes unreported."""
    try:
        return solve(problem, strategy, time_limit_ms=time_limit_ms, explain_plan=False)
    except Exception as exc:  # noqa: BLE001 - re-raised below unless the MIP path can stand in
        if strategy != MYOPIC:
            raise
        SOLVER_ERRORS[who].append(f"{problem.order_id}: {type(exc).__name__}: {exc}")
        plan = solve(problem, strategy, time_limit_ms=time_limit_ms, explain_plan=False, method="mip")
        plan.method = f"mip-after-error:{plan.method}"
        return plan


def _plan_for(sc: Scenario, ctx: OrderContext, stock: np.ndarray, solver_strategy: str,
              prices: np.ndarray | None, time_limit_ms: float, who: str):
    """The plan of `solver_strategy` for this order against `stock`, solved once per distinct
    state: strategies whose stock looks the same to the order share the problem and the plan
    (the solver is deterministic, so re-solving would give the same plan)."""
    price_sub = None if prices is None else prices[:, ctx.cols]
    key, sub = _state_key(ctx, stock, solver_strategy, price_sub)
    plan = ctx.plans.get((key, solver_strategy))
    if plan is None:
        t0 = time.perf_counter()
        problem = ctx.problems.get(key)
        if problem is None:
            problem = ctx.problems[key] = instance_for(sc, ctx, sub, price_sub)
        build_ms = (time.perf_counter() - t0) * 1000.0
        plan = _solve(problem, solver_strategy, time_limit_ms, who)
        # Per-order solve time includes building the model (here: the instance).
        plan.solve_ms += build_ms
        if plan.status == PlanStatus.INFEASIBLE:
            # The order is backordered whole: nothing ships, every unit pays the penalty.
            # (The solver answers INFEASIBLE, not an all-unfilled plan, when no node qualifies.)
            plan = _backorder(plan, ctx)
        ctx.plans[(key, solver_strategy)] = plan
    return plan


def _backorder(plan, ctx: OrderContext):
    plan.shipments = []
    plan.unfilled = {f"L{k}": q for k, q in enumerate(ctx.order.qty)}
    plan.objective_paise = ctx.penalty * ctx.order.units
    return plan


def _apply(sc: Scenario, ctx: OrderContext, plan, stock: np.ndarray, log: StrategyLog, node_index: dict) -> None:
    o = ctx.order
    i = o.index
    line_sku = {f"L{k}": s for k, s in enumerate(o.skus)}
    line_qty = {f"L{k}": q for k, q in enumerate(o.qty)}
    shipped = defaultdict(int)
    sla_ok = True
    km = 0.0
    landed = 0
    for sh in plan.shipments:
        n = node_index[sh.node]
        for lid, q in sh.lines.items():
            if q <= 0:
                continue
            s = line_sku[lid]
            stock[n, s] -= q
            if stock[n, s] < 0:
                raise AssertionError(f"{log.name} oversold {sc.skus[s].code} at {sh.node} on order {o.order_id}")
            shipped[lid] += q
        sla_ok &= sh.sla_days <= sc.promise_days
        km += ctx.km[n]
        landed += sh.costs.shipping + sh.costs.cod + sh.costs.handling
        log.flows[(n, o.loc.city, round(o.loc.lat, 1), round(o.loc.lon, 1))] += 1
    unfilled = 0
    for lid, q in line_qty.items():
        miss = q - shipped[lid]
        if miss < 0 or miss != plan.unfilled.get(lid, 0):
            raise AssertionError(f"{log.name}: plan for {o.order_id} line {lid} ships {shipped[lid]} of {q} "
                                 f"but reports {plan.unfilled.get(lid, 0)} unfilled")
        unfilled += miss
    # The lookahead price steers the decision but is not money spent: cost it out.
    log.cost[i] = plan.objective_paise - plan.costs.lookahead
    log.landed[i] = landed
    log.shipments[i] = len(plan.shipments)
    log.units[i] = o.units
    log.unfilled[i] = unfilled
    log.sla_ok[i] = sla_ok and bool(plan.shipments)
    log.km_sum[i] = km
    log.solve_ms[i] = plan.solve_ms
    log.status_counts[plan.status.value] += 1
    if plan.method.startswith("mip-after-error"):
        log.status_counts["solver_error_retried_as_mip"] += 1


def available_strategies() -> tuple[str, ...]:
    out = [s for s in ONLINE if s in SOLVER_STRATEGIES or (s == LOOKAHEAD and _prices_available())]
    return tuple(out) + (CLAIRVOYANT,)


def parse_strategies(text: str) -> list[str]:
    avail = available_strategies()
    if text == "all":
        return list(avail)
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in avail]
    if bad:
        raise ValueError(f"unknown strategies {bad}; choose from {', '.join(avail)} or 'all'")
    return names


def _prices_available() -> bool:
    try:
        import omnialloc.solvers.prices  # noqa: F401
    except ImportError:
        return False
    return True


def run(sc: Scenario, strategies: list[str], *, check: bool = True, time_limit_ms: float = 200,
        progress=None, strict: bool = False, prices: np.ndarray | None = None, workers: int = 1) -> RunResult:
    """Run `strategies` over the scenario's orders (see module docstring).

    `progress(n)` is called as orders complete (e.g. a tqdm update). With
    `strict`, the first never-costlier violation raises at once (tests).
    `prices` fixes the lookahead prices for the whole run; without them the
    lookahead strategy refreshes its own from a forecast (`lookahead.py`).
    `workers` > 1 runs groups of strategies in parallel processes: each
    strategy's stream is independent (its own stock, its own checks), so the
    results are identical to a single-process run.
    """
    t0 = time.perf_counter()
    online = [s for s in strategies if s != CLAIRVOYANT]
    SOLVER_ERRORS.clear()
    groups = _groups(online, check, workers)
    if len(groups) <= 1:
        parts = [_run_group(sc, online, check, time_limit_ms, strict, prices, progress)]
    else:
        parts = _run_parallel(sc, groups, check, time_limit_ms, strict, prices, progress)
    logs: dict[str, StrategyLog] = {}
    violations: list[Violation] = []
    wall: dict[str, float] = defaultdict(float)
    checks = 0
    for part in parts:
        logs.update(part.logs)
        violations += part.violations
        checks += part.checks
        for k, v in part.wall.items():
            wall[k] += v
        for k, v in part.errors.items():
            SOLVER_ERRORS[k] += v
    logs = {s: logs[s] for s in online}
    group_cpu = [(round(p.wall.get("cpu", 0.0), 1), list(p.logs)) for p in parts]
    return RunResult(sc, logs, violations, checks, dict(wall), time.perf_counter() - t0, len(groups),
                     group_cpu_s=group_cpu)


@dataclass
class _Part:
    logs: dict
    violations: list
    checks: int
    wall: dict
    errors: dict


def _weight(s: str, check: bool) -> float:
    """Work per order relative to an optimal solve, from the 20,000-order reference run
    (per-strategy wall: baselines ~1.07, their checks ~0.66 each, optimal 1, lookahead
    ~1.05 plus ~0.86 for its price refreshes)."""
    if s in BASELINES:
        return 1.07 + (0.66 if check else 0.0)
    return 1.91 if s == LOOKAHEAD else 1.0


def _groups(online: list[str], check: bool, workers: int) -> list[list[str]]:
    """Strategies split into `workers` groups of similar work (longest first onto the lightest)."""
    n = max(1, min(workers, len(online)))
    groups: list[list[str]] = [[] for _ in range(n)]
    load = [0.0] * n
    for s in sorted(online, key=lambda x: -_weight(x, check)):
        k = load.index(min(load))
        groups[k].append(s)
        load[k] += _weight(s, check)
    return [g for g in groups if g]


def _run_group(sc: Scenario, online: list[str], check: bool, time_limit_ms: float, strict: bool,
               prices: np.ndarray | None, progress, counter=None) -> _Part:
    SOLVER_ERRORS.clear()
    cpu0 = time.process_time()
    pricer = None
    if LOOKAHEAD in online:
        from .lookahead import FixedPrices, RollingPrices

        pricer = FixedPrices(prices) if prices is not None else RollingPrices(sc)
    logs = {s: StrategyLog(s, sc.n_orders) for s in online}
    stocks = {s: sc.stock0.copy() for s in online}
    node_index = {n.code: i for i, n in enumerate(sc.nodes)}
    violations: list[Violation] = []
    checks = 0
    wall = defaultdict(float)
    for order in sc.orders():
        ctx = OrderContext(sc, order)
        for s in online:
            t0 = time.perf_counter()
            solver_strategy = MYOPIC if s == LOOKAHEAD else s
            price = pricer.at(order.index, stocks[s]) if s == LOOKAHEAD else None
            t_p = time.perf_counter()
            plan = _plan_for(sc, ctx, stocks[s], solver_strategy, price, time_limit_ms, s)
            wall[s] += time.perf_counter() - t_p
            wall["prices"] += t_p - t0
            if check and s in BASELINES:
                t1 = time.perf_counter()
                ref = _plan_for(sc, ctx, stocks[s], MYOPIC, None, time_limit_ms, "check")
                checks += 1
                if ref.objective_paise > plan.objective_paise:
                    v = Violation(order.order_id, s, plan.objective_paise,
                                  -1 if ref.objective_paise is None else ref.objective_paise, ref.status.value)
                    violations.append(v)
                    if strict:
                        raise NeverCostlierViolation(f"optimal costlier than {s}: {v}")
                wall["check"] += time.perf_counter() - t1
            _apply(sc, ctx, plan, stocks[s], logs[s], node_index)
        if progress is not None:
            progress(1)
        if counter is not None:
            counter.value = order.index + 1
        if order.index % FREEZE_EVERY == FREEZE_EVERY - 1:
            # The run keeps every order's problems and plans; without this, Python's full (gen-2)
            # collections rescan all of them and stop whichever solve they land in: 0.4 s pauses at
            # 5,000 orders, ~1 s at 20,000, booked as solve time. Frozen objects are never scanned
            # again, so the solve times measure the solver, not the benchmark's own heap.
            gc.freeze()
    for s in online:
        logs[s].stock = stocks[s]
        logs[s].status_counts = dict(logs[s].status_counts)
        logs[s].flows = dict(logs[s].flows)
    if pricer is not None:
        logs[LOOKAHEAD].price_refreshes = pricer.refreshes
    if not wall["prices"]:
        del wall["prices"]
    # CPU seconds of this process: on a shared machine, what the run would need with the cores to itself.
    wall["cpu"] = time.process_time() - cpu0
    return _Part(logs, violations, checks, dict(wall), {k: list(v) for k, v in SOLVER_ERRORS.items()})


# Arguments of the parallel groups, inherited by the forked workers (a Scenario holds
# caches that do not pickle, and nothing needs copying: the workers only read it).
_FORKED: dict = {}


def _forked_group(k: int) -> _Part:
    a = _FORKED
    return _run_group(a["sc"], a["groups"][k], a["check"], a["time_limit_ms"], a["strict"], a["prices"],
                      None, a["counters"][k])


def _run_parallel(sc, groups, check, time_limit_ms, strict, prices, progress) -> list[_Part]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, wait

    ctx = mp.get_context("fork")
    counters = [ctx.Value("q", 0, lock=False) for _ in groups]
    _FORKED.update(sc=sc, groups=groups, check=check, time_limit_ms=time_limit_ms, strict=strict,
                   prices=prices, counters=counters)
    try:
        with ProcessPoolExecutor(max_workers=len(groups), mp_context=ctx) as pool:
            futures = [pool.submit(_forked_group, k) for k in range(len(groups))]
            shown = 0
            while True:
                done, pending = wait(futures, timeout=0.5)
                if any(f.exception() is not None for f in done):
                    for f in pending:
                        f.cancel()
                    for f in done:
                        f.result()   # raises the worker's exception (e.g. NeverCostlierViolation)
                slowest = min(c.value for c in counters)
                if progress is not None and slowest > shown:
                    progress(slowest - shown)
                    shown = slowest
                if not pending:
                    return [f.result() for f in futures]
    finally:
        _FORKED.clear()


# ---------------------------------------------------------------------- metrics
def _bound_cost(clair: dict | None) -> float | None:
    """The valid lower bound the gap is measured against: the LP bound (never the batch plan,
    which is an upper estimate of the clairvoyant optimum)."""
    b = (clair or {}).get("bound")
    return None if b is None else b.get("cost")


def summarize(result: RunResult) -> list[dict]:
    """One row per strategy with the headline metrics (money in the scenario's unit)."""
    sc = result.scenario
    div = sc.money_divisor
    rows = []
    myopic = result.logs.get(MYOPIC)
    clair = result.clairvoyant
    for name, log in result.logs.items():
        n = log.n
        shipped_orders = log.shipments > 0
        ships = int(log.shipments.sum())
        total = int(log.cost.sum())
        row = {
            "strategy": name,
            "orders": n,
            "total_cost": total / div,
            "cost_per_order": total / div / n,
            "landed_cost": int(log.landed.sum()) / div,
            "unfilled_penalty": (total - int(log.landed.sum())) / div,
            "shipments_per_order": ships / n,
            "split_rate": float((log.shipments >= 2).mean()),
            "fill_rate": 1.0 - float(log.unfilled.sum()) / float(log.units.sum()),
            "unfilled_units": int(log.unfilled.sum()),
            "sla_hit_rate": float(log.sla_ok[shipped_orders].mean()) if shipped_orders.any() else float("nan"),
            "mean_km": float(log.km_sum.sum() / ships) if ships else float("nan"),
            "solve_ms_p50": float(np.percentile(log.solve_ms, 50)),
            "solve_ms_p99": float(np.percentile(log.solve_ms, 99)),
            "solve_ms_max": float(log.solve_ms.max()),
            "wall_s": result.wall_s.get(name, float("nan")),
            "vs_optimal_pct": float("nan"),
            "gap_closed": float("nan"),
            "statuses": ";".join(f"{k}={v}" for k, v in sorted(log.status_counts.items())),
        }
        if myopic is not None:
            m = int(myopic.cost.sum())
            row["vs_optimal_pct"] = 100.0 * (total - m) / m if m else float("nan")
            bound = _bound_cost(clair)
            if bound is not None and m > bound:
                row["gap_closed"] = (m - total) / (m - bound)
        rows.append(row)
    m = int(myopic.cost.sum()) if myopic is not None else None
    bound = _bound_cost(clair)
    for kind, name in (("plan", CLAIRVOYANT), ("bound", CLAIRVOYANT_BOUND)):
        c = (clair or {}).get(kind)
        if c is None or c.get("cost") is None:
            continue
        n = sc.n_orders
        rows.append({
            "strategy": name, "orders": n,
            "total_cost": c["cost"] / div, "cost_per_order": c["cost"] / div / n,
            "landed_cost": (c["cost"] - c["unfilled_cost"]) / div if "unfilled_cost" in c else float("nan"),
            "unfilled_penalty": c.get("unfilled_cost", float("nan")) / div,
            "shipments_per_order": c.get("shipments", float("nan")) / n,
            "split_rate": c.get("split_orders", float("nan")) / n, "fill_rate": c.get("fill_rate", float("nan")),
            "unfilled_units": c.get("unfilled_units", float("nan")), "sla_hit_rate": float("nan"),
            "mean_km": float("nan"), "solve_ms_p50": float("nan"), "solve_ms_p99": float("nan"),
            "solve_ms_max": float("nan"), "wall_s": c.get("wall_s", float("nan")),
            "vs_optimal_pct": 100.0 * (c["cost"] - m) / m if m else float("nan"),
            "gap_closed": (m - c["cost"]) / (m - bound) if m and bound is not None and m > bound else float("nan"),
            "statuses": c["label"],
        })
    return rows

"""The `optimal` strategy: exact methods in a portfolio under one work budget.

1. Incumbents first: every baseline (nearest, priority, max_stock, cost_greedy, which includes
   the best single shipment), the plan that ships nothing (partial fill) and the whole-line DP.
   The answer is never costlier than any of them.
2. Cheap proofs: with at most one shipment and no partial fill the best single shipment is
   exact; a valid lower bound (`bounds.py`) meeting the incumbent proves it.
3. Exact methods, each on its own slice of the budget so that none can starve the others:
   the enumeration (small orders); a cheap contents DP (admitted by its deterministic work
   estimate); colgen (LP bound + reduced-cost search, skipped when the LP gap is wide); a dear
   DP; local search from the incumbents and greedy starts plus an exact re-split of the best
   plan (`improve.py`; colgen gets another try if it found a much better plan); then the MIP,
   started from the best plan, over the nodes that can be in a cheaper one (floor bounds, then
   dominance). The MIP keeps `MIP_SHARE` of the budget whenever its root fits in that (by its
   size); otherwise the others use it.
4. The answer: the cheapest plan found, the best valid lower bound from any method, and a
   status that says what was proven (docs/solver.md, "Status"):
   - OPTIMAL: some method proved that no plan is cheaper (bound = cost);
   - FEASIBLE: an exact method's search found the plan but stopped before proving it;
   - HEURISTIC_FALLBACK: the best plan is a baseline's or a heuristic's;
   - INFEASIBLE: proven that no valid plan exists (the reason names why);
   - UNSOLVED: the limit was hit before any plan was found or infeasibility proven.
   A plan cut short carries a reason saying which limit was hit (the work budget, or the
   wall-clock safety net).

Everything the portfolio decides - which methods run, with how much work - depends on the
order and the work counts only, never on the clock, so the same order gets the same plan on an
idle or a busy machine unless the wall-clock safety net fires (and then the reason says so).
"""

from __future__ import annotations

import dataclasses
from typing import TypedDict, cast

import numpy as np

from . import baselines, bounds, colgen, dominance, dp, explain, improve, lp
from . import enumerate as enum_mod
from . import mip as mip_mod
from .assemble import Sol, infeasible_plan, to_plan, violations
from .budget import Budget, OutOfBudget
from .costs import INF, IntArray
from .instance import Instance
from .mip import solve_mip
from .plan import Plan, PlanStatus

METHODS = ("auto", "dp", "colgen", "mip")
# The MIP's share of the budget (kept when its root fits in it): the others use the rest.
MIP_SHARE = 0.3
# Shares of what is left to them (after the MIP's reserve) for the methods before the MIP.
ENUM_SHARE, DP_SHARE, IMPROVE_SHARE, IMPROVE_SHARE_BIG, COLGEN_SHARE = 0.6, 0.8, 0.15, 0.8, 0.85
# Of the local search's share, the part for the moves (the rest re-splits the best plan exactly).
LOCAL_SEARCH_SHARE = 0.8
# The DP goes before colgen when its estimate is within this share of the budget.
DP_FIRST_SHARE = 0.3
# The MIP leads when the budget holds this many of its estimated roots.
MIP_ROOTS_PER_BUDGET = 3.0
# The LP relaxation's step (the LP, then the MIP over its support): its share of what is left,
# and the most of that the LP itself may take (it is charged by its size and skipped when that
# does not fit; the support MIP gets the rest).
LP_SHARE = 0.75
# The support MIP's most: this share of the whole budget (the full MIP after it needs the rest).
SUPPORT_MIP_SHARE = 0.25
# No support MIP when the budget holds this many roots of the whole MIP.
SMALL_MIP_ROOTS = 10.0
# The local search's share before a late LP step (many nodes).
IMPROVE_SHARE_BEFORE_LP = 0.2
# With no plan after the local search, the whole MIP runs first (on this share) when the budget
# holds this many of its roots.
NO_PLAN_MIP_ROOTS, NO_PLAN_MIP_SHARE = 3.0, 0.5
# colgen searches only when its LP bound is within this fraction of the incumbent (see colgen).
COLGEN_MAX_GAP = 0.15
# Work units charged for each baseline (its greedy passes price every lane for every line).
_UNITS_BASELINE = 50.0
_UNITS_BASELINE_PER_LANE_LINE = 1.2


@dataclasses.dataclass
class Search:
    """What the portfolio knows so far: the best plan, where it came from, a valid lower bound
    on every plan, and whether optimality (or infeasibility) is proven."""

    inst: Instance
    budget: Budget
    best: Sol | None = None
    source: str = ""  # method name of the best plan
    exact_source: bool = False  # the best plan came from an exact method's search
    lb: float = -np.inf
    proven: bool = False
    proof: str = ""
    no_plan: bool = False  # proven: no valid plan exists
    relaxation: lp.Relaxation | None = None  # the MIP model's LP, once solved

    def offer(self, sol: Sol | None, source: str, exact: bool) -> None:
        if sol is None or violations(self.inst, sol):
            return
        if self.best is None or sol.cost < self.best.cost:
            self.best, self.source, self.exact_source = sol, source, exact

    def bound(self, value: float | None) -> None:
        if value is not None and np.isfinite(value):
            self.lb = max(self.lb, float(value))

    def settle(self, proof: str) -> None:
        self.proven, self.proof = True, proof
        if self.best is not None:
            self.lb = max(self.lb, float(self.best.cost))

    @property
    def done(self) -> bool:
        # Costs are whole paise: a bound above best - 1 leaves no room for a cheaper plan (the
        # float bounds carry a hair of slack, e.g. colgen's 1e-6).
        return self.proven or (self.best is not None and np.ceil(self.lb - 1e-6) >= self.best.cost)


def optimal(inst: Instance, budget: Budget, method: str = "auto") -> tuple[Plan, Sol | None]:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    p = inst.problem
    if inst.infeasible_reason:
        if inst.partial:
            # Nothing can ship, and partial fill is allowed: leaving it all unfilled is the plan.
            sol = nothing_ships(inst)
            plan = to_plan(inst, sol, "optimal", PlanStatus.OPTIMAL, sol.cost, "eligibility")
            plan.reason = f"nothing can ship: {inst.infeasible_reason}"
            return plan, sol
        return infeasible_plan(inst, p.order_id, "optimal", inst.infeasible_reason, "eligibility"), None
    s = Search(inst, budget)
    if not inst.partial and inst.kmax == 1:
        # Only single shipments of the whole order are plans, and each is priced exactly.
        cost, _ = inst.single_costs()
        if cost.min() < INF:
            s.offer(baselines.best_single(inst), "single", True)
            s.settle("single")
        else:
            s.no_plan = True
        return _answer(s), s.best
    # The MIP's slice is kept for it only when its root can fit in it (a 100-node model's root
    # alone can take longer than a 200 ms budget): otherwise the other methods use that time.
    reserve = MIP_SHARE * budget.left
    if mip_mod.estimated_root_units(inst, np.arange(inst.n_cand)) > reserve:
        reserve = 0.0
    if method == "auto" and enum_mod.applicable(inst):
        # Small orders: the enumeration is exact and usually done in well under a millisecond.
        try:
            exact, _ = enum_mod.solve_enumeration(inst, _slice(budget, reserve, ENUM_SHARE))
        except enum_mod.OutOfTime as cut:
            s.offer(cut.best, "enumeration", True)
            s.bound(cut.bound)
        else:
            s.offer(exact, "enumeration", True)
            s.no_plan = exact is None
            s.settle("enumeration")
            return _answer(s), s.best
    _incumbents(s)
    s.bound(bounds.lower_bound(inst))
    if not s.done:
        _exact(s, method, reserve)
    return _answer(s), s.best


def nothing_ships(inst: Instance) -> Sol:
    return Sol((), tuple(int(x) for x in inst.q), int(inst.pen * inst.q.sum()))


def baseline(inst: Instance, name: str) -> Sol | str:
    key = "baseline:" + name
    if key not in inst.memo:
        inst.memo[key] = baselines.BASELINES[name](inst)
    return cast("Sol | str", inst.memo[key])


def _incumbents(s: Search) -> None:
    inst = s.inst
    size = len(inst.lane_src) * inst.n_lines
    for name in baselines.BASELINES:  # cost_greedy includes the best single shipment
        s.offer(_as_sol(baseline(inst, name)), "baseline", False)
    s.budget.used += (_UNITS_BASELINE + _UNITS_BASELINE_PER_LANE_LINE * size) * len(baselines.BASELINES)
    if inst.partial:
        s.offer(nothing_ships(inst), "heuristic", False)
    if inst.n_lines <= dp.MAX_WHOLE_LINES and s.budget.wall_left() > 0:
        # Whole-line DP: an excellent incumbent in a few ms (its value is no bound).
        s.budget.used += 2 ** inst.n_lines * len(inst.lane_src) * 4 * dp.US_PER_PRICE + 3 ** inst.n_lines * 0.01
        _, sol, _, _ = dp.solve_dp(inst, whole_lines=True)
        s.offer(sol, "heuristic", False)


def _as_sol(res: Sol | str) -> Sol | None:
    return res if isinstance(res, Sol) else None


def _slice(budget: Budget, reserve: float, fraction: float) -> Budget:
    """A share of what is left after the MIP's reserve."""
    return Budget(max(budget.left - reserve, 0.0) * fraction, budget.deadline, parent=budget)


def _exact(s: Search, method: str, reserve: float) -> None:
    inst, budget = s.inst, s.budget
    # The DP may use the MIP's slice too: admitted by its own (deterministic) estimate, it
    # settles most orders it is admitted to (measured: 4 of 5 large orders of the demo network),
    # and what it does not use stays for the MIP. A cheap DP goes first; a dear one only after
    # colgen (which settles those faster when its LP bound is tight).
    dp_ok = method in ("auto", "dp") and dp.applicable(inst)
    if dp_ok and (method == "dp" or dp.estimated_units(inst) <= DP_FIRST_SHARE * budget.left):
        dp_ok = False
        _run_dp(s, _slice(budget, 0.0, DP_SHARE))
        if s.done:
            return
    use_colgen = method in ("auto", "dp", "colgen") and colgen.applicable(inst)
    improved = False
    held = None
    if method == "auto" and (s.best is None or not s.best.ships):
        # No plan that ships yet (policies the baselines break, or only the nothing-ships plan):
        # colgen's search and the MIP's pruning need one, and the local search's starts find one.
        _improve(s, _slice(budget, reserve, IMPROVE_SHARE))
        improved = True
        if s.done:
            return
        held = _no_plan_mip(s) if s.best is None else None
        if s.done:
            return
    if use_colgen:
        _run_colgen(s, _slice(budget, reserve, COLGEN_SHARE))
    if held is not None:
        s.offer(held, "mip", True)
    if s.done:
        return
    if dp_ok and dp.estimated_units(inst) <= DP_SHARE * budget.left:
        _run_dp(s, _slice(budget, 0.0, DP_SHARE))
        if s.done:
            return
    # The MIP model's LP (lp.py): a bound, the arcs a cheaper plan can use, and (many nodes) a
    # small MIP over the arcs it opens. When the whole MIP fits the budget the LP is cheap beside
    # it and goes first; otherwise the local search goes first and the LP step, started from its
    # plan, gets most of the rest: its support MIP is where the best plans of 100-node orders
    # come from (measured: benchmarks/RESULTS.md).
    root = mip_mod.estimated_root_units(inst, np.arange(inst.n_cand))
    lp_first = MIP_ROOTS_PER_BUDGET * root <= budget.left
    if method == "auto" and lp_first:
        # When the whole MIP is small beside the budget it searches the support's neighbourhood
        # anyway (from the same start): only the bound and the arc bounds then (a support MIP
        # took the budget a small order's proof needed, measured).
        _run_lp(s, _slice(budget, reserve, LP_SHARE), budget.work, support=SMALL_MIP_ROOTS * root > budget.left)
        if s.done:
            return
    mip_fits = MIP_ROOTS_PER_BUDGET * _mip_root_units(s) <= budget.left
    if method == "auto" and not improved:
        # The local search gets more when the MIP's root alone would eat the budget (many
        # nodes) and no LP step follows: it is then where the good plans come from.
        before = s.best
        share = IMPROVE_SHARE if mip_fits else IMPROVE_SHARE_BEFORE_LP if not lp_first else IMPROVE_SHARE_BIG
        _improve(s, _slice(budget, reserve, share))
        if s.done:
            return
        if use_colgen and s.best is not before:
            # A much better incumbent narrows colgen's gap (it may have skipped its search for
            # a wide one): its search gets another try.
            _run_colgen(s, _slice(budget, reserve, COLGEN_SHARE))
            if s.done:
                return
    if method == "auto" and not lp_first:
        _run_lp(s, _slice(budget, 0.0, 1.0), budget.work)
        if s.done:
            return
    _run_mip(s, budget)


def _no_plan_mip(s: Search) -> Sol | None:
    """With no plan after the local search, the whole MIP first, when it is small: most such
    orders have no plan, and it says so in a few ms (measured: deep:148, 5 nodes, 1.3 ms) where
    colgen, with no incumbent to prune by, spent its whole share (10M units at a 20 s limit)
    without telling. A plan it proves optimal gives the bound, and is held back (returned) for
    after colgen, whose plan among equally cheap ones stays the answer as before."""
    inst, budget = s.inst, s.budget
    every = np.arange(inst.n_cand)
    if NO_PLAN_MIP_ROOTS * mip_mod.estimated_root_units(inst, every) > budget.left:
        return None
    res = solve_mip(inst, every, None, int(inst.kmax), _slice(budget, 0.0, NO_PLAN_MIP_SHARE))
    if res.proven and res.sol is None:
        s.no_plan = True
        s.settle("mip")
        return None
    if res.proven and res.sol is not None:
        s.bound(res.sol.cost)
    elif res.bound is not None:
        s.bound(res.bound)  # the model holds every candidate, unpruned: a bound on every plan
    return res.sol


def _improve(s: Search, share: Budget) -> None:
    """Local search from every incumbent and a few greedy starts (most of the share), then an
    exact re-split of the best plan's units over its own nodes (a small MIP): better plans for
    the exact methods to start from and to prune with."""
    inst = s.inst
    search = Budget(share.left * LOCAL_SEARCH_SHARE, share.deadline, parent=share)
    seeds = [s.best] + [_as_sol(baseline(inst, n)) for n in baselines.BASELINES]
    try:
        # Each start is one greedy pass, priced like a baseline; without room for them the search
        # starts from the incumbents alone (a charge that fails still counts against the parents).
        start_units = 7 * (_UNITS_BASELINE + _UNITS_BASELINE_PER_LANE_LINE * len(inst.lane_src) * inst.n_lines)
        if start_units < 0.5 * search.left:
            search.charge(start_units)
            seeds += improve.starts(inst, per_kind=3)
        seen = set()
        for sol in seeds:
            if sol is None or sol in seen:
                continue
            seen.add(sol)
            s.offer(improve.local_search(inst, sol, search), "heuristic", False)
    except OutOfBudget:
        pass
    if s.best is not None and len(s.best.ships) > 1 and share.left > 0:
        nodes = np.array(sorted(set(s.best.nodes)), dtype=np.int64)
        res = solve_mip(inst, nodes, s.best, int(inst.kmax), share)
        s.offer(res.sol, "heuristic", False)


def _run_dp(s: Search, share: Budget) -> None:
    try:
        lb, sol, proven, _ = dp.solve_dp(s.inst, deadline=share)
    except OutOfBudget:
        return
    s.offer(sol, "dp", True)
    s.bound(lb)
    if proven:
        if sol is None:
            s.no_plan = True
        s.settle("dp")


def _run_colgen(s: Search, share: Budget) -> None:
    inst = s.inst
    ub = s.best.cost if s.best is not None else int(INF)
    seeds = [s.best] if s.best is not None else []
    try:
        lb, sol, proven, _ = colgen.solve_colgen(inst, ub, share, seeds, max_gap=COLGEN_MAX_GAP)
    except OutOfBudget:
        return
    s.offer(sol, "colgen", True)
    if proven:
        if s.best is None:
            s.no_plan = True
        s.settle("colgen")
    elif lb is not None and lb < INF // 2:
        s.bound(lb)


def _model_nodes(s: Search) -> tuple[IntArray, int, list[tuple[int, int]]] | None:
    """The MIP model's candidates, shipment cap and ordering pairs for plans cheaper than the
    incumbent (floor bounds, then dominance), or None when the bounds alone settle the order."""
    inst = s.inst
    if s.best is None:
        return np.arange(inst.n_cand), int(inst.kmax), []
    single = inst.single_costs()[0]
    nodes, kmax, lb = bounds.prune(inst, s.best.cost, single)
    s.bound(lb)
    if len(nodes) == 0 or s.done:
        s.settle("bound")
        return None
    kmax = min(kmax, int(inst.kmax))
    keep = np.array(s.best.nodes, dtype=np.int64)
    nodes, pairs = dominance.prune_dominated(inst, nodes, kmax, keep=None)
    if len(nodes) == 0:
        s.settle("bound")
        return None
    return np.union1d(nodes, keep), kmax, pairs


def _arcs_of(sol: Sol | None) -> set[tuple[int, int]]:
    return set() if sol is None else {(int(c), int(j)) for c, j, _ in sol.ships}


def _allowed(s: Search) -> set[tuple[int, int]] | None:
    """The arcs the MIP needs, by the LP's arc bounds (None: all of its nodes' arcs)."""
    rel = s.relaxation
    if rel is None or s.best is None:
        return None
    return rel.arcs_below(s.best.cost) | _arcs_of(s.best)


def _mip_root_units(s: Search) -> float:
    rel = s.relaxation
    if rel is None:
        return mip_mod.estimated_root_units(s.inst, np.arange(s.inst.n_cand))
    return mip_mod.estimated_root_units(s.inst, rel.nodes, _allowed(s))


def _run_lp(s: Search, share: Budget, total: float, support: bool = True) -> None:
    """The LP relaxation of the MIP model (lp.py): its bound, its arc bounds for the MIP, and a
    MIP over the arcs it opens and the incumbent's (plans only: that model is a restriction)."""
    if s.best is None:
        return
    model = _model_nodes(s)
    if model is None:
        return
    nodes, kmax, pairs = model
    ub = s.best.cost
    rel = lp.relax(s.inst, nodes, kmax, pairs, ub, share)
    if rel is None:
        return
    s.relaxation = rel
    # Plans outside the model cost at least ub (pruning) or have an equally cheap one in it.
    s.bound(min(rel.bound, ub))
    if s.done or not support:
        return
    near = rel.support | _arcs_of(s.best)
    if near == _arcs_of(s.best):
        return
    sub = np.array(sorted({c for c, _ in near}), dtype=np.int64)
    res = solve_mip(s.inst, sub, s.best, kmax, Budget(min(share.left, SUPPORT_MIP_SHARE * total), share.deadline, parent=share), (), near)
    s.offer(res.sol, "heuristic", False)


def _run_mip(s: Search, budget: Budget) -> None:
    inst = s.inst
    ub = s.best.cost if s.best is not None else None
    if s.relaxation is not None and ub is not None:
        rel = s.relaxation
        nodes, kmax, pairs = rel.nodes, rel.kmax, rel.pairs
        allowed = _allowed(s)
        # The LP's node set was pruned against an incumbent no cheaper than this one, and its
        # arc bounds keep every arc a plan cheaper than this one can use.
        ub_model = min(ub, rel.ub)
    else:
        model = _model_nodes(s)
        if model is None:
            return
        nodes, kmax, pairs = model
        # Without an incumbent the model holds every candidate, unpruned: its bound is on
        # every plan.
        allowed, ub_model = None, ub if ub is not None else float("inf")
    if mip_mod.estimated_root_units(inst, nodes, allowed) > budget.left:
        return  # its root alone would not fit: not worth building the model
    res = solve_mip(inst, nodes, s.best, kmax, budget, pairs, allowed)
    before = s.best
    s.offer(res.sol, "mip", True)
    if res.proven:
        if s.best is None:
            s.no_plan = True
        s.settle("mip" if s.best is not before else "mip-confirmed")
    elif res.bound is not None and ub_model is not None:
        # A plan cheaper than `ub` exists only if one exists in the model (pruning, dominance
        # and the LP's arc bounds are valid for exactly those plans), so min(dual bound, ub)
        # bounds them all.
        s.bound(min(res.bound, ub_model))


def _answer(s: Search) -> Plan:
    inst, budget = s.inst, s.budget
    p = inst.problem
    if s.best is None:
        if s.no_plan:
            return diagnose(inst, budget)
        plan = infeasible_plan(inst, p.order_id, "optimal", "", "search")
        plan.status = PlanStatus.UNSOLVED
        plan.reason = "no plan found and none ruled out before the " + _limit_text(budget)
        return plan
    if s.done:
        plan = to_plan(inst, s.best, "optimal", PlanStatus.OPTIMAL, s.best.cost, s.proof or "bound")
        if not s.best.ships:
            plan.reason = "leaving every unit unfilled costs less than any plan that ships"
        return plan
    lb = int(min(np.ceil(s.lb - 1e-6), s.best.cost)) if np.isfinite(s.lb) else None
    status = PlanStatus.FEASIBLE if s.exact_source else PlanStatus.HEURISTIC_FALLBACK
    plan = to_plan(inst, s.best, "optimal", status, lb, s.source)
    gap = "" if lb is None else f" (at most {explain.rupees(s.best.cost - lb)} above the optimum)"
    plan.reason = "not proven optimal: the search stopped at the " + _limit_text(budget) + gap
    return plan


def _limit_text(budget: Budget) -> str:
    if budget.hit == "wall":
        return "wall-clock time limit (a safety net: this answer depended on the machine's speed)"
    return f"work limit ({budget.work / 1000:.0f}k work units)"


class _Relaxed(TypedDict, total=False):
    """The `Instance` fields one relaxation of `diagnose` changes."""

    kmax: int
    groups: list[IntArray]
    minval: int


def diagnose(inst: Instance, budget: Budget) -> Plan:
    """INFEASIBLE with a reason: relax the policy constraints one at a time to name the one
    that makes the order unservable (only on this rare path; within what is left of the
    budget, else a general reason)."""
    p = inst.problem
    relaxations: list[tuple[str, _Relaxed, str]] = [
        ("max_shipments", _Relaxed(kmax=max(inst.n_cand, 1)),
         f"no plan ships the order in at most {p.max_shipments} shipment(s)"),
        ("keep_together", _Relaxed(groups=[]), "the keep-together lines are not all in stock at any one node that can ship them"),
        ("min_shipment_value", _Relaxed(minval=0), f"no plan gives every shipment at least {explain.rupees(p.min_shipment_value_paise)} of value"),
    ]
    for name, change, reason in relaxations:
        if name == "max_shipments" and (p.max_shipments is None or p.max_shipments >= inst.n_cand):
            continue
        if name == "keep_together" and not inst.groups:
            continue
        if name == "min_shipment_value" and inst.minval == 0:
            continue
        relaxed = dataclasses.replace(inst, memo={}, **change)
        if _has_plan(relaxed, budget):
            return infeasible_plan(inst, p.order_id, "optimal", reason, "diagnosis")
    heavy = inst.w.max() if inst.n_lines else 0
    if len(inst.maxw) and heavy > inst.maxw.max():
        return infeasible_plan(inst, p.order_id, "optimal", "a unit is heavier than any carrier's max weight", "diagnosis")
    return infeasible_plan(
        inst, p.order_id, "optimal",
        "no combination of eligible nodes and carriers can ship the order (stock, carrier weight limits and split policy together)",
        "diagnosis",
    )


def _has_plan(inst: Instance, budget: Budget) -> bool:
    """Does any plan exist? False also when that cannot be told within the budget."""
    if budget.left <= 0:
        return False
    small = enum_mod.applicable(inst)
    share = Budget(budget.left * 0.5, budget.deadline, parent=budget)
    if small:
        # Small orders: one node DP pass answers exactly (what the enumeration would, without
        # its partition search: measured 0.1-0.3 vs 0.5-1 ms per relaxation on typical
        # orders), in less time than the four baselines take to fail on an order that still
        # has no plan; the baselines remain for when it runs out of work.
        try:
            return enum_mod.has_plan(inst, share)
        except OutOfBudget:
            pass
    for name in baselines.BASELINES:
        if isinstance(baseline(inst, name), Sol):
            return True
    if small:
        return False
    res = solve_mip(inst, np.arange(inst.n_cand), None, inst.kmax, share)
    return res.sol is not None

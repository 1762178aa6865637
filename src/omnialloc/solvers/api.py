"""`solve(problem, strategy)`: the one entry point of the solver package.

The optimal strategy picks the cheapest exact method for the order:
1. enumeration (`enumerate.py`) when the order's contents and partitions are
   few (typical orders): proven optimal in well under a millisecond;
2. the contents DP (`dp.py`) for larger orders whose DP is cheap (its own
   CPU estimate under `_DP_FIRST_MS`): its value is a lower bound on every
   plan, and its plan is optimal whenever it ships from distinct nodes
   (almost always);
3. bigger orders: heuristic incumbents (best single shipment, cost-greedy,
   whole-line DP, ...), then the LP bound + reduced-cost partition search
   (`colgen.py`, same relaxation as the DP, usually proves the optimum in
   tens of ms), then the DP if it still fits in the time left;
4. otherwise node pruning by lower bounds (`bounds.py`) and, only if the
   bounds do not already prove the incumbent optimal, the MIP (`mip.py`) on
   the surviving nodes, cut off at the incumbent's cost and limited to the
   time left.
If the time limit cuts the search short, the plan is the best one known: the
MIP's incumbent (FEASIBLE) or the heuristic one (HEURISTIC_FALLBACK), with a
valid lower bound in `bound_paise`.

Determinism: the same input gives the identical plan whenever the search
finishes within the limit (all tie-breaks are by fixed orders: candidate
preference order, lane order, partition order; HiGHS runs single-threaded
with a fixed seed). A plan cut short by the time limit depends on timing,
and so can the tie-break among equal-cost plans when colgen runs out of
time and a later method settles the order.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from . import baselines, bounds, colgen, dp, explain
from . import enumerate as enum_mod
from .assemble import Sol, infeasible_plan, to_plan, violations
from .costs import INF
from .instance import Instance, compile_problem
from .mip import solve_mip
from .plan import Plan, PlanStatus
from .problem import AllocationProblem

STRATEGIES = ("optimal", "nearest", "priority", "max_stock", "cost_greedy")
METHODS = ("auto", "dp", "colgen", "mip")

# Time kept back from the MIP for building the plan and its explanation
# (a few ms for 100 candidates; more on a loaded machine).
_RESERVE_MS = 15.0
# The contents DP goes first when its (pessimistic, ~2x) estimate is below
# this; bigger ones try the LP bound + reduced-cost search (`colgen`) first,
# which is then cheaper (measured: equal CPU around an estimate of 40-60 ms,
# colgen 2-3x faster beyond), and run the DP only if that did not settle it.
_DP_FIRST_MS = 50.0
# Below this much time left the MIP is not started at all.
_MIN_MIP_MS = 10.0


def solve(
    problem: AllocationProblem | Instance,
    strategy: str = "optimal",
    time_limit_ms: float = 200,
    explain_plan: bool = True,
    method: str = "auto",
) -> Plan:
    """Allocate one order. Never raises for an unservable order (INFEASIBLE
    plan with a reason); raises ValueError for malformed input.

    `problem` may also be an already compiled `Instance` (`compile_problem`):
    a caller that solves the same order many times (the benchmarks: several
    strategies, the same order against many stock states) compiles once and
    skips the per-call compile; the plan is the same. The instance's memo is
    kept (every entry is a deterministic function of the instance).

    `method` (optimal strategy only): "auto" picks enumeration, the
    contents DP, colgen or the MIP; "dp" skips the enumeration, "colgen"
    skips enumeration and DP, and "mip" goes straight to bounds + MIP
    (tests and benchmarks compare the paths)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {STRATEGIES}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    t0 = time.perf_counter()
    deadline = t0 + time_limit_ms / 1000.0
    inst = problem if isinstance(problem, Instance) else compile_problem(problem)
    if inst.infeasible_reason:
        plan = infeasible_plan(inst, inst.problem.order_id, strategy, inst.infeasible_reason, "eligibility")
        sol = None
    elif strategy == "optimal":
        plan, sol = _optimal(inst, deadline, method)
    else:
        res = baselines.BASELINES[strategy](inst)
        if isinstance(res, Sol):
            sol = res
            plan = to_plan(inst, res, strategy, PlanStatus.FEASIBLE, None, "baseline")
        else:
            sol = None
            plan = infeasible_plan(inst, inst.problem.order_id, strategy, res, "baseline")
    if explain_plan:
        nearest = None
        if inst.n_cand and not inst.infeasible_reason:
            nearest = sol if strategy == "nearest" else _baseline(inst, "nearest")
        explain.annotate(inst, plan, nearest)
    plan.solve_ms = (time.perf_counter() - t0) * 1000.0
    return plan


def _optimal(inst: Instance, deadline: float, method: str) -> tuple[Plan, Sol | None]:
    lb = None
    seeds: list[Sol] = []
    if method == "auto" and enum_mod.applicable(inst):
        try:
            sol, stats = enum_mod.solve_enumeration(inst, deadline - _RESERVE_MS / 1000.0)
        except enum_mod.OutOfTime as cut:
            # The rest of the way (bounds, MIP or the heuristic answer) starts from what it found.
            return _optimal_mip(inst, deadline, [cut.best] if cut.best is not None else [], cut.bound)
        if sol is None:
            return _infeasible(inst, deadline), None
        return to_plan(inst, sol, "optimal", PlanStatus.OPTIMAL, sol.cost, "enumeration"), sol
    dp_ok = method in ("auto", "dp") and dp.applicable(inst)
    # Admission by the DP's own (CPU) estimate only, not by machine load, so
    # the method chosen - and with it the tie-break among equal-cost plans -
    # does not depend on how busy the box is.
    if dp_ok and (method == "dp" or dp.estimated_ms(inst) <= _DP_FIRST_MS):
        done, lb, seed = _try_dp(inst, deadline, method)
        if done is not None:
            return done
        seeds += seed
        dp_ok = False
    if method != "mip" and not seeds and inst.n_lines <= dp.MAX_WHOLE_LINES:
        # Whole-line DP: an excellent incumbent in a few ms (not a bound).
        _, sol, _, _ = dp.solve_dp(inst, whole_lines=True)
        if sol is not None and not violations(inst, sol):
            seeds.append(sol)
    if method in ("auto", "colgen") and colgen.applicable(inst):
        cands = _incumbents(inst) + seeds
        best = min(cands, key=lambda s: s.cost) if cands else None
        # Without any incumbent the search runs uncapped: it then finds a
        # plan or proves that none exists.
        try:
            lb_c, sol, proven, _ = colgen.solve_colgen(
                inst, best.cost if best is not None else int(INF), deadline - _RESERVE_MS / 1000.0, cands
            )
        except colgen.OutOfTime:
            lb_c, sol, proven = None, None, False
        if proven:
            win = sol if sol is not None else best
            if win is None:
                return _infeasible(inst, deadline), None
            return to_plan(inst, win, "optimal", PlanStatus.OPTIMAL, win.cost, "colgen"), win
        if sol is not None:
            seeds.append(sol)
        if lb_c is not None and lb_c < INF:
            lb = lb_c if lb is None else max(lb, lb_c)
    left_ms = (deadline - time.perf_counter()) * 1000.0 - _RESERVE_MS
    if dp_ok and dp.estimated_ms(inst) < 0.8 * left_ms:
        done, lb_d, seed = _try_dp(inst, deadline, method)
        if done is not None:
            return done
        seeds += seed
        if lb_d is not None:
            lb = lb_d if lb is None else max(lb, lb_d)
    return _optimal_mip(inst, deadline, seeds, lb)


def _try_dp(inst: Instance, deadline: float, method: str) -> tuple[tuple[Plan, Sol | None] | None, float | None, list[Sol]]:
    """Run the contents DP: (finished answer or None, its lower bound, seed plans)."""
    try:
        # The DP checks the clock between steps: on a loaded machine it
        # can run past its CPU estimate, and the time limit comes first.
        lb, sol, proven, _ = dp.solve_dp(inst, deadline=None if method == "dp" else deadline - _RESERVE_MS / 1000.0)
    except dp.OutOfTime:
        return None, None, []
    if proven:
        if sol is None:
            return (_infeasible(inst, deadline), None), lb, []
        return (to_plan(inst, sol, "optimal", PlanStatus.OPTIMAL, sol.cost, "dp"), sol), lb, []
    return None, lb, [sol] if sol is not None else []


def _baseline(inst: Instance, name: str) -> Sol | str:
    key = "baseline:" + name
    if key not in inst.memo:
        inst.memo[key] = baselines.BASELINES[name](inst)
    return inst.memo[key]


def _incumbents(inst: Instance) -> list[Sol]:
    # Every baseline is a seed (a few ms for 100 nodes), so even a plan cut
    # short by the time limit is never costlier than any baseline's.
    seeds: list[Sol] = []
    for name in baselines.BASELINES:  # cost_greedy includes the best single shipment
        res = _baseline(inst, name)
        if isinstance(res, Sol):
            seeds.append(res)
    if inst.partial:
        seeds.append(Sol((), tuple(int(x) for x in inst.q), int(inst.pen * inst.q.sum())))
    return seeds


def _optimal_mip(inst: Instance, deadline: float, extra: list[Sol], dp_lb: float | None) -> tuple[Plan, Sol | None]:
    seeds = _incumbents(inst) + extra
    best = min(seeds, key=lambda s: s.cost) if seeds else None
    ub = best.cost if best is not None else float("inf")
    single_cost = inst.single_costs()[0] if inst.n_cand else np.array([INF])
    nodes, kmax, global_lb = bounds.prune(inst, ub, single_cost)
    if dp_lb is not None:
        global_lb = max(global_lb, dp_lb)
    if best is not None and (len(nodes) == 0 or global_lb >= best.cost):
        # No plan other than a whole-order single shipment can beat the
        # incumbent, and the incumbent is at least as good as each of those
        # (or a valid lower bound meets it).
        return to_plan(inst, best, "optimal", PlanStatus.OPTIMAL, best.cost, "bound"), best
    if best is not None:
        nodes = np.union1d(nodes, np.array(best.nodes, dtype=np.int64))
    else:
        nodes = np.arange(inst.n_cand)
    kmax = min(inst.kmax, max(kmax, len(best.ships) if best is not None else kmax))
    left_ms = (deadline - time.perf_counter()) * 1000.0 - _RESERVE_MS
    if left_ms < _MIN_MIP_MS:
        # No time to build the model (pure Python, ~10 ms for 100 nodes)
        # and presolve: answer with the incumbent, if any.
        if best is None:
            return infeasible_plan(inst, inst.problem.order_id, "optimal", "no plan found within the time limit", "mip"), None
        bound = int(min(np.ceil(global_lb - 1e-6), best.cost))
        status = PlanStatus.OPTIMAL if bound >= best.cost else PlanStatus.HEURISTIC_FALLBACK
        return to_plan(inst, best, "optimal", status, bound, "heuristic"), best
    res = solve_mip(inst, nodes, best, kmax, deadline - _RESERVE_MS / 1000.0)
    mip_sol = res.sol
    if mip_sol is not None and (best is None or mip_sol.cost < best.cost):
        winner, method = mip_sol, "mip"
    else:
        winner, method = best, "mip-confirmed" if res.proven else "heuristic"
    if res.proven:
        if winner is None:
            return _infeasible(inst, deadline), None
        return to_plan(inst, winner, "optimal", PlanStatus.OPTIMAL, winner.cost, method), winner
    if winner is None:
        plan = infeasible_plan(inst, inst.problem.order_id, "optimal", "no plan found within the time limit", "mip")
        return plan, None
    bound = global_lb if res.bound is None else max(global_lb, res.bound)
    bound = int(min(np.ceil(bound - 1e-6), winner.cost))
    if bound >= winner.cost:
        return to_plan(inst, winner, "optimal", PlanStatus.OPTIMAL, winner.cost, method), winner
    status = PlanStatus.FEASIBLE if method == "mip" else PlanStatus.HEURISTIC_FALLBACK
    return to_plan(inst, winner, "optimal", status, bound, method), winner


def _feasible_exactly(inst: Instance, deadline: float) -> bool | None:
    """Does any plan exist? None if we could not tell in time."""
    if enum_mod.applicable(inst):
        try:
            sol, _ = enum_mod.solve_enumeration(inst, deadline)
        except enum_mod.OutOfTime as cut:
            return True if cut.best is not None else None
        return sol is not None
    res = solve_mip(inst, np.arange(inst.n_cand), None, inst.kmax, max(deadline - _RESERVE_MS / 1000, time.perf_counter() + 0.001))
    if res.sol is not None:
        return True
    return False if res.proven else None


def _infeasible(inst: Instance, deadline: float) -> Plan:
    """Name the policy constraint that makes the order unservable by relaxing
    them one at a time (only runs on the rare infeasible path)."""
    p = inst.problem
    relaxations = [
        ("max_shipments", dict(kmax=max(inst.n_cand, 1)),
         f"no plan ships the order in at most {p.max_shipments} shipment(s)"),
        ("keep_together", dict(groups=[]), "the keep-together lines are not all in stock at any one node that can ship them"),
        ("min_shipment_value", dict(minval=0), f"no plan gives every shipment at least {explain.rupees(p.min_shipment_value_paise)} of value"),
    ]
    for name, change, reason in relaxations:
        if name == "max_shipments" and p.max_shipments is None:
            continue
        if name == "keep_together" and not inst.groups:
            continue
        if name == "min_shipment_value" and inst.minval == 0:
            continue
        relaxed = dataclasses.replace(inst, memo={}, **change)
        if _feasible_exactly(relaxed, deadline):
            return infeasible_plan(inst, p.order_id, "optimal", reason, "diagnosis")
    heavy = inst.w.max() if inst.n_lines else 0
    if len(inst.maxw) and heavy > inst.maxw.max():
        return infeasible_plan(inst, p.order_id, "optimal", "a unit is heavier than any carrier's max weight", "diagnosis")
    return infeasible_plan(
        inst, p.order_id, "optimal",
        "no combination of eligible nodes and carriers can ship the order (stock, carrier weight limits and split policy together)",
        "diagnosis",
    )

"""`solve(problem, strategy)`: the one entry point of the solver package.

The `optimal` strategy runs the portfolio of exact methods (`portfolio.py`: enumeration,
contents DP, colgen, MIP) under one work budget and returns the cheapest plan found with a
valid lower bound and a status saying what is proven (docs/solver.md). The baselines
(`baselines.py`) answer as other OMSs would.

Time: `time_limit_ms` is turned into a deterministic work budget (`budget.py`; about 85% of
the limit on the reference machine) unless `work_limit` is given, and stays the wall-clock
safety net. The same input gives the identical plan on an idle or a loaded machine: every
decision depends on the order and on work counts (HiGHS runs on one thread with a fixed
seed), never on the clock - unless the wall-clock safety net fires, which the plan's reason
then says.
"""

from __future__ import annotations

import time

from . import baselines, explain, portfolio
from .assemble import Sol, infeasible_plan, to_plan
from .budget import Budget
from .instance import Instance, compile_problem
from .plan import Plan, PlanStatus
from .problem import AllocationProblem

STRATEGIES = ("optimal", "nearest", "priority", "max_stock", "cost_greedy")
METHODS = portfolio.METHODS
# What the explanation may spend pricing "the best plan using this node" exactly: a share of
# the solve's work, at most EXPLAIN_MAX_UNITS (~2 ms); nodes it does not settle get a true
# lower bound or the price of shipping everything from them instead.
EXPLAIN_SHARE = 0.15
EXPLAIN_MAX_UNITS = 2000.0


def solve(
    problem: AllocationProblem | Instance,
    strategy: str = "optimal",
    time_limit_ms: float = 200,
    explain_plan: bool = True,
    method: str = "auto",
    work_limit: float | None = None,
) -> Plan:
    """Allocate one order. Never raises for an unservable order (INFEASIBLE plan with a
    reason); raises ValueError for malformed input.

    `problem` may also be an already compiled `Instance` (`compile_problem`): a caller that
    solves the same order many times (the benchmarks: several strategies, the same order
    against many stock states) compiles once and skips the per-call compile; the plan is the
    same. The instance's memo is kept (every entry is a deterministic function of it).

    `work_limit` (work units, ~1 us each on the reference machine) replaces the budget
    derived from `time_limit_ms`; the wall-clock limit still applies.

    `method` (optimal strategy only): "auto" runs the whole portfolio; "dp" skips the
    enumeration, "colgen" the enumeration and the DP, "mip" every exact method but the MIP
    (tests and benchmarks compare the paths)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {STRATEGIES}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    t0 = time.perf_counter()
    budget = Budget.for_limit(time_limit_ms, work_limit)
    explain_budget = Budget(min(budget.work * EXPLAIN_SHARE, EXPLAIN_MAX_UNITS), budget.deadline)
    inst = problem if isinstance(problem, Instance) else compile_problem(problem)
    if strategy == "optimal":
        plan, sol = portfolio.optimal(inst, budget, method)
    elif inst.infeasible_reason:
        plan, sol = _nothing_to_ship(inst, strategy)
    else:
        res = portfolio.baseline(inst, strategy)
        if isinstance(res, Sol):
            sol = res
            plan = to_plan(inst, res, strategy, PlanStatus.FEASIBLE, None, "baseline")
        else:
            sol = None
            plan = infeasible_plan(inst, inst.problem.order_id, strategy, res, "baseline")
    if explain_plan:
        nearest = None
        if inst.n_cand and not inst.infeasible_reason:
            nearest = sol if strategy == "nearest" else portfolio.baseline(inst, "nearest")
        explain.annotate(inst, plan, nearest, explain_budget)
    plan.solve_ms = (time.perf_counter() - t0) * 1000.0
    return plan


def _nothing_to_ship(inst: Instance, strategy: str) -> tuple[Plan, Sol | None]:
    """A baseline on an order nothing can ship: with partial fill its plan ships nothing (as
    the optimal strategy's does), otherwise it is infeasible for the same reason."""
    if inst.partial:
        sol = portfolio.nothing_ships(inst)
        plan = to_plan(inst, sol, strategy, PlanStatus.FEASIBLE, None, "baseline")
        plan.reason = f"nothing can ship: {inst.infeasible_reason}"
        return plan, sol
    return infeasible_plan(inst, inst.problem.order_id, strategy, inst.infeasible_reason or "", "eligibility"), None


__all__ = ["METHODS", "STRATEGIES", "baselines", "solve"]

"""Every order gets a plan within its limits: when the exact search cannot finish, the best plan
found comes back labelled as such, with a valid bound and a reason naming the limit.

The limits here are work limits (deterministic counts, `budget.py`) on problems that need far
more, with a generous wall clock, so the outcome does not depend on the machine's speed; one
test pins the wall-clock safety net with a limit no machine can meet."""

import threading
import time

import numpy as np

from omnialloc.solvers import STRATEGIES, PlanStatus, solve
from omnialloc.solvers import enumerate as enum_mod
from omnialloc.solvers import mip, portfolio
from omnialloc.solvers.budget import Budget
from omnialloc.solvers.instance import compile_problem

from .builders import order

GENEROUS_MS = 600_000


def big_order(seed=3, lines=12, nodes=60):
    # Many lines of 2-4 units over many similar nodes with thin stock: too big for the contents
    # DP and colgen, and the MIP needs far more than a few thousand work units.
    rng = np.random.default_rng(seed)
    p = order(split_penalty_paise=2000)
    for i in range(lines):
        p.add_line(f"L{i}", f"S{i}", int(rng.integers(2, 5)), int(rng.integers(100, 1500)), 10_000)
    for n in range(nodes):
        stock = {f"S{i}": int(rng.integers(1, 4)) for i in range(lines) if rng.random() < 0.5}
        p.add_node(f"N{n}", float(rng.integers(1, 500)), int(rng.integers(1000, 3000)), None, 1, "store", stock)
        p.add_lane(f"N{n}", "C1", "B", 3300, 2830, sla_days=2)
    return p


def test_a_work_limit_returns_the_best_plan_found_labelled_and_bounded():
    plan = solve(big_order(), time_limit_ms=GENEROUS_MS, work_limit=2_000)
    assert plan.status in (PlanStatus.HEURISTIC_FALLBACK, PlanStatus.FEASIBLE)
    assert plan.shipments and not plan.unfilled
    assert plan.bound_paise <= plan.objective_paise
    assert "work limit" in plan.reason


def test_the_cut_short_plan_is_no_worse_than_any_baseline():
    p = big_order()
    cut = solve(p, time_limit_ms=GENEROUS_MS, work_limit=2_000)
    for strategy in STRATEGIES[1:]:
        other = solve(p, strategy)
        if other.status != PlanStatus.INFEASIBLE:
            assert cut.objective_paise <= other.objective_paise, strategy


def test_a_work_limited_answer_is_the_same_every_time():
    p = big_order(seed=5, lines=8, nodes=30)
    plans = [solve(p, time_limit_ms=GENEROUS_MS, work_limit=40_000).to_dict() for _ in range(2)]
    assert plans[0] == plans[1]


def test_the_wall_clock_limit_is_a_safety_net_and_says_so():
    plan = solve(big_order(), time_limit_ms=0.001, work_limit=10**9)
    assert plan.status in (PlanStatus.HEURISTIC_FALLBACK, PlanStatus.FEASIBLE)
    assert "wall-clock" in plan.reason
    assert plan.bound_paise <= plan.objective_paise


def test_a_mip_cut_short_does_not_cut_short_the_next_one():
    # highspy reuses one Highs object per thread; after our callback interrupted a run, that
    # object used to stop every later run at once, so one cut-short order made the following
    # orders fall back too.
    inst = compile_problem(big_order(seed=3, lines=6, nodes=12))
    nodes = np.arange(inst.n_cand)
    model = mip.build(inst, nodes, inst.kmax, exact_fee=False).model
    start_units = mip.UNITS_PER_COLUMN * len(model.cost) + mip.ROOT_UNITS_PER_NONZERO * len(model.r_idx)
    cut = mip.solve_mip(inst, nodes, None, inst.kmax, Budget(start_units + 1, float("inf")))
    assert cut.status == "Interrupted by user" and not cut.proven
    full = mip.solve_mip(inst, nodes, None, inst.kmax, Budget.unlimited())
    assert full.proven and full.sol is not None


def test_a_mip_stopped_by_the_wall_clock_leaves_no_run_behind():
    # The MIP used to run on a worker thread that was abandoned at the deadline and went on
    # solving until HiGHS's next check: a loaded server got slower and the next solve shared
    # the core with a dead one. Now HiGHS is stopped (its own time limit, our callback) and
    # returns before solve_mip does.
    inst = compile_problem(big_order(nodes=120))
    nodes = np.arange(inst.n_cand)
    before = threading.active_count()
    # A deadline past the model's build (~20 ms) but far short of its root.
    budget = Budget(float("inf"), time.perf_counter() + 0.06)
    res = mip.solve_mip(inst, nodes, None, inst.kmax, budget)
    assert threading.active_count() == before
    assert budget.hit == "wall" and not res.proven
    again = mip.solve_mip(inst, np.arange(min(inst.n_cand, 4)), None, 1, Budget.unlimited())
    assert again.status != "Interrupted by user"


def scarce_partial_order(seed=1, nodes=40):
    # Multi-unit lines over many nodes that each hold a unit or two, partial fill allowed: the
    # enumeration applies (few contents) but its partitions have up to ten blocks to place.
    rng = np.random.default_rng(seed)
    p = order(allow_partial=True, unfilled_penalty_paise_per_unit=40_000)
    qty = [4, 1, 1, 4]
    for i, q in enumerate(qty):
        p.add_line(f"L{i}", f"S{i}", q, int(rng.integers(200, 900)), 20_000)
    for n in range(nodes):
        stock = {f"S{i}": int(rng.integers(1, 3)) for i in range(len(qty)) if rng.random() < 0.4}
        p.add_node(f"N{n}", float(rng.integers(1, 500)), int(rng.integers(0, 3000)), None, 1, "store", stock)
        p.add_lane(f"N{n}", "C1", "B", int(rng.integers(3000, 9000)), 2830, sla_days=2)
    return p


def enough_for_the_first_partitions() -> float:
    """Work to price the order's contents and settle its first 3 partitions, not all of them."""
    inst = compile_problem(scarce_partial_order())
    pricing = enum_mod._UNITS_TO_PRICE + np.prod(inst.q + 1) * len(inst.lane_src) * enum_mod.US_PER_PRICE
    return float(pricing + 3 * enum_mod._UNITS_PER_PARTITION)


CUT = enough_for_the_first_partitions()
ENUM_SHARE = (1 - portfolio.MIP_SHARE) * portfolio.ENUM_SHARE


def test_the_enumeration_stops_at_its_work_limit_with_a_valid_bound():
    inst = compile_problem(scarce_partial_order())
    assert enum_mod.applicable(inst)
    exact, _ = enum_mod.solve_enumeration(inst)
    try:
        enum_mod.solve_enumeration(compile_problem(scarce_partial_order()), Budget(CUT, float("inf")))
    except enum_mod.OutOfTime as cut:
        assert cut.bound is not None and cut.bound <= exact.cost
        assert cut.best is None or cut.best.cost >= exact.cost
    else:
        raise AssertionError(f"{CUT} work units cannot settle this order")


def test_an_enumeration_cut_short_still_answers_with_a_labelled_plan():
    exact = solve(scarce_partial_order(), time_limit_ms=GENEROUS_MS)
    assert exact.status == PlanStatus.OPTIMAL and exact.method == "enumeration"
    cut = solve(scarce_partial_order(), time_limit_ms=GENEROUS_MS, work_limit=CUT / ENUM_SHARE)
    assert cut.status in (PlanStatus.HEURISTIC_FALLBACK, PlanStatus.FEASIBLE)
    assert cut.bound_paise <= exact.objective_paise <= cut.objective_paise

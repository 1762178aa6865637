"""Every order gets a plan within its time limit: when the exact search cannot
finish, the best heuristic plan comes back, labelled as such."""

import time

import numpy as np

from omnialloc.solvers import PlanStatus, solve

from .builders import order


def big_order(seed=3, lines=12, nodes=60):
    # Many lines of 2-4 units over many similar nodes with thin stock: too big
    # for the contents DP, and the MIP needs far more than a millisecond.
    rng = np.random.default_rng(seed)
    p = order(split_penalty_paise=2000)
    for i in range(lines):
        p.add_line(f"L{i}", f"S{i}", int(rng.integers(2, 5)), int(rng.integers(100, 1500)), 10_000)
    for n in range(nodes):
        stock = {f"S{i}": int(rng.integers(1, 4)) for i in range(lines) if rng.random() < 0.5}
        p.add_node(f"N{n}", float(rng.integers(1, 500)), int(rng.integers(1000, 3000)), None, 1, "store", stock)
        p.add_lane(f"N{n}", "C1", "B", 3300, 2830, sla_days=2)
    return p


def test_a_tight_time_limit_returns_the_best_heuristic_plan():
    plan = solve(big_order(), time_limit_ms=1)
    assert plan.status in (PlanStatus.HEURISTIC_FALLBACK, PlanStatus.FEASIBLE)
    assert plan.shipments and not plan.unfilled
    assert plan.bound_paise <= plan.objective_paise


def test_the_fallback_is_no_worse_than_the_cost_greedy_baseline():
    p = big_order()
    fallback = solve(p, time_limit_ms=1)
    greedy = solve(p, "cost_greedy")
    assert fallback.objective_paise <= greedy.objective_paise


def test_a_mip_cut_short_does_not_cut_short_the_next_one():
    # highspy reuses one Highs object per thread; after our deadline callback
    # interrupted a run, that object used to stop every later run at once, so
    # one timed-out order made the following orders fall back too.
    from omnialloc.solvers import mip
    from omnialloc.solvers.instance import compile_problem

    inst = compile_problem(big_order(seed=3, lines=6, nodes=12))  # optimal in ~40 ms
    nodes = np.arange(inst.n_cand)
    cut = mip.solve_mip(inst, nodes, None, inst.kmax, time.perf_counter())  # deadline already passed
    assert not cut.proven
    full = mip.solve_mip(inst, nodes, None, inst.kmax, time.perf_counter() + 60)
    assert full.proven and full.sol is not None


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


def test_the_enumeration_stops_at_its_deadline_with_a_valid_bound():
    from omnialloc.solvers import enumerate as enum_mod
    from omnialloc.solvers.instance import compile_problem

    inst = compile_problem(scarce_partial_order())
    assert enum_mod.applicable(inst)
    exact, _ = enum_mod.solve_enumeration(inst)
    try:
        enum_mod.solve_enumeration(compile_problem(scarce_partial_order()), deadline=time.perf_counter())
    except enum_mod.OutOfTime as cut:
        assert cut.bound <= exact.cost
        assert cut.best is None or cut.best.cost >= exact.cost
    else:
        raise AssertionError("a deadline already passed must stop the search")


def test_an_enumeration_cut_short_still_answers_with_a_labelled_plan():
    p = scarce_partial_order()
    exact = solve(p, time_limit_ms=60_000)
    assert exact.status == PlanStatus.OPTIMAL and exact.method == "enumeration"
    cut = solve(scarce_partial_order(), time_limit_ms=0.001)
    assert cut.status in (PlanStatus.OPTIMAL, PlanStatus.HEURISTIC_FALLBACK, PlanStatus.FEASIBLE)
    assert cut.bound_paise <= exact.objective_paise <= cut.objective_paise

"""Proofs the solver must not get wrong, each from a defect found on independently generated
orders (issue 21): bounds that forget negative per-shipment floors, a MIP "proof" from an
objective cut-off, DP arithmetic on "impossible" costs plus bonuses.

The property tests in test_reference.py check the same on random orders; these pin the
shapes that broke, with hand-checkable numbers where possible."""

import time

import numpy as np

from omnialloc.solvers import AllocationProblem, PlanStatus, solve
from omnialloc.solvers import bounds, mip
from omnialloc.solvers.instance import compile_problem

from .builders import node_with_lane, order
from benchmarks.reference import exhaustive


def four_single_unit_nodes(**lane_kw):
    """4 lines of one 500 g unit. Every lane: first slab Rs 1, each further 500 g Rs 50 (a card
    whose additional slab costs more than the first slab plus handling), so a parcel of n
    units costs 100 + 5000 * (n - 1): the more parcels, the cheaper (4 parcels: 400; 3: 5,300;
    2: 10,200). HUB stocks three lines, four stores one line each."""
    p = order()
    for i, sku in enumerate("ABCD"):
        p.add_line(f"L{i + 1}", sku, 1, 500, 10_000)
    node_with_lane(p, "HUB", {"A": 1, "B": 1, "C": 1}, first=100, add=5000, priority=0, lane_kw=lane_kw)
    for sku in "ABCD":
        node_with_lane(p, f"S-{sku}", {sku: 1}, first=100, add=5000, lane_kw=lane_kw)
    return p


def test_the_lower_bound_counts_every_negative_shipment_floor():
    # Each parcel's floor is 100 - 5000 = -4900: a bound that adds only the two cheapest floors
    # (-9800 + 20000 of units = 10,200) is above the 4-parcel optimum of 400.
    p = four_single_unit_nodes()
    assert exhaustive.optimum(p).cost == 400
    inst = compile_problem(p)
    assert bounds.prune(inst, float("inf"), inst.single_costs()[0])[2] <= 400


def test_pruning_keeps_the_nodes_of_a_cheaper_many_parcel_plan():
    inst = compile_problem(four_single_unit_nodes())
    nodes, kmax, lb = bounds.prune(inst, 5300, inst.single_costs()[0])
    assert {inst.node_code(c) for c in nodes} >= {"S-A", "S-B", "S-C", "S-D"}
    assert kmax >= 4 and lb <= 400


def test_the_mip_path_finds_the_many_parcel_optimum():
    plan = solve(four_single_unit_nodes(), method="mip", time_limit_ms=10_000)
    assert (plan.status, plan.objective_paise, len(plan.shipments)) == (PlanStatus.OPTIMAL, 400, 4)


def test_node_bonuses_and_a_negative_priority_are_bounded_too():
    # Same shape with an ordinary card (Rs 10 + Rs 5 a slab) but Rs 90 of bonus per store and a
    # priority weight that pays for the stores' priority of -1.
    p = order(priority_weight_paise=500)
    for i, sku in enumerate("ABCD"):
        p.add_line(f"L{i + 1}", sku, 1, 500, 10_000)
    node_with_lane(p, "HUB", {"A": 1, "B": 1, "C": 1, "D": 1}, first=1000, add=500, priority=0)
    for sku in "ABCD":
        node_with_lane(p, f"S-{sku}", {sku: 1}, first=1000, add=500, priority=-1, bonus_paise=9000)
    expected = exhaustive.optimum(p).cost
    assert expected == 4 * (1000 - 500 - 9000)
    inst = compile_problem(p)
    assert bounds.prune(inst, float("inf"), inst.single_costs()[0])[2] <= expected
    for method in ("auto", "mip"):
        plan = solve(p, method=method, time_limit_ms=10_000)
        assert (plan.status, plan.objective_paise) == (PlanStatus.OPTIMAL, expected)


def cutoff_order():
    """A partial-fill order on which HiGHS 1.16's presolve, given an objective cut-off row at the
    do-nothing plan (30,000), declared the model infeasible although a plan costing 18,215 exists
    (found with presolve off, by the DP and by colgen)."""
    p = AllocationProblem('R-1', payment_mode='COD', promised_days=2, sla_policy='soft', lateness_penalty_paise_per_day=500,
                          allow_partial=True, unfilled_penalty_paise_per_unit=6000, split_penalty_paise=8000,
                          distance_weight_paise_per_km=1)
    p.add_line('L1', 'S0', 2, 900, 400000, 900000)
    p.add_line('L2', 'S1', 1, 7000, 400000, 900000)
    p.add_line('L3', 'S2', 2, 400, 30000)
    p.add_node('N1', 1680.0, 1200, None, -2, 'dark_store', {'S0': 1, 'S1': 9, 'S2': 1})
    p.add_node('N2', 1953.0, 0, None, 0, 'warehouse', {'S0': 1, 'S2': 16}, bonus_paise=9000, penalty_paise=2000)
    p.add_node('N3', 999.0, 1200, 1, 10, 'store', {'S0': 2, 'S1': 1, 'S2': 17}, bonus_paise=9000)
    p.add_node('N4', 1149.0, 0, None, -3, 'dark_store', {'S0': 2, 'S2': 1}, bonus_paise=9000)
    p.add_node('N5', 1976.0, 1200, None, -3, 'dark_store', {'S0': 1, 'S2': 11}, forbidden_reason='routing rule')
    p.add_node('N6', 517.0, 0, 0, -1, 'dark_store', {'S1': 1, 'S2': 19}, bonus_paise=9000,
               unit_prices_paise={'S0': 2500, 'S2': 2500})
    p.add_node('N7', 1712.0, 4000, None, 10, 'warehouse', {'S0': 2, 'S1': 17, 'S2': 1}, bonus_paise=9000, penalty_paise=2000)
    p.add_lane('N1', 'C1', 'D', 2950, 1770, slab_g=1000, cod_fixed_paise=3500, max_weight_g=1000, sla_days=2, volumetric_divisor=4000)
    p.add_lane('N2', 'C1', 'B', 3300, 1980, cod_fixed_paise=3500, cod_percent_bp=250, max_weight_g=5000, sla_days=5, cod_allowed=False)
    p.add_lane('N3', 'C1', 'A', 5660, 5660, sla_days=2)
    p.add_lane('N3', 'C2', 'A', 4010, 2406, cod_percent_bp=150, max_weight_g=5000, sla_days=3, bonus_paise=800)
    p.add_lane('N4', 'C1', 'B', 4010, 4010, slab_g=250, cod_fixed_paise=3500, max_weight_g=5000, sla_days=3, volumetric_divisor=4000)
    p.add_lane('N5', 'C1', 'A', 4010, 8210, cod_fixed_paise=3500, cod_percent_bp=150, sla_days=6, bonus_paise=800)
    p.add_lane('N5', 'C2', 'C', 4010, 4010, cod_fixed_paise=3500, cod_percent_bp=150, max_weight_g=20000, sla_days=5)
    p.add_lane('N6', 'C1', 'A', 2950, 2950, slab_g=250, cod_fixed_paise=3500, cod_percent_bp=150, max_weight_g=5000,
               sla_days=3, volumetric_divisor=4000, bonus_paise=800)
    p.add_lane('N6', 'C2', 'C', 5660, 4528, cod_fixed_paise=3500, cod_percent_bp=150, max_weight_g=1000, sla_days=3)
    p.add_lane('N7', 'C1', 'D', 3300, 2640, cod_percent_bp=250, max_weight_g=20000, sla_days=5, volumetric_divisor=4000)
    p.add_lane('N7', 'C2', 'E', 4010, 3208, cod_percent_bp=150, max_weight_g=5000, sla_days=3, volumetric_divisor=4000, bonus_paise=800)
    return p


def test_the_mip_never_proves_a_plan_from_a_cutoff():
    p = cutoff_order()
    assert exhaustive.optimum(p).cost == 18215
    plan = solve(p, method="mip", time_limit_ms=10_000)
    assert (plan.status, plan.objective_paise) == (PlanStatus.OPTIMAL, 18215)
    assert [s.node for s in plan.shipments] == ["N3"]


def test_a_mip_infeasibility_claim_is_checked_without_presolve():
    p = order(max_shipments=1)
    p.add_line("L1", "A", 1, 500, 1000)
    p.add_line("L2", "B", 1, 500, 1000)
    node_with_lane(p, "N1", {"A": 1})
    node_with_lane(p, "N2", {"B": 1})
    inst = compile_problem(p)
    res = mip.solve_mip(inst, np.arange(inst.n_cand), None, inst.kmax, time.perf_counter() + 10)
    assert res.sol is None and res.infeasible and res.verified and res.proven


def minimum_value_trap():
    # L1 (Rs 200) may ship alone - with a Rs 90 bonus, for less than nothing - but L2 (Rs 1) is
    # below the Rs 1.50 minimum shipment value on its own and no node holds both: no plan exists.
    p = order(min_shipment_value_paise=150)
    p.add_line("L1", "A", 1, 400, 200)
    p.add_line("L2", "B", 1, 400, 100)
    node_with_lane(p, "N1", {"A": 1}, bonus_paise=9000)
    node_with_lane(p, "N2", {"B": 1})
    return p


def test_impossible_contents_plus_a_bonus_are_still_impossible():
    # The contents DP added a negative shipment cost to "impossible" (a large sentinel) and took
    # the sum for a price: it crashed (or, without the assertion, answered a plan).
    for method in ("auto", "dp", "colgen", "mip"):
        plan = solve(minimum_value_trap(), method=method, time_limit_ms=10_000)
        assert plan.status == PlanStatus.INFEASIBLE, method
        assert "minimum" in plan.reason or "value" in plan.reason


def test_the_exact_cod_fee_phase_settles_what_the_relaxed_fee_cannot():
    # A COD order whose percentage fees the MIP first prices without rounding (a relaxation):
    # its bound rounded up stays below the best plan, so the exact phase must run and prove it.
    # (It never ran: the merged result was the first phase's own object, so a phase that had
    # finished looked unfinished.)
    from benchmarks.reference.generator import random_problem

    p = random_problem(1, "deep")
    assert p.payment_mode == "COD"
    inst = compile_problem(p)
    calls = []
    real = mip._run

    def spy(inst_, built, warm, budget, presolve):
        calls.append(built.exact)
        return real(inst_, built, warm, budget, presolve)

    mip._run = spy
    try:
        res = mip.solve_mip(inst, np.arange(inst.n_cand), None, inst.kmax, time.perf_counter() + 60)
    finally:
        mip._run = real
    assert calls == [False, True]
    assert res.proven and res.sol.cost == exhaustive.optimum(p).cost

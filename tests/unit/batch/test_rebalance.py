"""Rebalancing on a 3-node case checked by hand.

A has 10 units (safety 2) and needs 3; B has 0 and needs 4; C has 3 and
needs 5. Moving costs 10/unit A->B, 30/unit A->C, 5/unit C->B, 20 per lane
shipment; a unit short costs 100. Before: B short 4, C short 2 = 600.
Best: A->B 4 (60) saves 400, A->C 2 (80) saves 200: cost 140, saving 460.
"""

import numpy as np

from omnialloc.solvers.rebalance import RebalanceProblem, solve_rebalance


def problem(**kw) -> RebalanceProblem:
    big = 10_000
    unit = np.array([[0, 10, 30], [big, 0, big], [big, 5, 0]])
    args = dict(
        nodes=["A", "B", "C"], skus=["X"],
        stock=np.array([[10], [0], [3]]), demand=np.array([[3], [4], [5]]),
        safety=np.array([[2], [0], [0]]), unit_cost=unit, fixed_cost=np.full((3, 3), 20),
        shortfall_cost=np.array([100]),
    )
    args.update(kw)
    return RebalanceProblem(**args)


def moves(plan):
    return sorted((t.src, t.dst, t.qty) for t in plan.transfers)


def test_hand_checked_three_nodes():
    plan = solve_rebalance(problem())
    assert moves(plan) == [("A", "B", 4), ("A", "C", 2)]
    assert plan.shortfall_before_paise == 600
    assert plan.shortfall_after_paise == 0
    assert plan.transfer_cost_paise == 140
    assert plan.saving_paise == 460


def test_budget_keeps_the_best_saving_per_paisa():
    plan = solve_rebalance(problem(budget_paise=100))
    assert moves(plan) == [("A", "B", 4)]
    assert plan.transfer_cost_paise == 60
    assert plan.shortfall_after_paise == 200


def test_min_quantity_raises_or_drops_a_small_transfer():
    # min 5: A->B is raised to 5 (A can spare it); A->C cannot reach 5 from
    # the 3 units A has left above safety, so it is dropped.
    plan = solve_rebalance(problem(min_qty=5))
    assert moves(plan) == [("A", "B", 5)]
    assert plan.transfer_cost_paise == 70


def test_safety_stock_is_never_moved():
    plan = solve_rebalance(problem(safety=np.array([[9], [0], [0]])))
    assert moves(plan) == [("A", "B", 1)]


def test_fixed_lane_cost_above_the_saving_closes_the_lane():
    plan = solve_rebalance(problem(fixed_cost=np.array([[0, 20, 500], [0, 0, 0], [0, 0, 0]])))
    assert moves(plan) == [("A", "B", 4)]


def test_lane_capacity_limits_a_transfer():
    cap = np.full((3, 3), -1)
    cap[0, 1] = 2
    # By hand: A->B 2 (40) + A->C 4 (140) + C->B 2 (30) = 210, nothing short,
    # beats A->B 2 + A->C 2 (120) with B 2 short (200) = 320.
    plan = solve_rebalance(problem(lane_cap=cap))
    assert moves(plan) == [("A", "B", 2), ("A", "C", 4), ("C", "B", 2)]
    assert plan.transfer_cost_paise + plan.shortfall_after_paise == 210


def test_each_transfer_shows_the_saving_that_justifies_it():
    # by hand: A->B 4 avoids 400 of shortfall for 40 + its 20 lane cost -> 340;
    # A->C 2 avoids 200 for 60 + 20 -> 120
    plan = solve_rebalance(problem())
    assert sorted((t.src, t.dst, t.saving_paise) for t in plan.transfers) == [("A", "B", 340), ("A", "C", 120)]


def test_with_a_minimum_lot_no_transfer_loses_money():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n, s = 5, 4
        p = RebalanceProblem(nodes=[f"N{i}" for i in range(n)], skus=[f"S{k}" for k in range(s)],
                             stock=rng.integers(0, 12, (n, s)), demand=rng.integers(0, 8, (n, s)),
                             unit_cost=rng.integers(1, 40, (n, n)), fixed_cost=np.full((n, n), 150),
                             shortfall_cost=rng.integers(20, 120, s), min_qty=3)
        plan = solve_rebalance(p)
        assert all(t.qty >= 3 and t.saving_paise > 0 for t in plan.transfers), plan.transfers

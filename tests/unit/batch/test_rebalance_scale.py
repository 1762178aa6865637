"""Rebalancing at scale: skipping balanced SKUs, batching SKUs into one flow, and the lane fixed cost paid once per lane."""

import numpy as np
from ortools.linear_solver import pywraplp

from omnialloc.solvers.rebalance import RebalanceProblem, flow, solve_rebalance


def random_problem(seed=1, n=6, s=40, fixed=0, min_qty=1, balanced=0) -> RebalanceProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n, 2))
    km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    stock = rng.poisson(4, (n, s))
    demand = rng.poisson(4, (n, s))
    if balanced:  # SKUs where every node holds exactly its forecast: nothing to move
        bal = rng.poisson(4, (n, balanced))
        stock, demand = np.hstack([stock, bal]), np.hstack([demand, bal])
    S = stock.shape[1]
    return RebalanceProblem(
        nodes=[f"N{i}" for i in range(n)], skus=[f"S{k}" for k in range(S)], stock=stock, demand=demand,
        safety=np.minimum(stock, 1), unit_cost=np.rint(km * 3).astype(np.int64) + 20,
        fixed_cost=np.full((n, n), fixed), shortfall_cost=rng.integers(100, 400, S), min_qty=min_qty)


def plan_rows(plan):
    return [(t.src, t.dst, t.sku, t.qty, t.cost_paise) for t in plan.transfers]


def lp_optimum(p: RebalanceProblem) -> int:
    """Transfer + shortfall cost by LP (GLOP), no fixed cost, no minimum: the flows must reach it exactly."""
    N, S = p.stock.shape
    total = 0
    for s in range(S):
        lp = pywraplp.Solver.CreateSolver("GLOP")
        x = {(i, j): lp.NumVar(0, lp.infinity(), "") for i in range(N) for j in range(N) if i != j}
        short = [lp.NumVar(0, lp.infinity(), "") for _ in range(N)]
        for i in range(N):
            lp.Add(sum(x[i, j] for j in range(N) if j != i) <= int(p.stock[i, s] - p.safety[i, s]))
            inflow = sum(x[j, i] for j in range(N) if j != i)
            outflow = sum(x[i, j] for j in range(N) if j != i)
            lp.Add(short[i] >= int(p.demand[i, s]) - (int(p.stock[i, s]) - outflow + inflow))
        lp.Minimize(sum(int(p.unit_cost[i, j]) * v for (i, j), v in x.items())
                    + int(p.shortfall_cost[s]) * sum(short))
        assert lp.Solve() == lp.OPTIMAL
        total += round(lp.Objective().Value())
    return total


def test_flows_reach_the_lp_optimum_without_fixed_cost_or_minimum():
    p = random_problem(seed=3)
    plan = solve_rebalance(p)
    assert plan.transfer_cost_paise + plan.shortfall_after_paise == lp_optimum(p)
    assert plan.stats["saving_bound_paise"] == plan.saving_paise


def test_skipping_balanced_skus_gives_the_same_plan_as_solving_them():
    p = random_problem(seed=5, fixed=300, min_qty=2, balanced=30)
    fast = solve_rebalance(p)
    full = solve_rebalance(p, skip_balanced=False)
    assert fast.stats["skus_solved"] < full.stats["skus_solved"] == len(p.skus)
    assert plan_rows(fast) == plan_rows(full)
    assert fast.saving_paise == full.saving_paise
    assert not any(int(t.sku[1:]) >= 40 for t in fast.transfers)  # the balanced SKUs move nothing


def test_batching_skus_into_one_flow_network_gives_the_same_optimum(monkeypatch):
    p = random_problem(seed=7)
    one = solve_rebalance(p)
    monkeypatch.setattr(flow, "CHUNK", 7)
    batched = solve_rebalance(p)
    assert batched.transfer_cost_paise + batched.shortfall_after_paise == \
        one.transfer_cost_paise + one.shortfall_after_paise


def test_fixed_lane_cost_is_paid_once_per_lane_and_shared_by_its_skus():
    # A has 5 spare of X and of Y, B is short 1 of each: each SKU alone saves 100 - 10 = 90 on A->B,
    # less than the fixed 150; together 180 > 150, so the lane opens once for both.
    unit = np.array([[0, 10], [10, 0]])
    p = RebalanceProblem(nodes=["A", "B"], skus=["X", "Y"], stock=np.array([[5, 5], [0, 0]]),
                         demand=np.array([[0, 0], [1, 1]]), unit_cost=unit, fixed_cost=np.full((2, 2), 150),
                         shortfall_cost=np.array([100, 100]))
    plan = solve_rebalance(p)
    assert plan_rows(plan) == [("A", "B", "X", 1, 85), ("A", "B", "Y", 1, 85)]
    assert plan.transfer_cost_paise == 10 + 10 + 150
    assert plan.saving_paise == 200 - 170
    # one SKU alone cannot pay the lane
    alone = solve_rebalance(RebalanceProblem(nodes=["A", "B"], skus=["X"], stock=np.array([[5], [0]]),
                                             demand=np.array([[0], [1]]), unit_cost=unit,
                                             fixed_cost=np.full((2, 2), 150), shortfall_cost=np.array([100])))
    assert alone.transfers == []


def test_every_opened_lane_pays_its_fixed_cost_and_every_transfer_meets_the_minimum():
    p = random_problem(seed=11, s=60, fixed=300, min_qty=3)
    plan = solve_rebalance(p)
    assert all(t.qty >= 3 for t in plan.transfers)
    assert plan.saving_paise > 0
    assert plan.saving_paise <= plan.stats["saving_bound_paise"]
    # each lane's transfers together save more than its fixed cost: dropping a whole lane never helps
    pos = {c: k for k, c in enumerate(p.nodes)}
    spos = {c: k for k, c in enumerate(p.skus)}
    after = p.stock.astype(np.int64).copy()
    for t in plan.transfers:
        after[pos[t.src], spos[t.sku]] -= t.qty
        after[pos[t.dst], spos[t.sku]] += t.qty
    assert (after >= 0).all()
    assert (after >= np.where(after < p.stock, p.safety, 0)).all()  # safety stock never leaves
    lanes = {(t.src, t.dst) for t in plan.transfers}
    for lane in lanes:
        rest = [t for t in plan.transfers if (t.src, t.dst) != lane]
        a2 = p.stock.astype(np.int64).copy()
        for t in rest:
            a2[pos[t.src], spos[t.sku]] -= t.qty
            a2[pos[t.dst], spos[t.sku]] += t.qty
        short2 = int((np.maximum(p.demand - a2, 0).sum(0) * p.shortfall_cost).sum())
        saving2 = plan.shortfall_before_paise - short2 - sum(t.cost_paise for t in rest)
        assert saving2 <= plan.saving_paise

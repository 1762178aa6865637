"""Fixed-charge batches (a pickup charge per node used) against a plain HiGHS MIP (issue 22).

    .venv/bin/python -m benchmarks.batch_fixed_bench --nodes 50 100 --orders 1000 --seeds 0 1

Instances in the style of capacitated facility location: orders of 1-3 lines
at random points, every node a candidate (a cost matrix: one shipment from
node n costs the distance-priced entry whatever it holds), stock of each SKU
at about half the nodes, and a fixed cost per node used of 2-6x a typical
shipment. The reference is a compact MIP (reference/fixed_charge.py), independent of the
batch solver's pattern model: z_ln (line l from node n), s_on (order o ships
from n) >= z_ln, y_n (node open) >= s_on, u_l (unfilled); stock rows; solved by
HiGHS with a time limit (its final gap is reported). The batch solver runs
with its default work limits; its CPU seconds are reported beside the wall
seconds (the machine is shared). "plan vs batch bound" is the gap the batch
proves by itself (plan / its own bound - 1): an upper limit on how far the
plan is from the optimum whatever the reference finds in its time limit.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from omnialloc.solvers.batch import BatchProblem, solve_batch

from .reference.fixed_charge import compact_fixed_charge


def instance(n_nodes: int, n_orders: int, seed: int, n_skus: int = 40) -> BatchProblem:
    rng = np.random.default_rng(seed)
    nodes = rng.uniform(0, 1000, (n_nodes, 2))
    dest = rng.uniform(0, 1000, (n_orders, 2))
    km = np.linalg.norm(dest[:, None, :] - nodes[None, :, :], axis=2)
    cost = (3000 + 8 * km).astype(np.int64)
    lines = rng.choice([1, 2, 3], size=n_orders, p=[0.5, 0.3, 0.2])
    demand = np.zeros(n_skus, dtype=np.int64)
    order_lines = []
    for o in range(n_orders):
        skus = rng.choice(n_skus, size=lines[o], replace=False)
        qty = rng.choice([1, 1, 2], size=lines[o])
        demand[skus] += qty
        order_lines.append([(f"L{i}", f"S{s}", int(q), 500, 10_000) for i, (s, q) in enumerate(zip(skus, qty))])
    bp = BatchProblem()
    typical = int(np.median(cost))
    stock = np.zeros((n_nodes, n_skus), dtype=np.int64)
    for s in range(n_skus):
        at = rng.choice(n_nodes, size=max(1, n_nodes // 2), replace=False)
        stock[at, s] = np.ceil(demand[s] * 1.3 * rng.dirichlet(np.ones(len(at))) + 1).astype(np.int64)
    for n in range(n_nodes):
        bp.add_node(f"N{n}", {f"S{s}": int(stock[n, s]) for s in range(n_skus) if stock[n, s]},
                    fixed_cost_paise=int(rng.integers(2, 7) * typical))
    for o in range(n_orders):
        bp.add_order(f"O{o}", order_lines[o], unfilled_penalty_paise_per_unit=200_000)
        for n in range(n_nodes):
            bp.set_cost(f"O{o}", f"N{n}", int(cost[o, n]))
    return bp


def reference_mip(d, time_limit: float) -> tuple[float, float, float]:
    """(objective, dual bound, seconds) of the compact MIP (reference/fixed_charge.py)."""
    t0 = time.perf_counter()
    obj, bound, _status = compact_fixed_charge(d, rel_gap=1e-4, time_limit=time_limit)
    return obj, bound, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, nargs="+", default=[50, 100])
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--mip-time-limit", type=float, default=600.0)
    a = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus; "
          f"load average {os.getloadavg()[0]:.2f} (shared with other work: timings are pessimistic)")
    print("| nodes x orders | seed | batch plan | batch s (CPU) | batch bound | path | HiGHS MIP best | MIP bound |"
          " MIP s | plan vs best known | bound / best known | plan vs batch bound |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for N in a.nodes:
        for seed in a.seeds:
            d = instance(N, a.orders, seed).compile()
            t0, c0 = time.perf_counter(), time.process_time()
            plan = solve_batch(d)
            t_batch, c_batch = time.perf_counter() - t0, time.process_time() - c0
            obj, lb, t_mip = reference_mip(d, a.mip_time_limit)
            best = min(obj, plan.objective)
            path = plan.method + (f" ({plan.stats['reduced_mip_patterns']} cols)" if "reduced_mip" in plan.stats else "")
            print(f"| {N} x {a.orders} | {seed} | {plan.objective} | {t_batch:.1f} ({c_batch:.1f}) | {plan.bound:.0f} | "
                  f"{path} | {obj:.0f} | {lb:.0f} | {t_mip:.1f} | {100 * (plan.objective / best - 1):+.2f}% | "
                  f"{100 * plan.bound / best:.1f}% | {100 * (plan.objective / plan.bound - 1):+.2f}% |", flush=True)
            assert plan.bound <= max(lb, obj) + 1e-6 * obj or lb < obj  # never above a proven optimum


if __name__ == "__main__":
    main()

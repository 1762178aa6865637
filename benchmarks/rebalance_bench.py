"""Rebalancing benchmark: N nodes x S SKUs, batched per-SKU min-cost flows.

Wall time and CPU time (time.process_time, which other processes on a shared
machine do not inflate) are both printed, with the load average.

    .venv/bin/python benchmarks/rebalance_bench.py --nodes 50 --skus 20000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from omnialloc.geo.distance import haversine_matrix_km
from omnialloc.solvers.rebalance import RebalanceProblem, solve_rebalance


def generate(n_nodes=50, n_skus=20_000, seed=0) -> RebalanceProblem:
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(9, 30, n_nodes), rng.uniform(70, 90, n_nodes)
    km = haversine_matrix_km(lat, lon, lat, lon)
    rate = 0.5  # paise per unit-km
    unit = np.round(km * rate).astype(np.int64) + 200
    mean = rng.gamma(1.0, 4.0, n_skus)
    demand = rng.poisson(mean[None, :] * rng.uniform(0.2, 2.0, (n_nodes, 1)))
    stock = rng.poisson(mean[None, :] * rng.uniform(0.2, 2.0, (n_nodes, 1)))
    safety = np.minimum(stock, 1)
    return RebalanceProblem(
        nodes=[f"N{i}" for i in range(n_nodes)], skus=[f"S{i}" for i in range(n_skus)],
        stock=stock, demand=demand, safety=safety, unit_cost=unit,
        fixed_cost=np.full((n_nodes, n_nodes), 1500), shortfall_cost=rng.integers(1000, 20000, n_skus),
        min_qty=2,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--skus", type=int, default=20_000)
    a = ap.parse_args()
    p = generate(a.nodes, a.skus)
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    plan = solve_rebalance(p)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"nodes": a.nodes, "skus": a.skus, "solve_s": round(wall, 2), "cpu_s": round(cpu, 2),
                      "load_avg_start_end": [round(load0, 2), round(os.getloadavg()[0], 2)],
                      "transfers": len(plan.transfers), "shortfall_before": plan.shortfall_before_paise,
                      "shortfall_after": plan.shortfall_after_paise, "transfer_cost": plan.transfer_cost_paise,
                      "saving": plan.saving_paise, "stats": plan.stats, "machine": platform.platform()}, indent=1))


if __name__ == "__main__":
    main()

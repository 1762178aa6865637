"""Batch re-optimization benchmark: synthetic India-like network.

    .venv/bin/python benchmarks/batch_bench.py --orders 10000 --nodes 50 --skus 2000
    .venv/bin/python benchmarks/batch_bench.py --orders 100000 --dask

Orders get 1-3 lines (Zipf SKU popularity), a destination, and lanes to
their K nearest nodes priced by distance (slabbed, COD for 30%). Stock
covers ~120% of demand per SKU overall but is spread unevenly, so it is
scarce at the cheap nodes; shipment capacity binds at the busiest nodes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from omnialloc.geo.distance import haversine_matrix_km
from omnialloc.solvers.batch.problem import BatchData


def generate(n_orders=10_000, n_nodes=50, n_skus=2_000, k_nodes=8, seed=0, cap_factor=1.5) -> BatchData:
    rng = np.random.default_rng(seed)
    node_lat = rng.uniform(9, 30, n_nodes)
    node_lon = rng.uniform(70, 90, n_nodes)
    o_lat = rng.uniform(9, 30, n_orders)
    o_lon = rng.uniform(70, 90, n_orders)
    nlines = rng.choice([1, 2, 3], size=n_orders, p=[0.5, 0.3, 0.2])
    line_order = np.repeat(np.arange(n_orders), nlines)
    nL = len(line_order)
    pop = 1.0 / np.arange(1, n_skus + 1) ** 0.8
    pop /= pop.sum()
    line_sku = rng.choice(n_skus, size=nL, p=pop)
    # no duplicate SKU within an order: shift duplicates
    for _ in range(3):
        prev_same = np.zeros(nL, dtype=bool)
        prev_same[1:] = (line_order[1:] == line_order[:-1]) & (line_sku[1:] == line_sku[:-1])
        line_sku[prev_same] = (line_sku[prev_same] + 1) % n_skus
    line_qty = rng.choice([1, 1, 1, 2, 3], size=nL)
    sku_w = rng.integers(100, 2500, n_skus)
    sku_v = rng.integers(20_000, 500_000, n_skus)
    demand = np.bincount(line_sku, weights=line_qty, minlength=n_skus)
    # stock: each SKU at ~50% of nodes, total ~120% of demand, uneven shares
    stock = np.zeros((n_nodes, n_skus), dtype=np.int64)
    for s in range(n_skus):
        k = max(1, int(rng.binomial(n_nodes, 0.5)))
        nodes = rng.choice(n_nodes, size=k, replace=False)
        share = rng.dirichlet(np.ones(k))
        stock[nodes, s] = np.floor(share * demand[s] * 1.2 + rng.random(k)).astype(np.int64)
    dist = haversine_matrix_km(o_lat, o_lon, node_lat, node_lon)  # (O, N)
    near = np.argsort(dist, axis=1)[:, :k_nodes]
    cand_order = np.repeat(np.arange(n_orders), k_nodes)
    cand_node = near.reshape(-1)
    km = dist[cand_order, cand_node]
    first = (2500 + 3.0 * km).astype(np.int64)
    add = (first * 0.6).astype(np.int64)
    ships_per_node = np.bincount(near[:, 0], minlength=n_nodes)
    cap = np.maximum((ships_per_node * cap_factor).astype(np.int64), 20)
    nC = len(cand_order)
    return BatchData(
        order_ids=[f"O{i}" for i in range(n_orders)],
        node_codes=[f"N{i}" for i in range(n_nodes)],
        skus=[f"S{i}" for i in range(n_skus)],
        line_ids=[f"L{i}" for i in range(nL)],
        line_order=line_order,
        line_sku=line_sku,
        line_qty=line_qty,
        line_w=sku_w[line_sku],
        line_v=sku_v[line_sku],
        line_vol=np.zeros(nL, dtype=np.int64),
        order_cod=rng.random(n_orders) < 0.3,
        order_pen=np.full(n_orders, 50_000, dtype=np.int64),
        stock=stock,
        cap=cap,
        fixed=np.zeros(n_nodes, dtype=np.int64),
        handling=rng.integers(500, 1500, n_nodes),
        cand_order=cand_order,
        cand_node=cand_node,
        lane_first=first,
        lane_add=add,
        lane_slab=np.full(nC, 500),
        lane_div=np.full(nC, 5000),
        lane_cod_fixed=np.full(nC, 3000),
        lane_cod_bp=np.full(nC, 150),
        lane_carrier=["C1"] * nC,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--skus", type=int, default=2_000)
    ap.add_argument("--k", type=int, default=12)
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--dask", action="store_true")
    ap.add_argument("--decompose", action="store_true")
    ap.add_argument("--chunk", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    d = generate(a.orders, a.nodes, a.skus, a.k, a.seed)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    if a.dask or a.decompose:
        from omnialloc.solvers.batch.decompose import solve_decomposed

        plan = solve_decomposed(d, time_limit=a.time_limit, chunk_orders=a.chunk, dask=a.dask)
        extra = {"components": plan.n_components, "largest_component": plan.largest_component,
                 "chunks": len(plan.parts), "stats": [p.stats for p in plan.parts[:3]]}
    else:
        from omnialloc.solvers.batch.solve import solve_batch

        plan = solve_batch(d, time_limit=a.time_limit)
        extra = {"stats": plan.stats, "method": plan.method}
    wall = time.perf_counter() - t0
    out = {
        "orders": a.orders, "nodes": a.nodes, "skus": a.skus, "k": a.k,
        "generate_s": round(t_gen, 2), "solve_s": round(wall, 2),
        "objective": plan.objective, "bound": plan.bound,
        "gap_pct": None if plan.gap is None else round(100 * plan.gap, 3),
        "gap_split": {k: round(v) for k, v in plan.gap_split().items()},
        "totals": plan.totals, "machine": platform.platform(), "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
        **extra,
    }
    print(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()

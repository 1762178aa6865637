"""Batch re-optimization benchmark: synthetic India-like network.

    .venv/bin/python benchmarks/batch_bench.py --orders 10000 --nodes 50 --skus 2000
    .venv/bin/python benchmarks/batch_bench.py --orders 100000 --dask
    .venv/bin/python benchmarks/batch_bench.py --orders 50000 --max-lines 4 --cluster --true-lp

`--cluster` starts a real `dask scheduler` and two `dask worker` processes on
loopback (not a LocalCluster) and solves through the scheduler's address;
`--true-lp` then solves the full pattern LP once, offline and unlimited, to
compare the plan and the reported bound with the true LP value.

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


def generate(n_orders=10_000, n_nodes=50, n_skus=2_000, k_nodes=8, seed=0, cap_factor=1.5,
             max_lines: int = 3) -> BatchData:
    rng = np.random.default_rng(seed)
    node_lat = rng.uniform(9, 30, n_nodes)
    node_lon = rng.uniform(70, 90, n_nodes)
    o_lat = rng.uniform(9, 30, n_orders)
    o_lon = rng.uniform(70, 90, n_orders)
    shares = {3: [0.5, 0.3, 0.2], 4: [0.45, 0.3, 0.15, 0.1]}[max_lines]
    nlines = rng.choice(np.arange(1, max_lines + 1), size=n_orders, p=shares)
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


def start_cluster(workers: int = 2):
    """A real Dask cluster on loopback: `dask scheduler` and `workers` x `dask worker` (1 thread each) as
    processes of their own. Returns (processes, scheduler address)."""
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    addr = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen(dask + ["--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    for _ in range(workers):
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", addr, "--nthreads", "1",
                                       "--nworkers", "1", "--dashboard-address", ":0", "--host", "127.0.0.1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from dask.distributed import Client

    deadline = time.time() + 120
    while True:
        try:
            with Client(addr, timeout=5) as c:
                if len(c.scheduler_info()["workers"]) >= workers:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError("the dask cluster did not come up")
        time.sleep(1)
    return procs, addr


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
    ap.add_argument("--max-lines", type=int, default=3, choices=[3, 4])
    ap.add_argument("--cluster", action="store_true",
                    help="start a dask scheduler and 2 dask worker processes and solve through them")
    ap.add_argument("--true-lp", action="store_true", help="solve the full LP offline afterwards, for comparison")
    a = ap.parse_args()
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    d = generate(a.orders, a.nodes, a.skus, a.k, a.seed, max_lines=a.max_lines)
    t_gen = time.perf_counter() - t0
    procs, scheduler = [], None
    if a.cluster:
        procs, scheduler = start_cluster(workers=2)
    t0 = time.perf_counter()
    if a.dask or a.decompose or a.cluster:
        from omnialloc.solvers.batch.decompose import solve_decomposed

        try:
            plan = solve_decomposed(d, time_limit=a.time_limit, chunk_orders=a.chunk, dask=a.dask,
                                    scheduler=scheduler)
        finally:
            for p in procs:
                p.terminate()
                p.wait(timeout=30)
        extra = {"components": plan.n_components, "largest_component": plan.largest_component,
                 "chunks": len(plan.parts), "stats": [p.stats for p in plan.parts[:3]]}
    else:
        from omnialloc.solvers.batch.solve import solve_batch

        plan = solve_batch(d, time_limit=a.time_limit)
        extra = {"stats": plan.stats, "method": plan.method}
    wall = time.perf_counter() - t0
    print(json.dumps({"solve_s": round(wall, 2), "objective": plan.objective, "bound": plan.bound}), flush=True)
    if a.true_lp:
        from omnialloc.solvers.batch.model import solve_model
        from omnialloc.solvers.batch.patterns import build_patterns

        t1 = time.perf_counter()
        lp = solve_model(d, build_patterns(d))
        extra.update(true_lp=lp.bound, true_lp_status=lp.status, true_lp_s=round(time.perf_counter() - t1, 1),
                     plan_vs_true_lp_pct=None if not lp.bound else round(100 * (plan.objective / lp.bound - 1), 3),
                     bound_share_of_true_lp_pct=None if not (lp.bound and plan.bound)
                     else round(100 * plan.bound / lp.bound, 2))
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

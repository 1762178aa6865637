"""Where the batch's large path spends its CPU, at a size that runs in minutes (issue 22).

    .venv/bin/python benchmarks/batch_large_profile.py --orders 10000
    .venv/bin/python benchmarks/batch_large_profile.py --orders 10000 --remainder-option presolve=off

The 50,000-order benchmark (`batch_bench.py --cluster --true-lp`) takes over 20 minutes on the shared
machine, too long to profile. This runs the same synthetic instance (50 nodes x 2,000 SKUs, 1-4 lines) at a
smaller size, forced onto the large path (Lagrangian bound, regions of `--region-orders`, each an LP and a
MIP over its fractional remainder) and prints, for every HiGHS model the batch solves, its size, status, wall
and CPU seconds, then the path's own step timings. CPU seconds are the figure to compare on a loaded
machine (the wall clock there counts the other processes' turns). `--remainder-option name=value` sets a
HiGHS option on the MIPs only and `--remainder-max` caps the remainder MIP's columns (to try how the
remainder could be solved faster; past the cap the remainder is planned order by order at the LP's duals).
"""

from __future__ import annotations

import argparse
import time

from batch_bench import generate

from omnialloc.solvers.batch import large, model, solve


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--region-orders", type=int, default=None, help="orders per region (default: one region)")
    ap.add_argument("--remainder-option", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--remainder-max", type=int, default=None,
                    help=f"pattern columns of a region's remainder MIP (default {solve.MIP_REMAINDER_MAX_PATTERNS:,})")
    args = ap.parse_args()
    d = generate(n_orders=args.orders, n_nodes=50, n_skus=2_000, k_nodes=12, max_lines=4)
    large.REGION_ORDERS = args.region_orders or args.orders
    options = [o.split("=", 1) for o in args.remainder_option]

    quiet = model.quiet_highs
    plain = model.solve_model

    def highs_for_mip():
        h = quiet()
        for name, value in options:
            h.setOptionValue(name, {"true": True, "false": False}.get(value, value))
        return h

    def timed(*a, **kw):
        wall, cpu = time.perf_counter(), time.process_time()
        if kw.get("integer") and options:
            model.quiet_highs = highs_for_mip
        try:
            r = plain(*a, **kw)
        finally:
            model.quiet_highs = quiet
        print(f"{'MIP' if kw.get('integer') else 'LP '} {r.n_cols:>8,} columns {r.n_rows:>7,} rows  {r.status:<12} "
              f"wall {time.perf_counter() - wall:6.1f} s  cpu {time.process_time() - cpu:6.1f} s", flush=True)
        return r

    solve.solve_model = timed
    region_max = args.remainder_max or solve.MIP_REMAINDER_MAX_PATTERNS

    def region(sub, time_limit):
        plan = solve.solve_batch(sub, method="lp", time_limit=time_limit, mip_remainder_max=region_max)
        print(f"region: {sub.n_orders:,} orders, {plan.stats.get('fractional_orders')} fractional in the LP, "
              f"{plan.stats.get('remainder_orders')} in the remainder ({plan.stats.get('remainder', 'MIP')})")
        return plan

    solve.solve_region = region
    wall, cpu = time.perf_counter(), time.process_time()
    plan = solve.solve_batch(d, time_limit=3600, lp_max_patterns=1)  # 1: always the large path
    print(f"whole: wall {time.perf_counter() - wall:.1f} s, cpu {time.process_time() - cpu:.1f} s; "
          f"plan {plan.objective:,.0f}, bound {plan.bound:,.0f} ({plan.objective / plan.bound - 1:+.2%})")
    for k, v in plan.stats.items():
        if k.startswith("t_") or k in ("patterns", "regions", "fractional_orders", "remainder_orders"):
            print(f"  {k}: {v}")


if __name__ == "__main__":
    main()

"""One benchmark run end to end: scenario -> runner -> clairvoyant plan and bound -> CSV, markdown, PNGs.

`bench_run(...)` is what `omnialloc bench run` and `make bench` call.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import clairvoyant, plots, runner
from .scenarios import get_scenario

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# The own LP bound grows with orders x nodes: 194 s by interior point for 2,000 orders x 100 nodes
# (load ~6 on 2 vCPU); above this many orders it is skipped and said so (the batch plan still runs).
CLAIRVOYANT_MAX_ORDERS = 5_000


@dataclass
class BenchOutput:
    name: str
    rows: list[dict]
    markdown: str
    csv_path: Path
    md_path: Path
    pngs: list[Path]
    result: runner.RunResult
    wall_s: float


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    import os

    return f"{model}, {os.cpu_count()} cores (shared), Python {platform.python_version()}"


def load_average() -> str:
    import os

    return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1/5/15 min)"


def _fmt(x, spec: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format(x, spec)


def markdown_table(rows: list[dict], unit: str) -> str:
    head = ("| strategy | cost/order | total cost | vs optimal | gap closed | shipments/order | split | fill | "
            "unfilled units | SLA hit | mean km | solve p50 / p99 / max (ms) |")
    sep = "|" + "---|" * 12
    lines = [head, sep]
    for r in rows:
        lines.append(
            f"| {r['strategy']} | {_fmt(r['cost_per_order'], ',.2f')} | {_fmt(r['total_cost'], ',.0f')} | "
            f"{_fmt(r['vs_optimal_pct'], '+.2f')}% | {_fmt(r['gap_closed'] * 100 if r['gap_closed'] == r['gap_closed'] else float('nan'), '.1f')}% | "
            f"{_fmt(r['shipments_per_order'], '.3f')} | {_fmt(r['split_rate'] * 100, '.1f')}% | "
            f"{_fmt(r['fill_rate'] * 100, '.2f')}% | {_fmt(r['unfilled_units'], ',.0f')} | "
            f"{_fmt(r['sla_hit_rate'] * 100, '.1f')}% | {_fmt(r['mean_km'], ',.0f')} | "
            f"{_fmt(r['solve_ms_p50'], '.2f')} / {_fmt(r['solve_ms_p99'], '.1f')} / {_fmt(r['solve_ms_max'], '.0f')} |"
        )
    return "\n".join(lines) + f"\n\nMoney in {unit}. "


def bench_run(scenario: str, orders: int, strategies: str, seed: int, *, out_dir: Path | None = None,
              check: bool = True, progress: bool = True, time_limit_ms: float = 200,
              command: str | None = None, workers: int = 2, bound_time_limit_s: float = 600.0) -> BenchOutput:
    t0 = time.perf_counter()
    out_dir = Path(out_dir) if out_dir else RESULTS_DIR
    names = runner.parse_strategies(strategies)
    sc = get_scenario(scenario, orders, seed)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=orders, desc=f"{sc.name} x {len([n for n in names if n != runner.CLAIRVOYANT])} strategies",
                   unit="order", mininterval=1.0)
    try:
        result = runner.run(sc, names, check=check, time_limit_ms=time_limit_ms,
                            progress=bar.update if bar is not None else None, workers=workers)
    finally:
        if bar is not None:
            bar.close()
    if runner.CLAIRVOYANT in names:
        result.clairvoyant = {
            "plan": clairvoyant.batch_optimum(sc, time_limit_s=bound_time_limit_s),
            "bound": None,
        }
        if orders <= CLAIRVOYANT_MAX_ORDERS:
            bound = clairvoyant.lp_bound(sc, time_limit_s=bound_time_limit_s)
            result.clairvoyant["bound"] = bound if bound["cost"] is not None else None
            result.clairvoyant["bound_attempt"] = bound
    rows = runner.summarize(result)
    stem = f"{sc.name}-{orders}-s{seed}"
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{stem}.csv"
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    if result.violations:
        with open(out_dir / f"{stem}-violations.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["order_id", "baseline", "baseline_cost", "optimal_cost", "optimal_status"])
            for v in result.violations:
                w.writerow([v.order_id, v.baseline, v.baseline_cost, v.optimal_cost, v.optimal_status])
    pngs = plots.all_plots(result, rows, out_dir, stem)
    wall = time.perf_counter() - t0
    md = _markdown(result, rows, command or f"omnialloc bench run --scenario {scenario} --orders {orders} "
                   f"--strategies {strategies} --seed {seed}", wall, names, pngs)
    md_path = out_dir / f"{stem}.md"
    md_path.write_text(md)
    return BenchOutput(stem, rows, md, csv_path, md_path, pngs, result, wall)


def _markdown(result: runner.RunResult, rows: list[dict], command: str, wall: float, names: list[str], pngs) -> str:
    sc = result.scenario
    online_s = sum(v for k, v in result.wall_s.items() if k not in ("check", "prices", "cpu"))
    clair = result.clairvoyant or {}
    clair_s = sum(c.get("wall_s", 0.0) for c in (clair.get("plan"), clair.get("bound_attempt")) if c)
    parts = [
        f"Command: `{command}`  ",
        f"Scenario: {sc.name}, {sc.n_orders:,} orders, seed {sc.seed}, {len(sc.nodes)} nodes, {len(sc.skus)} SKUs, "
        f"{int(sc.stock0.sum()):,} units of stock at the start  ",
        f"Machine: {machine()}, load average {load_average()}  ",
        f"Date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}  ",
        f"Wall time: {wall:,.1f} s in all, of which {result.run_wall_s:,.1f} s for the online strategies in "
        f"{result.workers} process(es) and {clair_s:,.1f} s for the clairvoyant plan and bound. Summed over the "
        f"processes: {online_s:,.1f} s solving the online strategies incl. model build, "
        f"{result.wall_s.get('check', 0.0):,.1f} s re-solving optimal on each baseline's state for the "
        f"never-costlier check, {result.wall_s.get('prices', 0.0):,.1f} s refreshing the lookahead prices. "
        f"CPU time of the online strategies, summed over the processes: {result.wall_s.get('cpu', 0.0):,.1f} s "
        "(on a shared machine, the better guide to what the run needs with the cores to itself)",
        "",
        markdown_table(rows, sc.money_unit),
    ]
    clair = result.clairvoyant or {}
    if clair.get("plan") is not None:
        c = clair["plan"]
        parts.append(
            f"Clairvoyant plan: {c['label']}, {c['method']} ({c['wall_s']:.1f} s): a feasible plan knowing every order, "
            f"so its cost is an upper estimate of the clairvoyant optimum. Its pattern-LP bound "
            f"({c['bound'] / sc.money_divisor:,.0f} {sc.money_unit}) holds for whole-line plans only (the online "
            "policies may split a line across nodes), so the gap is not measured against it."
            if c.get("bound") is not None else f"Clairvoyant plan: {c['label']} ({c['wall_s']:.1f} s)."
        )
    attempt = clair.get("bound_attempt")
    if clair.get("bound") is not None:
        c = clair["bound"]
        parts.append(
            f"Clairvoyant bound: {c['label']} ({c['rows']:,} rows x {c['cols']:,} columns, {c['wall_s']:.1f} s), valid "
            "for every plan. 'gap closed' = (myopic - policy) / (myopic - bound); because the true clairvoyant "
            "optimum lies between the bound and the best plan known, this understates the share closed."
        )
    elif runner.CLAIRVOYANT in names:
        why = attempt["label"] if attempt else f"more than {CLAIRVOYANT_MAX_ORDERS:,} orders"
        parts.append(f"Clairvoyant bound: not available ({why}), so 'gap closed' is not reported.")
    parts.append(
        f"Never-costlier check: optimal re-solved on {result.checks:,} (order, baseline state) pairs; "
        f"{len(result.violations)} violation(s)." if result.checks else "Never-costlier check: off."
    )
    errors = {k: v for k, v in runner.SOLVER_ERRORS.items() if v}
    if errors:
        parts.append(
            "Solver errors: the optimal solve raised on "
            + ", ".join(f"{len(v)} {k} solve(s)" for k, v in errors.items())
            + "; each was re-solved with method=\"mip\" (counted in statuses as solver_error_retried_as_mip). "
            f"First: `{next(iter(errors.values()))[0][:300]}`"
        )
    parts.append("")
    parts.extend(f"![{p.stem}]({p.name})" for p in pngs)
    return "\n".join(parts) + "\n"

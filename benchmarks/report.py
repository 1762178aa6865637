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

from . import RESULTS_DIR, clairvoyant, plots, runner
from .scenarios import get_scenario

# The own LP bound grows with orders x nodes: 194 s by interior point for 2,000 orders x 100 nodes
# (load ~6 on 2 vCPU) and it is much weaker than the Lagrangian bound; above this many orders it is
# skipped, and so is the batch solver's whole-line plan (653 s at 20,000 orders), a reference only.
CLAIRVOYANT_MAX_ORDERS = 5_000
BOUND_ROW = "clairvoyant_bound"
# Column generation needs ~10 passes over the orders to lift the Lagrangian bound clearly above its
# start (2,000 orders: 1.00M -> 1.09M Rs in ~150 s at load 2-4); small runs can afford that.
SMALL_RUN_BOUND_BUDGET_S = 150.0


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
              command: str | None = None, workers: int = 2, bound_time_limit_s: float = 600.0,
              bound_budget_s: float | None = None) -> BenchOutput:
    """`bound_budget_s`: seconds for the Lagrangian bound, start prices included (its first pass
    always runs; 0: the bound at the starting prices only); by default clairvoyant.BOUND_BUDGET_S,
    and at least SMALL_RUN_BOUND_BUDGET_S up to CLAIRVOYANT_MAX_ORDERS orders, where the LP bound
    takes minutes anyway; `bound_time_limit_s`: the LP bound's and the
    whole-line batch plan's limit, both only run up to CLAIRVOYANT_MAX_ORDERS orders."""
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
        small = orders <= CLAIRVOYANT_MAX_ORDERS
        if bound_budget_s is None:
            bound_budget_s = clairvoyant.BOUND_BUDGET_S
            if small:
                bound_budget_s = max(bound_budget_s, SMALL_RUN_BOUND_BUDGET_S)
        clair = clairvoyant.references(sc, bound_budget_s=bound_budget_s, workers=workers,
                                       with_lp=small, with_whole_lines=small, lp_time_limit_s=bound_time_limit_s,
                                       time_limit_ms=time_limit_ms)
        # The clairvoyant plan is a run of the single-order solver like the online policies: it gets
        # their metrics (SLA, km, solve times) from the same log; its row comes after theirs.
        result.logs[runner.CLAIRVOYANT] = clair["plan_log"]
        result.wall_s[runner.CLAIRVOYANT] = clair["plan_s"]
        result.clairvoyant = clair
    rows = runner.summarize(result)
    for r in rows:   # the runner names it for the LP; it is whichever valid bound is higher (see notes)
        if r["strategy"] == runner.CLAIRVOYANT_BOUND:
            r["strategy"] = BOUND_ROW
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


def _money(sc, paise: float) -> str:
    return f"{paise / sc.money_divisor:,.0f} {sc.money_unit}"


def clairvoyant_notes(result: runner.RunResult) -> list[str]:
    """What the clairvoyant rows are, how they were computed and how long they took."""
    sc, clair = result.scenario, result.clairvoyant
    out = []
    plan = result.logs.get(runner.CLAIRVOYANT)
    if plan is not None:
        st = clair["plan_stats"]
        out.append(
            f"Clairvoyant plan (row {runner.CLAIRVOYANT}, {clair['plan_s']:.1f} s): the orders in arrival order "
            "against the depleting stock, each at the single-order solver's exact optimum with per-unit stock "
            "prices computed from the *real* orders (where the clairvoyant bound below is best: the same strategy "
            "as optimal_lookahead with clairvoyant, fixed prices; the bound's own per-order optima are reused "
            f"where they still fit the stock, {st['resolved']:,} orders solved again). It plays by the online "
            "policies' rules (lines may split across nodes or be part-filled) and is feasible, so its cost is an "
            "upper estimate of the clairvoyant optimum, not the optimum.")
    b = clair.get("bound")
    lag = clair.get("lagrangian")
    if lag is not None:
        out.append(
            f"Clairvoyant bound ({f'row {BOUND_ROW}' if b is lag else f'not the {BOUND_ROW} row here: the LP bound below is higher'}): "
            f"{lag['label']}, "
            f"L(prices) = sum over orders of min(cost + prices x units taken) - prices x starting stock, "
            f"each order's minimum the solver's proven optimum (or proven bound: {lag['unproven']} order(s)) "
            f"against the starting stock: {_money(sc, lag['cost'])}, "
            f"{lag['method']}, {lag['wall_s']:.1f} s wall, {lag['cpu_s']:.1f} CPU-s (at the starting prices: "
            f"{_money(sc, lag['start_cost'])}"
            + (f"; no choice of prices can lift it above {_money(sc, lag['master'])}, the value of the column-generation "
               "master over the plans found" if lag.get("master") else "") + "). "
            "Valid for every plan of every policy, online or not, for any prices >= 0. 'gap closed' = (myopic - "
            "policy) / (myopic - bound); the clairvoyant optimum lies between the bound and the cheapest plan "
            "known, so the share closed is understated, by at most the gap between the two.")
        if lag.get("stale_certificate"):
            out.append(f"Certification: benchmarks/results/{lag['stale_certificate']} holds prices for another version "
                       "of this scenario (its fingerprint of orders, stock and costs differs), so it was not used; "
                       "`omnialloc bench bound` with the command recorded in it makes a new one.")
        rec = lag.get("stored")
        if rec is not None:
            out.append(
                f"Certification: the start prices come from `{rec['command']}` (stored in "
                f"benchmarks/results/, {rec['steps']} column-generation step(s) counted, not timed, so any machine "
                f"gets the same prices; {rec['wall_s']:,.0f} s and {rec['cpu_s']:,.0f} CPU-s on {rec['date']}). "
                f"This run evaluated L at them itself, every order solved again: "
                f"{_money(sc, lag['start_cost'])} (the certification run: {_money(sc, rec['L_paise'])}). The file "
                "is only reused, not trusted: any prices >= 0 give a valid bound, and a file whose scenario "
                "fingerprint (orders, stock, costs) differs is ignored.")
    lp = clair.get("lp_bound")
    if lp is not None:
        lp_text = (f"{_money(sc, lp['cost'])} ({lp['rows']:,} rows x {lp['cols']:,} columns, {lp['wall_s']:.1f} s)"
                   if lp["cost"] is not None else f"not available ({lp['label']}, {lp['wall_s']:.1f} s)")
        used = b is lp
        out.append(f"The own LP bound (linear under-estimates of every cost; valid for every plan, not a plan): "
                   f"{lp_text}" + ("; it is above the Lagrangian bound here, so the gap is measured against it."
                                   if used else "; the gap is measured against the higher Lagrangian bound."))
    whole = clair.get("whole_lines")
    if whole is not None:
        out.append(
            f"Reference only: the batch solver's plan (solvers/batch, {whole['method']}, {whole['wall_s']:.1f} s) "
            f"costs {_money(sc, whole['cost'])} with {whole['fill_rate'] * 100:.2f}% fill. It plays by other rules: "
            "every line goes whole to one node or stays whole unfilled (a 3-unit line that no single node can "
            "fill is backordered whole, where the online policies split or part-fill it), hence its lower fill; "
            f"its pattern-LP bound ({_money(sc, whole['bound'])}) holds for whole-line plans only."
            if whole.get("bound") is not None else
            f"Reference only: the batch solver's whole-line plan ({whole['wall_s']:.1f} s) costs "
            f"{_money(sc, whole['cost'])}.")
    return out


def _markdown(result: runner.RunResult, rows: list[dict], command: str, wall: float, names: list[str], pngs) -> str:
    sc = result.scenario
    online_s = sum(v for k, v in result.wall_s.items() if k not in ("check", "prices", "cpu", runner.CLAIRVOYANT))
    clair = result.clairvoyant or {}
    parts = [
        f"Command: `{command}`  ",
        f"Scenario: {sc.name}, {sc.n_orders:,} orders, seed {sc.seed}, {len(sc.nodes)} nodes, {len(sc.skus)} SKUs, "
        f"{int(sc.stock0.sum()):,} units of stock at the start  ",
        f"Machine: {machine()}, load average {load_average()}  ",
        f"Date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}  ",
        f"Wall time: {wall:,.1f} s in all, of which {result.run_wall_s:,.1f} s for the online strategies in "
        f"{result.workers} process(es) and {clair.get('wall_s', 0.0):,.1f} s for the clairvoyant plan and bounds "
        f"({clair.get('cpu_s', 0.0):,.1f} CPU-s). "
        f"Summed over the processes: {online_s:,.1f} s solving the online strategies incl. model build, "
        f"{result.wall_s.get('check', 0.0):,.1f} s re-solving optimal on each baseline's state for the "
        f"never-costlier check, {result.wall_s.get('prices', 0.0):,.1f} s refreshing the lookahead prices. "
        f"CPU time of the online strategies, summed over the processes: {result.wall_s.get('cpu', 0.0):,.1f} s "
        "(on a shared machine, the better guide to what the run needs with the cores to itself)",
        "",
        markdown_table(rows, sc.money_unit),
    ]
    if clair:
        parts += clairvoyant_notes(result)
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


def gap_references(out: BenchOutput) -> list[tuple[str, float]]:
    """(what it is, total cost in the scenario's money) of every clairvoyant reference the run has,
    for "share of the myopic-to-clairvoyant gap closed" statements: the valid bound(s) first (they
    understate the share), then the plans (they overstate it)."""
    clair = out.result.clairvoyant or {}
    div = out.result.scenario.money_divisor
    refs = []
    lag, lp = clair.get("lagrangian"), clair.get("lp_bound")
    if lag is not None and lag.get("cost") is not None:
        how = (f"{lag['wall_s']:.0f} s here from the prices of a {lag['stored']['steps']}-step certification run"
               if lag.get("stored") else f"{lag['wall_s']:.0f} s")
        refs.append((f"the Lagrangian bound ({how}; valid for every plan: understates the share)",
                     lag["cost"] / div))
    if lp is not None and lp.get("cost") is not None:
        refs.append(("the own LP bound (valid for every plan, weaker)", lp["cost"] / div))
    if runner.CLAIRVOYANT in out.result.logs:
        # the clairvoyant optimum is at most the cheapest plan known, whichever strategy made it
        name, log = min(out.result.logs.items(), key=lambda kv: int(kv[1].cost.sum()))
        refs.append((f"the cheapest plan known ({name}, a feasible plan: overstates the share)",
                     int(log.cost.sum()) / div))
    return refs

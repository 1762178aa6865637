"""``omnialloc bench run | bound | replay``: benchmarks for analysts (strategy comparison, what-if replays).

The benchmarks are the package ``omnialloc.bench`` (the checkout's benchmarks/ folder, shipped in the wheel);
they are imported inside the commands because numpy, matplotlib and the solvers would slow every other command.
"""

from __future__ import annotations

import sys

import click

from omnialloc.cli.context import default_context
from omnialloc.cli.progress import rupees


@click.group()
def bench() -> None:
    """Benchmarks for analysts: strategy comparison on seeded scenarios, what-if replays."""


@bench.command("run")
@click.option("--scenario", default="india-100", show_default=True, help="india-<N> (N nodes) or jasin-sinha.")
@click.option("--orders", default=20_000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--strategies", default="all", show_default=True,
              help="Comma-separated: nearest,priority,max_stock,cost_greedy,optimal,clairvoyant, or all.")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--out", "out_dir", default=None,
              help="Folder for CSV, markdown and PNGs (default: benchmarks/results in a checkout, else ./bench-results).")
@click.option("--check/--no-check", default=True, show_default=True,
              help="Re-solve optimal on every baseline's state and fail if it ever costs more.")
@click.option("--time-limit-ms", default=200.0, show_default=True, type=float)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Processes running groups of strategies side by side (results do not depend on it).")
def bench_run_cmd(scenario, orders, strategies, seed, out_dir, check, time_limit_ms, workers) -> None:
    """Run strategies on the same orders in arrival order with stock depleting; write tables and plots."""
    from omnialloc.bench import report
    from omnialloc.bench.runner import parse_strategies

    try:
        parse_strategies(strategies)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--strategies") from None
    cmd = (f"omnialloc bench run --scenario {scenario} --orders {orders} --strategies {strategies} --seed {seed}"
           + ("" if check else " --no-check"))
    try:
        out = report.bench_run(scenario, orders, strategies, seed, out_dir=out_dir, check=check,
                               time_limit_ms=time_limit_ms, command=cmd, workers=workers)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(out.markdown)
    click.echo(f"wrote {out.csv_path}, {out.md_path} and {len(out.pngs)} PNGs")
    if out.result.violations:
        click.echo(f"error: optimal cost more than a baseline on {len(out.result.violations)} order(s); "
                   f"see {out.csv_path.with_name(out.name + '-violations.csv')}", err=True)
        sys.exit(1)


@bench.command("bound")
@click.option("--scenario", default="india-100", show_default=True, help="india-<N> (N nodes) or jasin-sinha.")
@click.option("--orders", default=20_000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--steps", default=10, show_default=True, type=click.IntRange(0, 1_000),
              help="Column-generation steps after the start prices (a count, not a time: reproducible).")
@click.option("--window", default=2_000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Start prices from the batch LP over this many of the first real orders.")
@click.option("--windows", default=1, show_default=True, type=click.IntRange(1, 1_000),
              help="Average the start prices over this many consecutive windows of --window orders.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--out", "out_dir", default=None,
              help="Folder for the stored prices (default: benchmarks/results in a checkout, else ./bench-results).")
def bench_bound_cmd(scenario, orders, seed, steps, window, windows, workers, out_dir) -> None:
    """Certify the clairvoyant (Lagrangian) lower bound with a fixed number of steps and store its
    prices; `bench run` on the same scenario starts its bound from them and evaluates it again."""
    from omnialloc.bench import certificate
    from omnialloc.bench.scenarios import get_scenario

    try:
        sc = get_scenario(scenario, orders, seed)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scenario") from None
    cmd = (f"omnialloc bench bound --scenario {scenario} --orders {orders} --seed {seed} --steps {steps}"
           + (f" --window {window}" if window != 2_000 else "") + (f" --windows {windows}" if windows != 1 else ""))
    res, rec, path = certificate.certify(sc, steps, workers=workers, window=window, windows=windows, command=cmd,
                                         out_dir=out_dir)
    unit, div = sc.money_unit, sc.money_divisor
    click.echo(f"Lagrangian bound {res.cost / div:,.0f} {unit} after {rec['steps']} step(s) "
               f"(start {res.start_cost / div:,.0f} {unit}"
               + (f"; no prices give more than {res.master / div:,.0f} {unit} over the plans found"
                  if res.master is not None else "")
               + f"); {rec['wall_s']:,.0f} s, {rec['cpu_s']:,.0f} CPU-s; wrote {path}")


@bench.command("replay")
@click.option("--since", required=True, help="Replay orders created on or after this date (YYYY-MM-DD, UTC).")
@click.option("--strategy", default="nearest", show_default=True,
              type=click.Choice(["optimal", "nearest", "priority", "max_stock", "cost_greedy"]))
@click.option("--split-penalty", "split_penalty", default=None, type=click.IntRange(min=0),
              help="Paise per shipment beyond the first (default: the live setting).")
@click.option("--distance-weight", "distance_weight", default=0, show_default=True, type=click.IntRange(min=0),
              help="Paise per km from node to customer, as a preference (not counted as money spent).")
@click.option("--priority-weight", "priority_weight", default=0, show_default=True, type=click.IntRange(min=0),
              help="Paise per point of node priority (lower priority number preferred), as a preference.")
@click.option("--limit", default=None, type=click.IntRange(min=1), help="Replay at most this many orders (oldest first).")
@click.option("--out", "out_csv", default=None, help="Write the per-order comparison to this CSV.")
def bench_replay_cmd(since: str, strategy: str, split_penalty: int | None, distance_weight: int,
                     priority_weight: int, limit: int | None, out_csv: str | None) -> None:
    """What-if: re-run the order history under STRATEGY (and weights) on the stock as it was; never writes to the store."""
    import csv
    import datetime as dt

    from omnialloc.bench.replay import Weights, replay

    try:
        start = dt.datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise click.BadParameter(f"{since!r} is not a date like 2026-10-01", param_hint="--since") from None
    weights = Weights(split_penalty, distance_weight, priority_weight)
    rows, s = replay(default_context(), start, strategy, limit=limit, weights=weights)
    if not rows:
        click.echo(f"no orders created since {since}")
        return
    diff = s["replay_paise"] - s["actual_paise"]
    click.echo(f"replayed {s['orders']} orders since {since} with {strategy}, {s['weights']} "
               f"(read-only; stock rebuilt as it was, {s['stock_changes_replayed']} stock adjustment(s) and "
               f"{s['imports_replayed']} import(s) replayed in time order)")
    if s["imports_not_undone"]:
        click.echo(f"  note: {s['imports_not_undone']} stock import(s) since then predate per-position change "
                   "records (migration 0010) and were not undone")
    click.echo(f"  compared (placed both times): {s['compared']}; cost = carrier charge + COD fee + handling")
    click.echo(f"  actual cost:   {rupees(s['actual_paise'])}, split orders {s['actual_split']}, unplaced {s['actual_unplaced']}")
    click.echo(f"  {strategy} cost: {rupees(s['replay_paise'])}, split orders {s['replay_split']}, unplaced {s['replay_unplaced']}")
    pct = f" ({100 * diff / s['actual_paise']:+.2f}%)" if s["actual_paise"] else ""
    click.echo(f"  difference:    {rupees(diff)}{pct}")
    if out_csv:
        with open(out_csv, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["order_id", "actual_paise", "actual_shipments", "replay_paise", "replay_shipments", "replay_status"])
            for r in rows:
                w.writerow([r.order_id, r.actual_paise, r.actual_shipments, r.replay_paise, r.replay_shipments, r.replay_status])
        click.echo(f"wrote {out_csv}")


COMMANDS = (bench,)

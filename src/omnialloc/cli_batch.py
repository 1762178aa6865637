"""CLI of the nightly batch (issue 9): ``batch plan|apply``, ``prices refresh``, ``rebalance plan|apply``.

Thin: parse, call one service, print. Added to ``omnialloc`` by ``cli.py``.
"""

from __future__ import annotations

import click


def _ctx():
    from omnialloc.services.context import Context

    return Context.default()


def _bar(desc: str):
    """A tqdm progress bar on stderr; returns (callback(done, total), close)."""
    from tqdm import tqdm

    state: dict = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=desc, unit="task", leave=False, mininterval=0.5)
        bar.n = done
        bar.refresh()

    def close() -> None:
        if "bar" in state:
            state["bar"].close()

    return update, close


def _rupees(paise) -> str:
    return "-" if paise is None else f"Rs {paise / 100:,.2f}"


@click.group("batch")
def batch_group() -> None:
    """Nightly re-optimization of open (allocated, not yet accepted; backordered) orders."""


@batch_group.command("plan")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:port); default in-process.")
@click.option("--dask", is_flag=True, help="Solve the components on a Dask LocalCluster.")
@click.option("--orders-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Only these open orders: a CSV with an order_id column, or one id per line.")
@click.option("--cost-matrix", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CSV order_id,node,cost_paise replacing the rate model (analysis only; not applied).")
@click.option("--out", "out_dir", default=None, help="Folder for plan.json, moves.csv and chart.png.")
@click.option("--time-limit", default=600.0, show_default=True,
              help="Safety net in seconds: the solver stops by work counts (the same plan on any machine); "
                   "a run this limit cuts short says so.")
@click.option("--allow-unallocate", is_flag=True,
              help="Allow backordering an ALLOCATED order to fill orders of the same or higher priority "
                   "(its buyer is told). Default: every allocated order stays allocated.")
@click.option("--min-saving-paise", default=1_000, show_default=True,
              help="An allocated order moves only if that saves at least this on its own cost.")
def batch_plan(scheduler, dask, orders_file, cost_matrix, out_dir, time_limit, allow_unallocate,
               min_saving_paise) -> None:
    """Solve all open orders together; print before/after, the LP bound and the gap; store the plan."""
    from omnialloc.services.batch.reoptimize import plan_batch

    update, close = _bar("solving")
    try:
        s = plan_batch(_ctx(), scheduler=scheduler, dask=dask, orders_file=orders_file, cost_matrix=cost_matrix,
                       out_dir=out_dir, time_limit=time_limit, progress=update, allow_unallocate=allow_unallocate,
                       min_saving_paise=min_saving_paise)
    finally:
        close()
    if not s.get("run_id"):
        click.echo(s.get("detail", "nothing to do"))
        return
    b, a = s["before"], s["after"]
    click.echo(f"batch {s['run_id']}: {s['orders']} open orders ({s['not_in_batch']} not movable), "
               f"{s['components']} components, solved in {s['solve_seconds']} s ({s['method']})")
    click.echo(f"{'':18}{'before':>18}{'after':>18}")
    for label, key, money in (("total cost", "total", True), ("shipping", "shipping", True),
                              ("split penalty", "split", True), ("unfilled penalty", "unfilled_paise", True), ("shipments", "shipments", False),
                              ("split orders", "split_orders", False), ("unfilled units", "unfilled_units", False)):
        fmt = _rupees if money else str
        click.echo(f"{label:18}{fmt(b[key]):>18}{fmt(a[key]):>18}")
    gap = "-" if s["gap"] is None else f"{100 * s['gap']:.2f}%"
    split = s.get("gap_split") or {}
    pgap = "-" if s["partial_fill_gap"] is None else f"{100 * s['partial_fill_gap']:.2f}%"
    click.echo(f"LP bound {_rupees(s['bound_paise'])}; gap of this plan {gap}")
    click.echo(f"  the solver's plan before the whole-order rule: {_rupees(s['partial_fill_total'])}, gap {pgap} "
               f"(unfilled {_rupees(split.get('unfilled_paise'))}, shipping {_rupees(split.get('shipping_paise'))});"
               f" the rest is orders it would fill only in part, backordered whole as live allocation does")
    if s["wall_limit_hit"]:
        click.echo(f"warning: the --time-limit safety net ({time_limit} s) cut the solver short; this plan may "
                   f"differ from an unhurried run's")
    m = s["saving_money_paise"]
    click.echo(f"saving in money {_rupees(m['total'])} (shipping {_rupees(m['shipping'])}, split {_rupees(m['split'])});"
               f" {s['units_filled_more']:+d} units filled")
    click.echo(f"orders: {s['orders_improved']} improved, {s['orders_worsened']} worsened; {s['orders_moved']} moved, "
               f"{s['orders_allocated']} newly allocated, {s['orders_unallocated']} un-allocated"
               + ("" if s["allow_unallocate"] else " (never without --allow-unallocate)"))
    for oid, why in sorted(s["held_back"].items()):
        click.echo(f"  held back {oid}: {why}")
    click.echo(f"{s['moves']} orders change; apply with `omnialloc batch apply"
               + (f" --plan {out_dir}`" if out_dir else "`"))


@batch_group.command("apply")
@click.option("--plan", "plan_dir", default=None, help="The --out folder of `batch plan` (default: latest plan).")
def batch_apply(plan_dir) -> None:
    """Apply a stored plan order by order (skips orders changed meanwhile); safe to re-run after a crash."""
    from omnialloc.services.batch.reoptimize import apply_batch, run_from_dir

    run_id = run_from_dir(plan_dir) if plan_dir else None
    update, close = _bar("applying")
    try:
        t = apply_batch(_ctx(), run_id, progress=update)
    finally:
        close()
    click.echo(f"batch {t['run_id']}: {t['applied']} orders changed ({t['moved']} moved, {t['allocated']} newly "
               f"allocated, {t['unallocated']} un-allocated), {t['skipped']} skipped; saving in money "
               f"{_rupees(t['saving_money_paise'])}, {t['units_filled_more']:+d} units filled "
               f"(model cost incl. unfilled penalty {_rupees(t['saving_paise'])})")
    for oid, why in sorted(t["skips"].items()):
        click.echo(f"  skipped {oid}: {why}")


@click.group("prices")
def prices_group() -> None:
    """Stock opportunity prices per (node, SKU) for real-time allocation (used when OMNIALLOC_PRICES_ENABLED)."""


@prices_group.command("refresh")
@click.option("--trailing-days", default=7, show_default=True, help="Days of order history for expected demand.")
@click.option("--horizon-days", default=1.0, show_default=True, help="Expected demand of this many days ahead.")
@click.option("--time-limit", default=300.0, show_default=True, help="Seconds for the LP.")
def prices_refresh(trailing_days, horizon_days, time_limit) -> None:
    """Solve the batch LP over open orders + expected demand; publish its stock duals as prices."""
    from omnialloc.services.batch.prices import refresh

    r = refresh(_ctx(), trailing_days=trailing_days, horizon_days=horizon_days, time_limit=time_limit)
    click.echo(f"prices refreshed at {r['computed_at']}: {r['prices']} priced (node, SKU) pairs from "
               f"{r['open_orders']} open orders + {r['expected_units']} expected units in {r['regions']} regions "
               f"(LP {r['lp_status']}, {r['seconds']} s)")
    for node, sku, p in r["top"]:
        click.echo(f"  {node:10} {sku:12} {_rupees(p)} per unit")


@click.group("rebalance")
def rebalance_group() -> None:
    """Move stock towards forecast demand: plan transfers, then create stock transfer orders."""


@rebalance_group.command("plan")
@click.option("--days", default=28, show_default=True, help="Trailing days of order history for the forecast.")
@click.option("--horizon-days", default=7.0, show_default=True, help="Forecast horizon.")
@click.option("--forecast", "forecast_csv", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Analyst forecast CSV region,sku,qty (region = state code, e.g. TN) instead of history.")
@click.option("--per-unit-km-paise", default=0.5, show_default=True)
@click.option("--lane-fixed-paise", default=50_000, show_default=True, help="Fixed cost per lane shipment.")
@click.option("--min-qty", default=1, show_default=True, help="Minimum units per transfer.")
@click.option("--budget-paise", default=None, type=int, help="Spend at most this on transfers.")
@click.option("--out", "out_dir", default="var/rebalance", show_default=True,
              help="Folder for transfers.csv, plan.json, coverage.png.")
def rebalance_plan(days, horizon_days, forecast_csv, per_unit_km_paise, lane_fixed_paise, min_qty, budget_paise,
                   out_dir) -> None:
    """Compute target stock per node and the cheapest transfer plan towards it."""
    from omnialloc.services.batch.rebalance import plan

    update, close = _bar("SKUs")
    try:
        s = plan(_ctx(), days=days, horizon_days=horizon_days, forecast_csv=forecast_csv,
                 per_unit_km_paise=per_unit_km_paise, lane_fixed_paise=lane_fixed_paise, min_qty=min_qty,
                 budget_paise=budget_paise, out_dir=out_dir, progress=update)
    finally:
        close()
    click.echo(f"forecast ({s['source']}): {s['forecast_units']} units of {s['skus']} SKUs over {s['nodes']} nodes"
               + (f", {s['unmapped_units']} units unmapped" if s["unmapped_units"] else ""))
    click.echo(f"{s['transfers']} transfers, {s['units_moved']} units, cost {_rupees(s['transfer_cost_paise'])}; "
               f"expected shortfall {_rupees(s['shortfall_before_paise'])} -> {_rupees(s['shortfall_after_paise'])}; "
               f"saving {_rupees(s['saving_paise'])}")
    click.echo(f"coverage of forecast demand {100 * s['coverage_before']:.1f}% -> {100 * s['coverage_after']:.1f}%"
               f" ({s['seconds']} s); report in {out_dir}; create the transfers with "
               f"`omnialloc rebalance apply --plan {out_dir}`")
    for t in s["transfer_list"][:20]:
        click.echo(f"  {t[0]:10} -> {t[1]:10} {t[2]:12} {t[3]:>6}  cost {_rupees(t[4])}, saves {_rupees(t[5])}")


@rebalance_group.command("apply")
@click.option("--plan", "plan_dir", default="var/rebalance", show_default=True, help="The --out folder of the plan.")
def rebalance_apply(plan_dir) -> None:
    """Create one stock transfer order per lane of the plan (origin: rebalance)."""
    from omnialloc.services.batch.rebalance import apply

    r = apply(_ctx(), plan_dir)
    click.echo(f"{len(r['created'])} transfer orders created: {', '.join(r['created']) or '-'}")
    if r["already_created"]:
        click.echo(f"{len(r['already_created'])} created by an earlier, interrupted apply: "
                   f"{', '.join(r['already_created'])}")
    for lane, why in sorted(r["refused"].items()):
        click.echo(f"  refused {lane}: {why}")


COMMANDS = [batch_group, prices_group, rebalance_group]

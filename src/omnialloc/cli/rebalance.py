"""``omnialloc rebalance plan | apply``: move stock towards forecast demand with transfer orders."""

from __future__ import annotations

import click

from omnialloc.cli.context import default_context
from omnialloc.cli.progress import progress_bar, rupees


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
    from omnialloc.reports import rebalance_plan as report
    from omnialloc.services.batch.rebalance import plan

    update, close = progress_bar("SKUs")
    try:
        s = plan(default_context(), days=days, horizon_days=horizon_days, forecast_csv=forecast_csv,
                 per_unit_km_paise=per_unit_km_paise, lane_fixed_paise=lane_fixed_paise, min_qty=min_qty,
                 budget_paise=budget_paise, progress=update)
    finally:
        close()
    report.write(out_dir, s)
    click.echo(f"forecast ({s['source']}): {s['forecast_units']} units of {s['skus']} SKUs over {s['nodes']} nodes"
               + (f", {s['unmapped_units']} units unmapped" if s["unmapped_units"] else ""))
    click.echo(f"{s['transfers']} transfers, {s['units_moved']} units, cost {rupees(s['transfer_cost_paise'])}; "
               f"expected shortfall {rupees(s['shortfall_before_paise'])} -> {rupees(s['shortfall_after_paise'])}; "
               f"saving {rupees(s['saving_paise'])}")
    click.echo(f"coverage of forecast demand {100 * s['coverage_before']:.1f}% -> {100 * s['coverage_after']:.1f}%"
               f" ({s['seconds']} s); report in {out_dir}; create the transfers with "
               f"`omnialloc rebalance apply --plan {out_dir}`")
    for t in s["transfer_list"][:20]:
        click.echo(f"  {t[0]:10} -> {t[1]:10} {t[2]:12} {t[3]:>6}  cost {rupees(t[4])}, saves {rupees(t[5])}")


@rebalance_group.command("apply")
@click.option("--plan", "plan_dir", default="var/rebalance", show_default=True, help="The --out folder of the plan.")
def rebalance_apply(plan_dir) -> None:
    """Create one stock transfer order per lane of the plan (origin: rebalance)."""
    from omnialloc.reports import rebalance_plan as report
    from omnialloc.services.batch.rebalance import apply

    folder = report.read(plan_dir)
    r = apply(default_context(), folder.plan_id, folder.lanes)
    report.mark_applied(folder, r)
    click.echo(f"{len(r['created'])} transfer orders created: {', '.join(r['created']) or '-'}")
    if r["already_created"]:
        click.echo(f"{len(r['already_created'])} created by an earlier, interrupted apply: "
                   f"{', '.join(r['already_created'])}")
    for lane, why in sorted(r["refused"].items()):
        click.echo(f"  refused {lane}: {why}")


COMMANDS = (rebalance_group,)

"""``omnialloc batch plan | apply``: the nightly re-optimization of open orders (issue 9)."""

from __future__ import annotations

import click

from omnialloc.cli.context import default_context
from omnialloc.cli.progress import progress_bar, rupees


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
    from omnialloc.reports import batch_plan as report
    from omnialloc.services.batch.reoptimize import plan_batch, planned_moves

    ctx = default_context()
    update, close = progress_bar("solving")
    try:
        s = plan_batch(ctx, scheduler=scheduler, dask=dask, orders_file=orders_file, cost_matrix=cost_matrix,
                       time_limit=time_limit, progress=update, allow_unallocate=allow_unallocate,
                       min_saving_paise=min_saving_paise)
    finally:
        close()
    if not s.get("run_id"):
        click.echo(s.get("detail", "nothing to do"))
        return
    if out_dir:
        report.write(out_dir, s, planned_moves(ctx, s["run_id"]))
    b, a = s["before"], s["after"]
    click.echo(f"batch {s['run_id']}: {s['orders']} open orders ({s['not_in_batch']} not movable), "
               f"{s['components']} components, solved in {s['solve_seconds']} s ({s['method']})")
    click.echo(f"{'':18}{'before':>18}{'after':>18}")
    for label, key, money in (("total cost", "total", True), ("shipping", "shipping", True),
                              ("split penalty", "split", True), ("unfilled penalty", "unfilled_paise", True), ("shipments", "shipments", False),
                              ("split orders", "split_orders", False), ("unfilled units", "unfilled_units", False)):
        fmt = rupees if money else str
        click.echo(f"{label:18}{fmt(b[key]):>18}{fmt(a[key]):>18}")
    gap = "-" if s["gap"] is None else f"{100 * s['gap']:.2f}%"
    split = s.get("gap_split") or {}
    pgap = "-" if s["partial_fill_gap"] is None else f"{100 * s['partial_fill_gap']:.2f}%"
    click.echo(f"LP bound {rupees(s['bound_paise'])}; gap of this plan {gap}")
    click.echo(f"  the solver's plan before the whole-order rule: {rupees(s['partial_fill_total'])}, gap {pgap} "
               f"(unfilled {rupees(split.get('unfilled_paise'))}, shipping {rupees(split.get('shipping_paise'))});"
               f" the rest is orders it would fill only in part, backordered whole as live allocation does")
    if s["wall_limit_hit"]:
        click.echo(f"warning: the --time-limit safety net ({time_limit} s) cut the solver short; this plan may "
                   f"differ from an unhurried run's")
    m = s["saving_money_paise"]
    click.echo(f"saving in money {rupees(m['total'])} (shipping {rupees(m['shipping'])}, split {rupees(m['split'])});"
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
    from omnialloc.reports.batch_plan import run_id_in
    from omnialloc.services.batch.reoptimize import apply_batch

    run_id = run_id_in(plan_dir) if plan_dir else None
    update, close = progress_bar("applying")
    try:
        t = apply_batch(default_context(), run_id, progress=update)
    finally:
        close()
    click.echo(f"batch {t['run_id']}: {t['applied']} orders changed ({t['moved']} moved, {t['allocated']} newly "
               f"allocated, {t['unallocated']} un-allocated), {t['skipped']} skipped; saving in money "
               f"{rupees(t['saving_money_paise'])}, {t['units_filled_more']:+d} units filled "
               f"(model cost incl. unfilled penalty {rupees(t['saving_paise'])})")
    for oid, why in sorted(t["skips"].items()):
        click.echo(f"  skipped {oid}: {why}")


COMMANDS = (batch_group,)

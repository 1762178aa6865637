"""``omnialloc prices refresh``: stock opportunity prices per (node, SKU) for real-time allocation."""

from __future__ import annotations

import click

from omnialloc.cli.context import default_context
from omnialloc.cli.progress import rupees


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

    r = refresh(default_context(), trailing_days=trailing_days, horizon_days=horizon_days, time_limit=time_limit)
    click.echo(f"prices refreshed at {r['computed_at']}: {r['prices']} priced (node, SKU) pairs from "
               f"{r['open_orders']} open orders + {r['expected_units']} expected units in {r['regions']} regions "
               f"(LP {r['lp_status']}, {r['seconds']} s)")
    for node, sku, p in r["top"]:
        click.echo(f"  {node:10} {sku:12} {rupees(p)} per unit")


COMMANDS = (prices_group,)

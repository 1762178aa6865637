"""``omnialloc pickups expire``: pickup-in-store orders not collected in time (cron: daily)."""

from __future__ import annotations

import click

from omnialloc.cli.context import default_context


@click.group()
def pickups() -> None:
    """Pickup in store (BOPIS)."""


@pickups.command("expire")
@click.option("--days", type=int, default=None, help="Default: OMNIALLOC_PICKUP_EXPIRY_DAYS.")
def pickups_expire(days: int | None) -> None:
    """Cancel pickup orders not collected in time and put their units back on sale."""
    from omnialloc.services.fulfilment.pickups import expire

    expired = expire(default_context(), days=days)
    click.echo(f"expired {len(expired)} pickup order(s)" + (": " + ", ".join(expired) if expired else ""))


COMMANDS = (pickups,)

"""``omnialloc analytics refresh``: rebuild the analytics page's daily rollups of the days that changed
(timer: every 5 minutes), so that the page seldom rebuilds them while a manager waits."""

from __future__ import annotations

import click

from omnialloc.cli.context import default_context


@click.group()
def analytics() -> None:
    """Business analytics (the console's Analytics page)."""


@analytics.command("refresh")
@click.option("--days", type=click.IntRange(1, 366), default=31, show_default=True,
              help="How many days back from today (UTC) to rebuild what changed.")
def analytics_refresh(days: int) -> None:
    """Rebuild the daily rollups of the last DAYS days that changed since they were built."""
    from datetime import timedelta

    from omnialloc.services.analytics.kpis import refresh
    from omnialloc.services.events import now

    today = now().date()
    rebuilt = refresh(default_context(), today - timedelta(days=days - 1), today)
    click.echo(f"rebuilt the rollups of {rebuilt} day(s)")


COMMANDS = (analytics,)

"""``omnialloc check``: scan the store for broken invariants; exit 1 if any."""

from __future__ import annotations

import click

from omnialloc.cli.context import default_context


@click.command()
@click.option("--limit", default=50, show_default=True, help="How many violations to list.")
def check(limit: int) -> None:
    """Scan the store for broken invariants (stock, reservations, where every ordered unit is, statuses,
    audit events); exit 1 if any."""
    from omnialloc.services.invariants import check as run_check

    report = run_check(default_context().engine)
    click.echo(report.summary(limit=limit))
    if not report.ok:
        raise SystemExit(1)


COMMANDS = (check,)

"""``omnialloc channels resync`` (a full stock push to the shops) and ``omnialloc outbound-send --once`` (issue 27).

``channels resync`` queues the sellable quantity of every SKU (``--changed-only``: of those that moved since
the last push) for each channel with push settings, or the one named; ``--send`` also sends what is due now
instead of leaving it to ``notify-worker``. ``outbound-send --once`` sends the outbound outbox's due messages
(shop pushes and webhook deliveries) and exits, for cron.
"""

from __future__ import annotations

import click

from omnialloc.cli.channels import channels
from omnialloc.cli.context import default_context
from omnialloc.cli.progress import tally_line
from omnialloc.config import get_settings


@channels.command("resync")
@click.argument("code", required=False)
@click.option("--changed-only", is_flag=True, help="Only SKUs whose sellable quantity moved since the last push.")
@click.option("--send", is_flag=True, help="Also send the queued pushes now (default: notify-worker sends them).")
def channels_resync(code: str | None, changed_only: bool, send: bool) -> None:
    """Queue every SKU's sellable quantity for the shop of CODE (default: every channel with push settings)."""
    from omnialloc.domain.errors import NotFound
    from omnialloc.services.channels.push import sync_stock
    from omnialloc.services.notifications.outbound_worker import send_outbound_due

    ctx = default_context()
    queued = sync_stock(ctx, channel=code, full=not changed_only)
    if code is not None and code not in queued:
        raise NotFound(f"channel {code} has no shop push settings with stock pushes on")
    for channel, n in sorted(queued.items()):
        click.echo(f"{channel}: {n} SKU(s) queued")
    if send:
        click.echo(tally_line(send_outbound_due(ctx, stock=False).as_dict()))


@click.command("outbound-send")
@click.option("--once", is_flag=True, help="Send everything due now, then exit (for cron).")
def outbound_send(once: bool) -> None:
    """Send the shop pushes and webhook deliveries that are due (notify-worker does it continuously)."""
    if not once:
        raise click.UsageError("outbound-send needs --once (for a long-running sender use `omnialloc notify-worker`)")
    from omnialloc.observability import logs
    from omnialloc.services.notifications.outbound_worker import send_outbound_due

    logs.configure(level="WARNING", fmt=get_settings().log_format)
    click.echo(tally_line(send_outbound_due(default_context()).as_dict()))


COMMANDS = (outbound_send,)

"""``omnialloc notify-worker`` (long-running sender and backorder retries) and ``notify-send --once`` (cron)."""

from __future__ import annotations

import click

from omnialloc.cli.context import default_context
from omnialloc.cli.progress import tally_line
from omnialloc.config import get_settings


@click.command("notify-worker")
@click.option("--poll", type=float, default=None, help="Seconds to wait when nothing is due "
              "(default: OMNIALLOC_NOTIFY_POLL_SECONDS).")
@click.option("--backorders/--no-backorders", default=True, show_default=True,
              help="Also allocate backordered orders when stock arrives or is released (the retry queue).")
def notify_worker(poll: float | None, backorders: bool) -> None:
    """Send customer notifications and retry backorders until stopped; SIGTERM or Ctrl-C finishes the batch
    in hand, then exits."""
    from omnialloc.observability import logs
    from omnialloc.services.notifications.worker import worker_main

    logs.configure_from(get_settings())  # JSON lines (OMNIALLOC_LOG_FORMAT), at OMNIALLOC_LOG_LEVEL
    tally = worker_main(default_context(), poll_seconds=poll, backorders=backorders)
    click.echo("notify-worker stopped: " + tally_line(tally.as_dict()))


@click.command("notify-send")
@click.option("--once", is_flag=True, help="Send everything due now, then exit (for cron).")
def notify_send(once: bool) -> None:
    """Send the notifications that are due (use notify-worker for a long-running sender)."""
    if not once:
        raise click.UsageError("notify-send needs --once (for a long-running sender use `omnialloc notify-worker`)")
    from omnialloc.observability import logs
    from omnialloc.services.notifications.worker import send_due

    logs.configure(level="WARNING", fmt=get_settings().log_format)
    click.echo(tally_line(send_due(default_context()).as_dict()))


COMMANDS = (notify_worker, notify_send)

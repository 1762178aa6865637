"""``omnialloc transfers create SOURCE DEST SKU=QTY ... | dispatch ID | receive ID``: stock transfer orders."""

from __future__ import annotations

import click

from omnialloc.cli.context import default_context


@click.group()
def transfers() -> None:
    """Stock transfer orders between nodes."""


@transfers.command("create")
@click.argument("source")
@click.argument("destination")
@click.argument("lines", nargs=-1, required=True)
@click.option("--reason", default="")
def transfers_create(source: str, destination: str, lines: tuple[str, ...], reason: str) -> None:
    """Create a transfer: LINES are SKU=QTY."""
    from omnialloc.domain.errors import ValidationFailed
    from omnialloc.services.inventory.transfers import create_transfer

    parsed = {}
    for item in lines:
        sku, _, qty = item.partition("=")
        if not qty.isdigit():
            raise ValidationFailed(f"line {item!r} is not SKU=QTY")
        parsed[sku] = int(qty)
    view = create_transfer(default_context(), source, destination, parsed, actor="cli", reason=reason)
    click.echo(view["id"])


@transfers.command("dispatch")
@click.argument("transfer_id")
def transfers_dispatch(transfer_id: str) -> None:
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.inventory.transfers import dispatch

    click.echo(dispatch(default_context(), SYSTEM, transfer_id)["status"])


@transfers.command("receive")
@click.argument("transfer_id")
def transfers_receive(transfer_id: str) -> None:
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.inventory.transfers import receive

    click.echo(receive(default_context(), SYSTEM, transfer_id)["status"])


COMMANDS = (transfers,)

"""CLI commands of global inventory and omnichannel (issue 6), mounted on ``omnialloc`` by cli.py.

* ``omnialloc inventory import FILE --mode snapshot|delta [--node CODE] [--dry-run]``
* ``omnialloc inventory prune-history [--older-than-days N]``  (cron: nightly)
* ``omnialloc pickups expire [--days N]``  (cron: daily)
* ``omnialloc channels secret CODE [--secret S]``  (webhook secret for Shopify/WooCommerce)
* ``omnialloc transfers create SOURCE DEST SKU=QTY ...`` / ``dispatch ID`` / ``receive ID``
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import click


def _ctx():
    from omnialloc.services.context import Context

    return Context.default()


@click.group()
def inventory() -> None:
    """Stock: bulk imports."""


@inventory.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(["snapshot", "delta"]), required=True,
              help="snapshot: counts (unlisted rows of the covered nodes become 0); delta: add.")
@click.option("--node", default=None, help="The file is for this node only (the node column may be left out).")
@click.option("--dry-run", is_flag=True, help="Validate against the stock, apply nothing.")
def inventory_import(file: Path, mode: str, node: str | None, dry_run: bool) -> None:
    """Validate a stock CSV (node,sku,qty[,safety_stock]) and apply it all or nothing."""
    import time

    from omnialloc.services.access import SYSTEM
    from omnialloc.services.inventory.stock_import import import_stock

    started = time.perf_counter()
    report = import_stock(_ctx(), SYSTEM, file.read_bytes(), mode=mode, node=node, dry_run=dry_run, source="cli")
    report["seconds"] = round(time.perf_counter() - started, 2)
    click.echo(json.dumps(report))


@inventory.command("prune-history")
@click.option("--older-than-days", type=click.IntRange(min=1), default=None,
              help="Default: OMNIALLOC_IMPORT_HISTORY_DAYS.")
def inventory_prune_history(older_than_days: int | None) -> None:
    """Delete the per-position change records of old stock imports (replays before then no longer undo them)."""
    from omnialloc.cli_batch import _bar
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.inventory.import_history import prune

    tick, close = _bar("pruning imports")
    try:
        report = prune(_ctx(), SYSTEM.actor, older_than_days=older_than_days, progress=tick)
    finally:
        close()
    click.echo(json.dumps(report.as_dict()))


@click.group()
def pickups() -> None:
    """Pickup in store (BOPIS)."""


@pickups.command("expire")
@click.option("--days", type=int, default=None, help="Default: OMNIALLOC_PICKUP_EXPIRY_DAYS.")
def pickups_expire(days: int | None) -> None:
    """Cancel pickup orders not collected in time and put their units back on sale."""
    from omnialloc.services.fulfilment.pickups import expire

    expired = expire(_ctx(), days=days)
    click.echo(f"expired {len(expired)} pickup order(s)" + (": " + ", ".join(expired) if expired else ""))


@click.group()
def channels() -> None:
    """Sales channels."""


@channels.command("secret")
@click.argument("code")
@click.option("--secret", default=None, help="Default: a new random secret, printed once.")
def channels_secret(code: str, secret: str | None) -> None:
    """Set the channel's webhook secret (Shopify / WooCommerce HMAC)."""
    from omnialloc.domain.errors import NotFound

    ctx = _ctx()
    secret = secret or secrets.token_urlsafe(32)
    with ctx.uow() as uow:
        if not uow.channels.set_webhook_secret(code, secret):
            raise NotFound(f"channel {code} not found")
        uow.commit()
    click.echo(secret)


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
    view = create_transfer(_ctx(), source, destination, parsed, actor="cli", reason=reason)
    click.echo(view["id"])


@transfers.command("dispatch")
@click.argument("transfer_id")
def transfers_dispatch(transfer_id: str) -> None:
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.inventory.transfers import dispatch

    click.echo(dispatch(_ctx(), SYSTEM, transfer_id)["status"])


@transfers.command("receive")
@click.argument("transfer_id")
def transfers_receive(transfer_id: str) -> None:
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.inventory.transfers import receive

    click.echo(receive(_ctx(), SYSTEM, transfer_id)["status"])


COMMANDS = (inventory, pickups, channels, transfers)

"""``omnialloc inventory import | prune-history``: bulk stock imports and their change records.

* ``inventory import FILE --mode snapshot|delta [--node CODE] [--dry-run]``
* ``inventory prune-history [--older-than-days N]``  (cron: nightly)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from omnialloc.cli.context import default_context
from omnialloc.cli.progress import progress_bar


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
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.inventory.stock_import import import_stock

    started = time.perf_counter()
    report = import_stock(default_context(), SYSTEM, file.read_bytes(), mode=mode, node=node, dry_run=dry_run,
                          source="cli")
    report["seconds"] = round(time.perf_counter() - started, 2)
    click.echo(json.dumps(report))


@inventory.command("prune-history")
@click.option("--older-than-days", type=click.IntRange(min=1), default=None,
              help="Default: OMNIALLOC_IMPORT_HISTORY_DAYS.")
def inventory_prune_history(older_than_days: int | None) -> None:
    """Delete the per-position change records of old stock imports (replays before then no longer undo them)."""
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.inventory.import_history import prune

    tick, close = progress_bar("pruning imports")
    try:
        report = prune(default_context(), SYSTEM.actor, older_than_days=older_than_days, progress=tick)
    finally:
        close()
    click.echo(json.dumps(report.as_dict()))


COMMANDS = (inventory,)

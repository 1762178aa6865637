"""``omnialloc network import DIR | export DIR``: bring your own network as CSV files (issue 25).

* ``network import DIR [--dry-run]``: any of nodes.csv, skus.csv, carriers.csv, rate_cards.csv,
  serviceability.csv, channels.csv found in DIR, validated and applied all or nothing; a problem prints
  one line per file row and column and exits 1 with nothing written
* ``network export DIR``: the same files from the store, in the import's format (a round trip is lossless)

``load-demo`` stays for the demo; docs/onboarding.md walks through the files.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from omnialloc.cli.context import default_context


@click.group()
def network() -> None:
    """Your network (nodes, SKUs, carriers, rate cards, serviceability, channels) as CSV files."""


@network.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate against the store and count what would change; write nothing.")
def network_import(folder: Path, dry_run: bool) -> None:
    """Import the network files found in FOLDER, all or nothing."""
    from omnialloc.domain.imports import ImportRejected
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.network.imports import import_dir

    try:
        report = import_dir(default_context(), SYSTEM, folder, dry_run=dry_run)
    except ImportRejected as exc:
        for e in exc.rows:
            where = f"{e.file}:{e.row}" if e.row else (e.file or "file")
            click.echo(f"{where} {e.column}: {e.message}", err=True)
        raise click.ClickException(exc.detail) from None
    click.echo(json.dumps(report))


@network.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def network_export(folder: Path) -> None:
    """Write the network files into FOLDER (created if missing; existing files replaced)."""
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.network.imports import export_dir

    for path in export_dir(default_context(), SYSTEM, folder):
        click.echo(str(path))


COMMANDS = (network,)

"""``omnialloc load-demo``: the demo India network (and, optionally, its sample orders)."""

from __future__ import annotations

import click


@click.command("load-demo")
@click.option("--data-dir", default=None, help="Folder with the network CSV files (default: OMNIALLOC_DATA_DIR, "
              "else the demo network shipped in the package).")
@click.option("--orders/--no-orders", default=False, show_default=True, help="Also capture the sample orders.")
def load_demo(data_dir: str | None, orders: bool) -> None:
    """Load the demo India network (idempotent: running twice changes nothing)."""
    from omnialloc.services.network.demo import load_demo as load

    counts = load(data_dir=data_dir, with_orders=orders)
    for name, n in counts.items():
        click.echo(f"{name:>16}: {n}")


COMMANDS = (load_demo,)

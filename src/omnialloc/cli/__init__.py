"""Command line: ``omnialloc serve | db upgrade | load-demo | keys create | batch plan | ...``.

This package holds the ``omnialloc`` click group (the console script ``omnialloc.cli:main`` and
``python -m omnialloc``); each feature's commands live in a module of their own (``cli/<feature>.py``,
exposing ``COMMANDS``) and are mounted here. Commands are thin: parse the options, call one service
function, print. Expected failures (an unreachable database, a bad file) exit non-zero with a one-line
reason instead of a traceback (``cli/errors.py``).

A new command goes into the module of its feature (or a new ``cli/<feature>.py`` listed below); heavy
imports (services, solvers, SQLAlchemy) stay inside the command functions so ``omnialloc --help`` starts fast.
"""

from __future__ import annotations

import click

from omnialloc.cli import (
    analytics,
    batch,
    bench,
    carriers,
    channel_sync,
    channels,
    db,
    demo,
    invariants,
    inventory,
    keys,
    network,
    notify,
    pickups,
    prices,
    rebalance,
    serve,
    settings,
    transfers,
)
from omnialloc.cli.errors import OneLineErrors


@click.group(cls=OneLineErrors)
@click.version_option(package_name="omnialloc")
def main() -> None:
    """omnialloc: order management with an optimization core."""


for _feature in (db, demo, serve, keys, carriers, channels, network, notify, settings, invariants, inventory,
                 pickups, transfers, batch, prices, rebalance, bench, channel_sync, analytics):
    for _command in _feature.COMMANDS:
        main.add_command(_command)

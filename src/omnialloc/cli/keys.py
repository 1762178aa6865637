"""``omnialloc keys create``: API keys (random, shown once, stored hashed)."""

from __future__ import annotations

import click

from omnialloc.cli.context import default_context


@click.group()
def keys() -> None:
    """API keys: random, shown once, stored hashed."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(["admin", "channel", "node", "carrier", "analyst"]))
@click.option("--name", default=None, help="Who holds the key (shown in the audit trail).")
@click.option("--channel", default=None, help="For --role channel.")
@click.option("--node", default=None, help="For --role node, e.g. CHN-FC1.")
@click.option("--carrier", default=None, help="For --role carrier.")
def keys_create(role: str, name: str | None, channel: str | None, node: str | None, carrier: str | None) -> None:
    """Create an API key and print it once."""
    from omnialloc.services.access import create_key

    with default_context().uow() as uow:
        token, record = create_key(uow, name=name or f"{role}-{node or channel or carrier or 'key'}", role=role,
                                   channel=channel, node=node, carrier=carrier)
        uow.commit()
    click.echo(f"created {record['role']} key {record['id']} ({record['name']}); it is shown only once:")
    click.echo(token)


COMMANDS = (keys,)

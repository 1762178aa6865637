"""``omnialloc carriers secret``: the HMAC secret a carrier signs its tracking webhooks with."""

from __future__ import annotations

import secrets

import click

from omnialloc.cli.context import default_context


@click.group()
def carriers() -> None:
    """Carrier settings."""


@carriers.command("secret")
@click.argument("code")
@click.option("--secret", default=None, help="Set this secret instead of generating a random one.")
def carriers_secret(code: str, secret: str | None) -> None:
    """Set (or rotate) the HMAC secret a carrier signs its tracking webhooks with, and print it."""
    from omnialloc.domain.errors import NotFound

    value = secret or secrets.token_urlsafe(24)
    with default_context().uow() as uow:
        if not uow.carriers.set_webhook_secret(code, value):
            raise NotFound(f"carrier {code} not found")
        uow.commit()
    click.echo(value)


COMMANDS = (carriers,)

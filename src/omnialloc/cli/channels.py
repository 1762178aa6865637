"""``omnialloc channels secret``: the webhook secret of a sales channel (Shopify / WooCommerce HMAC)."""

from __future__ import annotations

import secrets

import click

from omnialloc.cli.context import default_context


@click.group()
def channels() -> None:
    """Sales channels."""


@channels.command("secret")
@click.argument("code")
@click.option("--secret", default=None, help="Default: a new random secret, printed once.")
def channels_secret(code: str, secret: str | None) -> None:
    """Set the channel's webhook secret (Shopify / WooCommerce HMAC)."""
    from omnialloc.domain.errors import NotFound

    secret = secret or secrets.token_urlsafe(32)
    with default_context().uow() as uow:
        if not uow.channels.set_webhook_secret(code, secret):
            raise NotFound(f"channel {code} not found")
        uow.commit()
    click.echo(secret)


COMMANDS = (channels,)

"""``omnialloc config show``: the settings in effect (OMNIALLOC_* variables), secrets masked."""

from __future__ import annotations

import json

import click

from omnialloc.config import get_settings


@click.group("config")
def config_group() -> None:
    """Settings (OMNIALLOC_* variables; docs/configuration.md lists them all)."""


@config_group.command("show")
def config_show() -> None:
    """Print the settings in effect, secrets masked (exits non-zero naming any unusable variable)."""
    click.echo(json.dumps(get_settings().redacted(), indent=2, sort_keys=True))


COMMANDS = (config_group,)

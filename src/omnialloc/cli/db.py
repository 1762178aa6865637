"""``omnialloc db upgrade | downgrade``: the database schema (Alembic migrations)."""

from __future__ import annotations

import click

from omnialloc.cli.errors import redact_url
from omnialloc.config import get_settings


@click.group()
def db() -> None:
    """Database schema migrations (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from omnialloc.store.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    click.echo(f"database at {redact_url(get_settings().database_url)} upgraded to {revision}")


@db.command("downgrade")
@click.option("--revision", default="base", show_default=True)
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (default: drop everything)."""
    from omnialloc.store.migrate import downgrade

    downgrade(get_settings().database_url, revision)
    click.echo(f"database at {redact_url(get_settings().database_url)} downgraded to {revision}")


COMMANDS = (db,)

"""How the command line reports an expected failure: one clear line (and exit code 2), not a traceback."""

from __future__ import annotations

import sys

import click

from omnialloc.config import get_settings


def redact_url(url: str) -> str:
    """A database URL fit to print: its password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is itself the message
        return url


class OneLineErrors(click.Group):
    """Turns known, user-actionable errors into one clear line and exit code 2."""

    def invoke(self, ctx):
        from sqlalchemy.exc import OperationalError

        from omnialloc.domain.errors import DomainError

        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            url = get_settings().database_url
            click.echo(f"error: cannot reach the database at {redact_url(url)}: {exc.orig}", err=True)
            sys.exit(2)
        except DomainError as exc:
            click.echo(f"error: {exc.detail}", err=True)
            for fe in exc.field_errors:
                click.echo(f"  {fe.field}: {fe.message}", err=True)
            sys.exit(2)

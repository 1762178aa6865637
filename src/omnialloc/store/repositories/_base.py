"""What every repository shares: the connection, the clock, and row mapping helpers (the reference
revision token that reference-data writes bump is ``repositories.revision``)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


def utcnow() -> datetime:
    return datetime.now(UTC)


class Repository:
    def __init__(self, conn: Connection):
        self.conn = conn


def insert(conn: Connection, table):
    """``INSERT`` with ``ON CONFLICT`` (``on_conflict_do_nothing`` / ``_do_update``) for this connection's backend
    (PostgreSQL and SQLite share the syntax): a write that two requests may race to make first. Whether the
    row was inserted: add ``.returning(<a key column>)`` and look for a row (an INSERT's rowcount is not
    reported on every driver)."""
    return insert_for(conn.dialect.name, table)


def insert_for(dialect_name: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    """:func:`insert` for the dialect named ``dialect_name`` ("postgresql", else SQLite's)."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def optional_fields(cls, values: dict) -> dict:
    """The subset of ``values`` that ``cls`` (a dataclass) has fields for.

    Lets the store carry columns (version, updated_at, ...) that the domain
    model may or may not expose yet, without breaking when it starts to.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in values.items() if k in names}

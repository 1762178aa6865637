"""What every repository shares: the connection, the clock, and row mapping helpers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy.engine import Connection


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
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


def bump_revision(conn: Connection) -> str:
    """New revision token (see ``tables.rules.rules_revision``): reference data changed in this transaction."""
    from omnialloc.store.repositories.rules import bump_revision as bump

    return bump(conn)


def changed(conn: Connection, rowcount: int) -> bool:
    """Whether an UPDATE of reference data hit its row; bumps the revision token when it did."""
    if rowcount == 1:
        bump_revision(conn)
    return rowcount == 1


def optional_fields(cls, values: dict) -> dict:
    """The subset of ``values`` that ``cls`` (a dataclass) has fields for.

    Lets the store carry columns (version, updated_at, ...) that the domain
    model may or may not expose yet, without breaking when it starts to.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in values.items() if k in names}

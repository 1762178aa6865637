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


def optional_fields(cls, values: dict) -> dict:
    """The subset of ``values`` that ``cls`` (a dataclass) has fields for.

    Lets the store carry columns (version, updated_at, ...) that the domain
    model may or may not expose yet, without breaking when it starts to.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in values.items() if k in names}

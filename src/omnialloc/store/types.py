"""Column types shared by the tables: UTC timestamps and portable JSON.

SQLite has no timezone-aware timestamp; ``UTCDateTime`` normalises every value
to UTC on the way in and hands back aware UTC datetimes on the way out, on
both backends, so services never compare naive with aware times.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


class UTCDateTime(sa.TypeDecorator):
    """``DateTime(timezone=True)`` that stores UTC and always returns aware UTC datetimes."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware (UTC) datetime")
        value = value.astimezone(UTC)
        # SQLite stores text; drop the offset so values sort and compare as plain UTC strings.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSON everywhere, JSONB on PostgreSQL (indexable, compact, compares by value).
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# 64-bit ids that still autoincrement on SQLite (only INTEGER PRIMARY KEY does there).
BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

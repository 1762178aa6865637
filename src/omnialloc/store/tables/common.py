"""The store's one ``MetaData`` and what every feature's tables share: naming, enum types, column helpers.

Core, not ORM: repositories write explicit SQL and map rows to the domain
dataclasses. Money is integer paise (BigInteger), weight integer grams, time
aware UTC. Stable vocabularies (node kind, payment mode, zone, API role) are
native enums; statuses are plain strings checked by the domain state machines,
so new statuses never need an enum migration.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.domain.enums import NodeKind, PaymentMode, Role, Zone
from omnialloc.store.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


def _enum(enum_cls, name: str) -> sa.Enum:
    # Store the lower-case values the API speaks, not the Python member names.
    return sa.Enum(enum_cls, name=name, values_callable=_values, validate_strings=True)


node_kind = _enum(NodeKind, "node_kind")
payment_mode = _enum(PaymentMode, "payment_mode")
zone = _enum(Zone, "zone")
api_role = _enum(Role, "api_role")

#: Every named enum type, so migrations can drop them on PostgreSQL.
ENUM_TYPES = (node_kind, payment_mode, zone, api_role)

Money = sa.BigInteger  # integer paise


def created_at() -> sa.Column:
    """A fresh ``created_at`` column (a Column belongs to one table, so each table asks for its own)."""
    return sa.Column("created_at", UTCDateTime(), nullable=False)

"""Allocations: every solve of an order, with its plan, its bound and its explanation."""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import Money, created_at, metadata
from omnialloc.store.types import BigIntId, JSONType

allocations = sa.Table(
    "allocations", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(40), nullable=True, index=True),
    created_at(),
    sa.Column("strategy", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("objective_paise", Money, nullable=True),
    sa.Column("bound_paise", Money, nullable=True),
    sa.Column("solve_ms", sa.Float, nullable=True),
    sa.Column("plan", JSONType, nullable=False),
)

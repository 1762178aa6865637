"""inventory: fillfactor 50 on PostgreSQL, so stock updates are HOT (no index writes).

Every reservation, shipment and import rewrites inventory rows, and none of
them changes an indexed column (node, sku). With free space left on each page
PostgreSQL updates the row in place ("heap-only tuple") instead of inserting
new entries into both indexes: a 1M-row stock import's UPDATE went from
12.2 s to 1.9 s per 200k rows in benchmarks/inventory_import_bench.py. A
storage parameter only (no diff for autogenerate); SQLite has no such thing.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE inventory SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE inventory RESET (fillfactor)")

"""shipment_day_counts: live shipments per node and UTC day, so an allocation reads its capacity in O(nodes).

Before, every allocation counted the day's shipments (a scan that grew with the
table, since shipments.created_at has no index). The counter is kept by
ShipmentRepository in the creating or killing transaction; this migration fills
it from the shipments already stored.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEAD = ("REJECTED", "CANCELLED")


def _day(value) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    return date.fromisoformat(str(value)[:10])  # SQLite keeps UTC text, 'YYYY-MM-DD HH:MM:SS...'


def upgrade() -> None:
    counts = op.create_table(
        'shipment_day_counts',
        sa.Column('node', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('live', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('node', 'day', name=op.f('pk_shipment_day_counts')),
    )
    shipments = sa.table('shipments', sa.column('node'), sa.column('created_at'), sa.column('status'))
    live: Counter = Counter()
    result = op.get_bind().execute(sa.select(shipments.c.node, shipments.c.created_at)
                                   .where(shipments.c.status.not_in(DEAD)))
    for node, created_at in result:
        live[(node, _day(created_at))] += 1
    if live:
        op.bulk_insert(counts, [{"node": n, "day": d, "live": k} for (n, d), k in sorted(live.items())])


def downgrade() -> None:
    op.drop_table('shipment_day_counts')

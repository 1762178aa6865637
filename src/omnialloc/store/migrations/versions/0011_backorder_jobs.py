"""backorder_jobs: the durable backorder retry queue (issue 20: receipts answer before the retries run).

A stock receipt, adjustment, import, restock or released reservation writes one
row per SKU in its own transaction; ``omnialloc notify-worker`` claims the rows and
allocates the waiting orders, highest priority first (``services.orders.backorders``).

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'backorder_jobs',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('sku', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sa.String(length=80), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backorder_jobs')),
    )


def downgrade() -> None:
    op.drop_table('backorder_jobs')

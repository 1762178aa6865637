"""inventory_import_changes: per-position on_hand / safety_stock before and after each stock import (issue 10).

Lets the what-if replay undo and redo stock imports since its start date. Imports made
before this revision have no rows here (their events carry no ``changes`` count, and
the replay reports them as not undone).

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inventory_import_changes',
        sa.Column('import_id', sa.String(length=40), nullable=False),
        sa.Column('node', sa.String(length=64), nullable=False),
        sa.Column('sku', sa.String(length=64), nullable=False),
        sa.Column('on_hand_before', sa.Integer(), nullable=False),
        sa.Column('on_hand_after', sa.Integer(), nullable=False),
        sa.Column('safety_before', sa.Integer(), nullable=False),
        sa.Column('safety_after', sa.Integer(), nullable=False),
    )
    op.create_index(op.f('ix_inventory_import_changes_import_id'), 'inventory_import_changes', ['import_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_inventory_import_changes_import_id'), table_name='inventory_import_changes')
    op.drop_table('inventory_import_changes')

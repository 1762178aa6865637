"""transfers.plan_key: idempotency key of a planned transfer, so a killed `rebalance apply` re-run never doubles one (issue 9).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:59:54.675316
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_transfers_plan_key'), ['plan_key'])


def downgrade() -> None:
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_transfers_plan_key'), type_='unique')
        batch_op.drop_column('plan_key')

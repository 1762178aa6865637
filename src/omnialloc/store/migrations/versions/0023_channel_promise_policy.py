"""Channel promise policy (issue 24): per channel, whether a delivery promise is hard (a plan that cannot meet it
is infeasible) or soft (a penalty per day late), the penalty per day late, and the channel's default promise days.

Columns on channels (store/tables/network.py): promise_policy ('soft' for every existing channel, which keeps
their behaviour) and late_penalty_paise (empty: the late_paise_per_day setting).

Revision ID: 0023
Revises: 0022
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('channels') as batch:
        batch.add_column(sa.Column('promise_policy', sa.String(8), nullable=False, server_default='soft'))
        batch.add_column(sa.Column('late_penalty_paise', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channels') as batch:
        batch.drop_column('late_penalty_paise')
        batch.drop_column('promise_policy')

"""rules: a live rule's name is unique, case-insensitively, in the store too (issue 20, item 4).

The service checked it (``rules_admin._name_free``) but a check and an insert are two
statements: two concurrent creates (or renames) with one name both passed on PostgreSQL.
A unique index on ``lower(name)`` over rules not deleted makes the second a 409
(``store.integrity``). Deleted rules keep their names out of it (their versions stay
readable). If live duplicates exist already, the upgrade stops here: rename or delete
one of them first.

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('uq_rules_name_live', 'rules', [sa.text('lower(name)')], unique=True,
                    postgresql_where=sa.text('deleted_at IS NULL'), sqlite_where=sa.text('deleted_at IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_rules_name_live', table_name='rules')

"""inventory: on_hand, reserved and safety_stock at most 2,147,483,647 on every backend (issue 20, item 10).

PostgreSQL's INTEGER already refuses larger values; SQLite stored them (a receipt
could take on_hand past 2^31-1, which a PostgreSQL copy of the same data could not
hold). One CHECK per column makes both refuse the same change (``domain.quantities``;
``store.integrity`` words the refusal as a 422). SQLite rebuilds the table to add a
CHECK (batch mode); existing rows are all in range or the upgrade stops, naming the
constraint.

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QTY_MAX = 2_147_483_647  # domain.quantities.QTY_MAX, frozen here as this revision saw it
COLUMNS = ("on_hand", "reserved", "safety_stock")


def upgrade() -> None:
    with op.batch_alter_table("inventory", recreate="auto") as batch:
        for column in COLUMNS:
            batch.create_check_constraint(f"{column}_range", f"{column} <= {QTY_MAX}")


def downgrade() -> None:
    with op.batch_alter_table("inventory", recreate="auto") as batch:
        for column in COLUMNS:
            batch.drop_constraint(op.f(f"ck_inventory_{column}_range"), type_="check")

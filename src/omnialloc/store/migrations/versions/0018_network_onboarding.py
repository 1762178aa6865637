"""Bring your own network (issue 25): the master-data columns the network API and imports carry.

* ``nodes.gstin``: the node's GST registration (15 characters; empty when not registered).
  Time zone, cut-off, working days and holidays are the delivery promise's ``node_calendars``
  (migration 0017, issue 24): not repeated here.
* ``skus``: ``hsn_code`` and ``gst_rate_bp`` (basis points: 1800 = 18%), ``barcodes`` (EAN/UPC list)
  and ``active`` (a SKU orders refer to is deactivated, never deleted). Per-channel SKU aliases are
  issue 27's ``sku_aliases`` table (migration 0020): not repeated here.
* ``rate_cards.fuel_surcharge_bp``: the carrier's fuel surcharge on the slab prices (basis points).
* ``serviceability.pickup``: whether the carrier picks up from the PIN (a node's origin PIN).
* ``channels``: ``return_windows`` ({category: days}, over ``return_window_days``) and
  ``default_promise_days`` (the promise when an order asks none; empty: the network's fastest).
  Channel credentials are not here (issue 27).

Revision ID: 0018
Revises: 0017
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('nodes') as batch:
        batch.add_column(sa.Column('gstin', sa.String(15), nullable=False, server_default=''))
    with op.batch_alter_table('skus') as batch:
        batch.add_column(sa.Column('hsn_code', sa.String(8), nullable=False, server_default=''))
        batch.add_column(sa.Column('gst_rate_bp', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('barcodes', _JSON, nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('rate_cards') as batch:
        batch.add_column(sa.Column('fuel_surcharge_bp', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('serviceability') as batch:
        batch.add_column(sa.Column('pickup', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('channels') as batch:
        batch.add_column(sa.Column('return_windows', _JSON, nullable=False, server_default=sa.text("'{}'")))
        batch.add_column(sa.Column('default_promise_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channels') as batch:
        batch.drop_column('default_promise_days')
        batch.drop_column('return_windows')
    with op.batch_alter_table('serviceability') as batch:
        batch.drop_column('pickup')
    with op.batch_alter_table('rate_cards') as batch:
        batch.drop_column('fuel_surcharge_bp')
    with op.batch_alter_table('skus') as batch:
        batch.drop_column('active')
        batch.drop_column('barcodes')
        batch.drop_column('gst_rate_bp')
        batch.drop_column('hsn_code')
    with op.batch_alter_table('nodes') as batch:
        batch.drop_column('gstin')

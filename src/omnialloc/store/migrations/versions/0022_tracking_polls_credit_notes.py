"""Fulfilment leftovers (issue 26): tracking pulled from carriers (per-carrier tracking config, per-shipment
poll state) and GST credit notes (a gapless series per node and financial year, the notes themselves).

Tables in store/tables/carrier_booking.py (carrier_tracking_configs, tracking_polls) and store/tables/documents.py
(credit_note_series, credit_notes).

Revision ID: 0022
Revises: 0021
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from omnialloc.store.types import JSONType, UTCDateTime

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'carrier_tracking_configs',
        sa.Column('carrier', sa.String(64), nullable=False),
        sa.Column('settings', JSONType, nullable=False),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_poll_at', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['carrier'], ['carriers.code'], name='fk_carrier_tracking_configs_carrier_carriers',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('carrier', name='pk_carrier_tracking_configs'),
    )
    op.create_table(
        'tracking_polls',
        sa.Column('shipment_id', sa.String(40), nullable=False),
        sa.Column('carrier', sa.String(64), nullable=False),
        sa.Column('next_poll_at', UTCDateTime(), nullable=False),
        sa.Column('claimed_until', UTCDateTime(), nullable=True),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('polled_at', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name='fk_tracking_polls_shipment_id_shipments',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('shipment_id', name='pk_tracking_polls'),
    )
    op.create_index('ix_tracking_polls_carrier_next_poll_at', 'tracking_polls', ['carrier', 'next_poll_at'])
    op.create_table(
        'credit_note_series',
        sa.Column('node', sa.String(64), nullable=False),
        sa.Column('fy_start_year', sa.Integer(), nullable=False),
        sa.Column('prefix', sa.String(5), nullable=False),
        sa.Column('last_serial', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint('last_serial >= 0', name='ck_credit_note_series_last_serial_nonneg'),
        sa.PrimaryKeyConstraint('node', 'fy_start_year', name='pk_credit_note_series'),
    )
    op.create_table(
        'credit_notes',
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('invoice_id', sa.String(40), nullable=False),
        sa.Column('shipment_id', sa.String(40), nullable=False),
        sa.Column('node', sa.String(64), nullable=False),
        sa.Column('fy_start_year', sa.Integer(), nullable=False),
        sa.Column('serial', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(16), nullable=False),
        sa.Column('source', sa.String(80), nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=False),
        sa.Column('snapshot', JSONType, nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name='fk_credit_notes_invoice_id_invoices'),
        sa.PrimaryKeyConstraint('id', name='pk_credit_notes'),
        sa.UniqueConstraint('node', 'fy_start_year', 'serial', name='uq_credit_notes_node_fy_start_year_serial'),
        sa.UniqueConstraint('node', 'number', name='uq_credit_notes_node_number'),
        sa.UniqueConstraint('invoice_id', 'source', name='uq_credit_notes_invoice_id_source'),
    )
    op.create_index('ix_credit_notes_invoice_id', 'credit_notes', ['invoice_id'])


def downgrade() -> None:
    op.drop_index('ix_credit_notes_invoice_id', table_name='credit_notes')
    op.drop_index('ix_tracking_polls_carrier_next_poll_at', table_name='tracking_polls')
    for table in ('credit_notes', 'credit_note_series', 'tracking_polls', 'carrier_tracking_configs'):
        op.drop_table(table)

"""Fulfilment a warehouse can run (issue 26): a node's seller name and invoice prefix, a SKU's default box, gapless invoices, carrier
booking (configs, AWB series and ledger, bookings) and carrier pickups.

Tables in store/tables/documents.py, carrier_booking.py and carrier_pickups.py.

Revision ID: 0019
Revises: 0018
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from omnialloc.store.types import JSONType, UTCDateTime

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'node_sellers',
        sa.Column('node', sa.String(64), nullable=False),
        sa.Column('legal_name', sa.String(200), nullable=False),
        sa.Column('invoice_prefix', sa.String(5), nullable=False),
        sa.Column('phone', sa.String(32), server_default='', nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['node'], ['nodes.code'], name='fk_node_sellers_node_nodes', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('node', name='pk_node_sellers'),
    )
    op.create_table(
        'sku_fulfilment',
        sa.Column('sku', sa.String(64), nullable=False),
        sa.Column('box_length_mm', sa.Integer(), nullable=True),
        sa.Column('box_width_mm', sa.Integer(), nullable=True),
        sa.Column('box_height_mm', sa.Integer(), nullable=True),
        sa.Column('box_weight_g', sa.Integer(), server_default='0', nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['sku'], ['skus.code'], name='fk_sku_fulfilment_sku_skus', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sku', name='pk_sku_fulfilment'),
    )
    op.create_table(
        'invoice_series',
        sa.Column('node', sa.String(64), nullable=False),
        sa.Column('fy_start_year', sa.Integer(), nullable=False),
        sa.Column('prefix', sa.String(5), nullable=False),
        sa.Column('last_serial', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint('last_serial >= 0', name='ck_invoice_series_last_serial_nonneg'),
        sa.PrimaryKeyConstraint('node', 'fy_start_year', name='pk_invoice_series'),
    )
    op.create_table(
        'invoices',
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('shipment_id', sa.String(40), nullable=False),
        sa.Column('node', sa.String(64), nullable=False),
        sa.Column('fy_start_year', sa.Integer(), nullable=False),
        sa.Column('serial', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(16), nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=False),
        sa.Column('snapshot', JSONType, nullable=False),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name='fk_invoices_shipment_id_shipments'),
        sa.PrimaryKeyConstraint('id', name='pk_invoices'),
        sa.UniqueConstraint('node', 'fy_start_year', 'serial', name='uq_invoices_node_fy_start_year_serial'),
        sa.UniqueConstraint('node', 'number', name='uq_invoices_node_number'),
        sa.UniqueConstraint('shipment_id', name='uq_invoices_shipment_id'),
    )
    op.create_table(
        'carrier_booking_configs',
        sa.Column('carrier', sa.String(64), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('settings', JSONType, nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['carrier'], ['carriers.code'], name='fk_carrier_booking_configs_carrier_carriers',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('carrier', name='pk_carrier_booking_configs'),
    )
    op.create_table(
        'awb_ranges',
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('carrier', sa.String(64), nullable=False),
        sa.Column('prefix', sa.String(12), server_default='', nullable=False),
        sa.Column('first', sa.BigInteger(), nullable=False),
        sa.Column('last', sa.BigInteger(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('suffix', sa.String(12), server_default='', nullable=False),
        sa.Column('check', sa.String(8), nullable=False),
        sa.Column('uploaded_at', UTCDateTime(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('next_serial', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('"first" <= next_serial AND next_serial <= "last" + 1', name='ck_awb_ranges_cursor_in_range'),
        sa.PrimaryKeyConstraint('id', name='pk_awb_ranges'),
        sa.UniqueConstraint('carrier', 'seq', name='uq_awb_ranges_carrier_seq'),
    )
    op.create_index('ix_awb_ranges_carrier', 'awb_ranges', ['carrier'])
    op.create_table(
        'awb_assignments',
        sa.Column('carrier', sa.String(64), nullable=False),
        sa.Column('awb', sa.String(64), nullable=False),
        sa.Column('shipment_id', sa.String(40), nullable=False),
        sa.Column('assigned_at', UTCDateTime(), nullable=False),
        sa.Column('voided_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('carrier', 'awb', name='pk_awb_assignments'),
        sa.UniqueConstraint('carrier', 'shipment_id', name='uq_awb_assignments_carrier_shipment_id'),
    )
    op.create_table(
        'carrier_bookings',
        sa.Column('shipment_id', sa.String(40), nullable=False),
        sa.Column('carrier', sa.String(64), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('awb', sa.String(64), nullable=True),
        sa.Column('carrier_ref', sa.String(128), server_default='', nullable=False),
        sa.Column('routing_code', sa.String(16), server_default='', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('claimed_until', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name='fk_carrier_bookings_shipment_id_shipments',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('shipment_id', name='pk_carrier_bookings'),
    )
    op.create_index('ix_carrier_bookings_status_next_attempt_at', 'carrier_bookings', ['status', 'next_attempt_at'])
    op.create_table(
        'carrier_pickups',
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('node', sa.String(64), nullable=False),
        sa.Column('carrier', sa.String(64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('reference', sa.String(128), server_default='', nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['node'], ['nodes.code'], name='fk_carrier_pickups_node_nodes'),
        sa.ForeignKeyConstraint(['carrier'], ['carriers.code'], name='fk_carrier_pickups_carrier_carriers'),
        sa.PrimaryKeyConstraint('id', name='pk_carrier_pickups'),
    )
    op.create_index('ix_carrier_pickups_node_carrier_day', 'carrier_pickups', ['node', 'carrier', 'day'])
    op.create_table(
        'carrier_pickup_shipments',
        sa.Column('pickup_id', sa.String(40), nullable=False),
        sa.Column('shipment_id', sa.String(40), nullable=False),
        sa.Column('handed_over_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['pickup_id'], ['carrier_pickups.id'],
                                name='fk_carrier_pickup_shipments_pickup_id_carrier_pickups', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'],
                                name='fk_carrier_pickup_shipments_shipment_id_shipments', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('pickup_id', 'shipment_id', name='pk_carrier_pickup_shipments'),
        sa.UniqueConstraint('shipment_id', name='uq_carrier_pickup_shipments_shipment_id'),
    )


def downgrade() -> None:
    for table in ('carrier_pickup_shipments', 'carrier_pickups', 'carrier_bookings', 'awb_assignments', 'awb_ranges',
                  'carrier_booking_configs', 'invoices', 'invoice_series', 'sku_fulfilment', 'node_sellers'):
        op.drop_table(table)

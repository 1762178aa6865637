"""Delivery promise (issue 24): node calendars, the transit table, EDDs on shipments, the promise on orders.

* ``node_calendars``: one row per node, its working calendar in its own time zone (cut-off as local
  ``HH:MM``, working days like ``Mon-Sat``, holidays as ``MM-DD`` / ``YYYY-MM-DD`` strings, pickup days
  per carrier); a node without a row uses the defaults (Asia/Kolkata, 14:00, Mon-Sat, national holidays).
* ``transit_times``: the seller's transit table (``logistics.transit``: carrier, service, level, origin,
  destination, zone, days), most specific row wins.
* ``shipments``: the service, the UTC moment the parcel must be ready (``ship_by``), the destination's
  local delivery date (``delivery_date``) and the UTC end of that day (``deliver_by``).
* ``orders``: the promised delivery (``promised_by``, UTC end of the promised day) and where the
  promise came from (``promise_source``: request, channel, rule, fastest).

Revision ID: 0017
Revises: 0016
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'node_calendars',
        sa.Column('node', sa.String(64), sa.ForeignKey('nodes.code', ondelete='CASCADE',
                                                       name=op.f('fk_node_calendars_node_nodes')), nullable=False),
        sa.Column('timezone', sa.String(64), nullable=False, server_default='Asia/Kolkata'),
        sa.Column('cutoff', sa.String(8), nullable=False, server_default='14:00'),
        sa.Column('working_days', sa.String(40), nullable=False, server_default='Mon-Sat'),
        sa.Column('holidays', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('pickup_days', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.PrimaryKeyConstraint('node', name=op.f('pk_node_calendars')),
    )
    op.create_table(
        'transit_times',
        sa.Column('carrier', sa.String(64), nullable=False),
        sa.Column('service', sa.String(16), nullable=False),
        sa.Column('level', sa.String(16), nullable=False),
        sa.Column('origin', sa.String(8), nullable=False, server_default=''),
        sa.Column('destination', sa.String(8), nullable=False, server_default=''),
        sa.Column('zone', sa.String(1), nullable=False, server_default=''),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.CheckConstraint('days >= 0 AND days <= 30', name=op.f('ck_transit_times_days_range')),
        sa.PrimaryKeyConstraint('carrier', 'service', 'level', 'origin', 'destination', 'zone',
                                name=op.f('pk_transit_times')),
    )
    with op.batch_alter_table('shipments') as batch:
        batch.add_column(sa.Column('service', sa.String(16), nullable=True))
        batch.add_column(sa.Column('ship_by', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('delivery_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('deliver_by', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('promised_by', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('promise_source', sa.String(16), nullable=True))


def downgrade() -> None:
    # Columns dropped in place, not by a batch rebuild: on SQLite a rebuild loses the orders table's expression
    # indexes (migration 0014: ix_orders_phone_channel, ix_orders_email_channel), which it cannot reflect.
    # SQLite >= 3.35 drops an unindexed column in place, as PostgreSQL does (migration 0020 does the same).
    for column in ('promise_source', 'promised_by'):
        op.execute(f'ALTER TABLE orders DROP COLUMN {column}')
    for column in ('deliver_by', 'delivery_date', 'ship_by', 'service'):
        op.execute(f'ALTER TABLE shipments DROP COLUMN {column}')
    op.drop_table('transit_times')
    op.drop_table('node_calendars')

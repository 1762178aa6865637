"""payment_requests: the price difference of an exchange for a dearer SKU, owed by the customer (issue 28).

One row per exchange return whose replacement costs more than the returned units
(``store.tables.payment_requests``); the shop settles it (paid / cancelled).

Revision ID: 0016
Revises: 0015
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'payment_requests',
        sa.Column('id', sa.String(40), primary_key=True),
        sa.Column('order_id', sa.String(40), sa.ForeignKey('orders.id', ondelete='CASCADE',
                                                            name=op.f('fk_payment_requests_order_id_orders')),
                  nullable=False),
        sa.Column('return_id', sa.String(40), sa.ForeignKey('returns.id', ondelete='CASCADE',
                                                             name=op.f('fk_payment_requests_return_id_returns')),
                  nullable=True),
        sa.Column('exchange_order_id', sa.String(40),
                  sa.ForeignKey('orders.id', name=op.f('fk_payment_requests_exchange_order_id_orders')), nullable=True),
        sa.Column('channel', sa.String(64), nullable=False),
        sa.Column('customer_id', sa.String(128), nullable=True),
        sa.Column('amount_paise', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False, server_default='INR'),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('reason', sa.Text, nullable=False, server_default=''),
        sa.Column('reference', sa.String(200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('settled_by', sa.String(200), nullable=True),
        sa.CheckConstraint('amount_paise > 0', name=op.f('ck_payment_requests_amount_positive')),
        sa.CheckConstraint("status IN ('pending', 'paid', 'cancelled')", name=op.f('ck_payment_requests_status_known')),
        sa.UniqueConstraint('return_id', name=op.f('uq_payment_requests_return_id')),
    )
    op.create_index(op.f('ix_payment_requests_order_id'), 'payment_requests', ['order_id'])
    op.create_index(op.f('ix_payment_requests_customer_id'), 'payment_requests', ['customer_id'])
    op.create_index(op.f('ix_payment_requests_status_created_at'), 'payment_requests', ['status', 'created_at'])


def downgrade() -> None:
    op.drop_table('payment_requests')

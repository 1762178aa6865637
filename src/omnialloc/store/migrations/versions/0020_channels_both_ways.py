"""Channels both ways (issue 27): shop push settings, stock levels queued, SKU aliases, the outbound outbox and
its attempts, webhook subscriptions, the failed-intake queue, the shop's order number and search indexes.

Revision ID: 0020
Revises: 0019
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
_BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'channel_push_settings',
        sa.Column('channel', sa.String(64), sa.ForeignKey('channels.code', ondelete='CASCADE',
                                                          name=op.f('fk_channel_push_settings_channel_channels')),
                  nullable=False),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('settings', _JSON, nullable=False),
        sa.Column('push_orders', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('push_stock', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('locations', _JSON, nullable=False),
        sa.Column('stock_cursor', _TS, nullable=True),
        sa.Column('updated_at', _TS, nullable=False),
        sa.Column('updated_by', sa.String(200), server_default='', nullable=False),
        sa.CheckConstraint("kind IN ('shopify', 'woocommerce')", name=op.f('ck_channel_push_settings_kind_known')),
        sa.PrimaryKeyConstraint('channel', name=op.f('pk_channel_push_settings')),
    )
    op.create_table(
        'channel_stock_levels',
        sa.Column('channel', sa.String(64), sa.ForeignKey('channels.code', ondelete='CASCADE',
                                                          name=op.f('fk_channel_stock_levels_channel_channels')),
                  nullable=False),
        sa.Column('sku', sa.String(64), nullable=False),
        sa.Column('available', sa.Integer(), nullable=False),
        sa.Column('queued_at', _TS, nullable=False),
        sa.PrimaryKeyConstraint('channel', 'sku', name=op.f('pk_channel_stock_levels')),
    )
    op.create_table(
        'sku_aliases',
        sa.Column('channel', sa.String(64), sa.ForeignKey('channels.code', ondelete='CASCADE',
                                                          name=op.f('fk_sku_aliases_channel_channels')),
                  nullable=False),
        sa.Column('alias', sa.String(64), nullable=False),
        sa.Column('sku', sa.String(64), sa.ForeignKey('skus.code', name=op.f('fk_sku_aliases_sku_skus')),
                  nullable=False),
        sa.Column('created_at', _TS, nullable=False),
        sa.Column('created_by', sa.String(200), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('channel', 'alias', name=op.f('pk_sku_aliases')),
    )
    op.create_table(
        'outbound_messages',
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('target', sa.String(64), nullable=False),
        sa.Column('topic', sa.String(64), nullable=False),
        sa.Column('idempotency_key', sa.String(255), nullable=False),
        sa.Column('payload', _JSON, nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', _TS, nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('claimed_by', sa.String(100), nullable=True),
        sa.Column('claimed_at', _TS, nullable=True),
        sa.Column('created_at', _TS, nullable=False),
        sa.Column('updated_at', _TS, nullable=False),
        sa.Column('delivered_at', _TS, nullable=True),
        sa.CheckConstraint("kind IN ('shop_push', 'webhook')", name=op.f('ck_outbound_messages_kind_known')),
        sa.CheckConstraint("status IN ('pending', 'sending', 'delivered', 'failed', 'cancelled')",
                           name=op.f('ck_outbound_messages_status_known')),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbound_messages_attempts_nonneg')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_messages')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbound_messages_idempotency_key')),
    )
    op.create_index(op.f('ix_outbound_messages_status_next_attempt_at'), 'outbound_messages',
                    ['status', 'next_attempt_at'])
    op.create_index(op.f('ix_outbound_messages_kind_target_created_at'), 'outbound_messages',
                    ['kind', 'target', 'created_at'])
    op.create_table(
        'outbound_attempts',
        sa.Column('id', _BIGID, autoincrement=True, nullable=False),
        sa.Column('message_id', sa.String(40),
                  sa.ForeignKey('outbound_messages.id', ondelete='CASCADE',
                                name=op.f('fk_outbound_attempts_message_id_outbound_messages')), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('at', _TS, nullable=False),
        sa.Column('outcome', sa.String(16), nullable=False),
        sa.Column('http_status', sa.Integer(), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=True),
        sa.Column('detail', sa.Text(), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_attempts')),
    )
    op.create_index(op.f('ix_outbound_attempts_message_id_attempt'), 'outbound_attempts', ['message_id', 'attempt'])
    op.create_table(
        'webhook_subscriptions',
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('url', sa.String(2000), nullable=False),
        sa.Column('events', _JSON, nullable=False),
        sa.Column('secret', sa.String(200), nullable=False),
        sa.Column('description', sa.String(300), server_default='', nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('disabled_reason', sa.Text(), nullable=True),
        sa.Column('created_at', _TS, nullable=False),
        sa.Column('created_by', sa.String(200), server_default='', nullable=False),
        sa.Column('updated_at', _TS, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions')),
    )
    op.create_table(
        'failed_intakes',
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('channel', sa.String(64), nullable=False),
        sa.Column('source', sa.String(32), nullable=False),
        sa.Column('external_id', sa.String(128), nullable=True),
        sa.Column('raw_body', sa.Text(), nullable=False),
        sa.Column('payload', _JSON, nullable=True),
        sa.Column('errors', _JSON, nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='1', nullable=False),
        sa.Column('order_id', sa.String(40), nullable=True),
        sa.Column('created_at', _TS, nullable=False),
        sa.Column('updated_at', _TS, nullable=False),
        sa.Column('resolved_by', sa.String(200), nullable=True),
        sa.CheckConstraint("status IN ('open', 'resubmitted', 'discarded')",
                           name=op.f('ck_failed_intakes_status_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_intakes')),
    )
    op.create_index(op.f('ix_failed_intakes_status_created_at'), 'failed_intakes', ['status', 'created_at'])
    op.create_index(op.f('ix_failed_intakes_channel_external_id'), 'failed_intakes', ['channel', 'external_id'])
    op.add_column('orders', sa.Column('channel_order_number', sa.String(64), nullable=True))
    op.create_index('ix_orders_channel_order_number', 'orders', ['channel_order_number'])
    op.create_index('ix_orders_priority_created_at', 'orders', ['priority', 'created_at'])
    # ?tag= : JSONB containment (tags @> '["x"]') answered by a GIN index on PostgreSQL; a plain index on SQLite.
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_orders_tags', 'orders', ['tags'], postgresql_using='gin')
    else:
        op.create_index('ix_orders_tags', 'orders', ['tags'])


def downgrade() -> None:
    op.drop_index('ix_orders_tags', table_name='orders')
    op.drop_index('ix_orders_priority_created_at', table_name='orders')
    op.drop_index('ix_orders_channel_order_number', table_name='orders')
    # Not a batch rebuild: on SQLite that would drop the orders table's expression indexes (migration 0014),
    # which it cannot reflect. SQLite >= 3.35 drops a column in place, as PostgreSQL does.
    op.execute('ALTER TABLE orders DROP COLUMN channel_order_number')
    op.drop_table('failed_intakes')
    op.drop_table('webhook_subscriptions')
    op.drop_table('outbound_attempts')
    op.drop_table('outbound_messages')
    op.drop_table('sku_aliases')
    op.drop_table('channel_stock_levels')
    op.drop_table('channel_push_settings')

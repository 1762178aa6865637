"""orders: indexes that find a channel's customer by id, email address or phone number (issue 20, item 6).

A channel key may read and change notification preferences and store credit only of
its own channel's customers: those its orders name (``store.repositories.customers``).
The three lookups (customer id; lower-cased email; phone without spaces and dashes,
as ``services.notifications.outbox.normalise_subject`` writes them) each get an index led by
the subject, then the channel. The customer-id index also serves the rules' per-customer
order count.

Revision ID: 0014
Revises: 0013
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_orders_customer_id_channel', 'orders', ['customer_id', 'channel'])
    op.create_index('ix_orders_email_channel', 'orders', [sa.text('lower(ship_email)'), 'channel'])
    op.create_index('ix_orders_phone_channel', 'orders',
                    [sa.text("replace(replace(ship_phone, ' ', ''), '-', '')"), 'channel'])


def downgrade() -> None:
    op.drop_index('ix_orders_phone_channel', table_name='orders')
    op.drop_index('ix_orders_email_channel', table_name='orders')
    op.drop_index('ix_orders_customer_id_channel', table_name='orders')

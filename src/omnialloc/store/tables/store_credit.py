"""Store credit: a balance per customer (conditional updates, never negative) and every movement behind it.

On the store's one ``MetaData`` (``store.tables.common``).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import Money, metadata
from omnialloc.store.types import BigIntId, JSONType, UTCDateTime

store_credit_balances = sa.Table(
    "store_credit_balances", metadata,
    sa.Column("customer_id", sa.String(128), primary_key=True),
    sa.Column("balance_paise", Money, nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("balance_paise >= 0", name="balance_nonneg"),
)

store_credit_ledger = sa.Table(
    "store_credit_ledger", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String(128), nullable=False, index=True),
    sa.Column("delta_paise", Money, nullable=False),
    sa.Column("balance_after_paise", Money, nullable=False),
    sa.Column("return_id", sa.String(40), sa.ForeignKey("returns.id", ondelete="SET NULL"), nullable=True),
    sa.Column("order_id", sa.String(40), nullable=True),
    sa.Column("channel", sa.String(64), nullable=True),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("payload", JSONType, nullable=False),
)

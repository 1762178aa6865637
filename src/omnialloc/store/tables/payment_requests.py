"""Payment requests: money the customer still owes on an order, for the shop to collect and settle.

On the store's one ``MetaData`` (``store.tables.common``).

An exchange for a dearer SKU ships a replacement worth more than what was paid
for the returned units; the difference becomes one ``payment_requests`` row
(``pending``), linked to the original order, the return and the replacement
order. The shop (its payment link, the buyer paying) settles it: ``paid`` or
``cancelled`` (waived), with the shop's reference. Amounts in paise, > 0.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import Money, metadata
from omnialloc.store.types import UTCDateTime

payment_requests = sa.Table(
    "payment_requests", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("return_id", sa.String(40), sa.ForeignKey("returns.id", ondelete="CASCADE"), nullable=True,
              unique=True),  # one difference per exchange
    sa.Column("exchange_order_id", sa.String(40), sa.ForeignKey("orders.id"), nullable=True),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=True, index=True),
    sa.Column("amount_paise", Money, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, server_default="INR"),
    sa.Column("status", sa.String(16), nullable=False),       # pending | paid | cancelled
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("reference", sa.String(200), nullable=True),    # the shop's payment reference once settled
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("settled_at", UTCDateTime(), nullable=True),
    sa.Column("settled_by", sa.String(200), nullable=True),
    sa.CheckConstraint("amount_paise > 0", name="amount_positive"),
    sa.CheckConstraint("status IN ('pending', 'paid', 'cancelled')", name="status_known"),
    sa.Index(None, "status", "created_at"),
)

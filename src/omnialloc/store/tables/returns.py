"""Returns and reverse logistics: the RMA, its lines, what happened to each graded unit, and refunds.

On the store's one ``MetaData`` (``store.tables.common``).

- ``returns``: one RMA per row. ``origin`` is ``customer`` (POST /orders/{id}/returns)
  or ``rto`` (an undelivered shipment came back; automatic). Status follows
  ``domain.states.RETURN_MACHINE``. The reverse pickup (destination node,
  carrier, reverse AWB, cost and the solver's explanation) is filled when the
  pickup is scheduled. ``exchange_order_id`` links the replacement order.
- ``return_lines``: what comes back per order line, with its reason code and,
  for exchanges, the SKU wanted instead; ``received_qty`` once counted in.
- ``return_dispositions``: per return line and grade, how many units and what
  happened to them (restock / refurbish / write_off / repair). Per line,
  ``received_qty`` == sum of its dispositions' qty.
- ``refunds``: money back, in paise, with the original payment mode; COD
  orders carry the customer's bank/UPI reference.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import Money, metadata
from omnialloc.store.types import JSONType, UTCDateTime

returns = sa.Table(
    "returns", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("channel", sa.String(64), sa.ForeignKey("channels.code"), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=True),
    sa.Column("origin", sa.String(16), nullable=False, server_default="customer"),  # customer | rto
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_reason", sa.Text, nullable=True),
    sa.Column("resolution", sa.String(16), nullable=True),   # refund | exchange | store_credit (None for COD RTO)
    sa.Column("exchange_policy", sa.String(16), nullable=False, server_default="after_pickup"),
    sa.Column("exchange_order_id", sa.String(40), sa.ForeignKey("orders.id"), nullable=True),
    sa.Column("source_shipment_id", sa.String(40), sa.ForeignKey("shipments.id"), nullable=True, unique=True),
    sa.Column("refund_method", sa.String(16), nullable=True),     # original | upi | bank
    sa.Column("refund_reference", sa.String(200), nullable=True), # COD: UPI id or bank account reference
    sa.Column("destination_node", sa.String(64), sa.ForeignKey("nodes.code"), nullable=True, index=True),
    sa.Column("carrier", sa.String(64), sa.ForeignKey("carriers.code"), nullable=True),
    sa.Column("awb", sa.String(64), nullable=True, unique=True),
    sa.Column("reverse_cost_paise", Money, nullable=True),
    sa.Column("pickup_date", sa.Date, nullable=True),
    sa.Column("explanation", JSONType, nullable=True),
    sa.Column("requested_by", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Index(None, "status"),
    sa.Index(None, "created_at", "id"),
)

return_lines = sa.Table(
    "return_lines", metadata,
    sa.Column("return_id", sa.String(40), sa.ForeignKey("returns.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),   # the order line it returns
    sa.Column("sku", sa.String(64), sa.ForeignKey("skus.code"), nullable=False),
    sa.Column("qty", sa.Integer, nullable=False),
    sa.Column("unit_price_paise", Money, nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("exchange_sku", sa.String(64), sa.ForeignKey("skus.code"), nullable=True),
    sa.Column("received_qty", sa.Integer, nullable=True),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.CheckConstraint("received_qty IS NULL OR (received_qty >= 0 AND received_qty <= qty)",
                       name="received_qty_range"),
)

return_dispositions = sa.Table(
    "return_dispositions", metadata,
    sa.Column("return_id", sa.String(40), sa.ForeignKey("returns.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("grade", sa.String(1), primary_key=True),
    sa.Column("qty", sa.Integer, nullable=False),
    sa.Column("disposition", sa.String(16), nullable=False),  # restock | refurbish | write_off | repair
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code"), nullable=False),
    sa.Column("work_order_id", sa.String(40), nullable=True),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.CheckConstraint("grade IN ('A', 'B', 'C', 'D')", name="grade_known"),
)

refunds = sa.Table(
    "refunds", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("return_id", sa.String(40), sa.ForeignKey("returns.id", ondelete="CASCADE"), nullable=False,
              unique=True),
    sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("amount_paise", Money, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, server_default="INR"),
    sa.Column("payment_mode", sa.String(16), nullable=False),   # the order's: PREPAID | COD
    sa.Column("method", sa.String(16), nullable=False),         # original | upi | bank
    sa.Column("reference", sa.String(200), nullable=True),      # COD: where the money goes
    sa.Column("status", sa.String(16), nullable=False),         # issued
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("amount_paise >= 0", name="amount_nonneg"),
)

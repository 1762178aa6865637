"""Money the customer still owes on an order: a payment request (the dearer side of an exchange).

The shop collects it (its payment link, the buyer paying) and settles it: ``paid``
or ``cancelled`` (waived). Amounts are integer paise, always > 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PENDING, PAID, CANCELLED = "pending", "paid", "cancelled"
SETTLED = (PAID, CANCELLED)


@dataclass(frozen=True)
class PaymentRequest:
    id: str
    order_id: str                    # the order whose return asked for it
    channel: str
    amount_paise: int
    status: str                      # pending | paid | cancelled
    created_at: datetime
    reason: str = ""
    return_id: str | None = None
    exchange_order_id: str | None = None
    customer_id: str | None = None
    currency: str = "INR"
    reference: str | None = None     # the shop's payment reference once settled
    settled_at: datetime | None = None
    settled_by: str | None = None

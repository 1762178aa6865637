"""Payment requests (the dearer side of an exchange) and an order's money trail."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from omnialloc.api.schemas.common import Open, Strict


class SettleIn(Strict):
    status: Literal["paid", "cancelled"]
    reference: str | None = Field(default=None, max_length=200)


class PaymentRequestOut(Open):
    id: str
    order_id: str
    amount_paise: int
    status: str


class MoneyTrailOut(Open):
    order_id: str
    currency: str
    entries: list[dict]
    payment_requests: list[dict]

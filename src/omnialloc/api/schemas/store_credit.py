"""Store credit: a customer's balance and ledger, and redeeming it against an order."""

from __future__ import annotations

from omnialloc.api.schemas.common import Id, Int, Open, Strict, Text


class RedeemIn(Strict):
    amount_paise: Int(gt=0, le=10**11)
    order_id: Id
    reason: Text = ""


class StoreCreditOut(Open):
    customer_id: str
    balance_paise: int
    ledger: list[dict]

"""Store credit: a customer's balance and ledger, and redeeming it against an order."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from omnialloc.api.schemas.common import Id, Open, Strict, Text, WholeNumber


class RedeemIn(Strict):
    amount_paise: Annotated[int, Field(gt=0, le=10**11), WholeNumber]
    order_id: Id
    reason: Text = ""


class StoreCreditOut(Open):
    customer_id: str
    balance_paise: int
    ledger: list[dict]

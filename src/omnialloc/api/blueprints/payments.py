"""Payment requests the shop settles (the price difference of a dearer exchange) and an order's money trail."""

from __future__ import annotations

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.payments import MoneyTrailOut, PaymentRequestOut, SettleIn
from omnialloc.services.returns import money

bp = APIBlueprint("payments", __name__, tag="Returns")

_ERRORS = [401, 403, 404, 409, 422]


@bp.get("/orders/<string:order_id>/money")
@bp.auth_required(auth)
@bp.output(MoneyTrailOut)
@bp.doc(summary="An order's money trail: charge, payment requests, refunds and store credit, oldest first",
        responses=_ERRORS)
def money_trail(order_id: str):
    return money.money_trail(ctx(), current(), order_id)


@bp.post("/payment-requests/<string(maxlength=40):request_id>/settle")
@bp.auth_required(auth)
@bp.input(SettleIn, location="json", arg_name="body")
@bp.output(PaymentRequestOut)
@bp.doc(summary="Settle a pending payment request: the shop collected it (paid) or waived it (cancelled)",
        description="Once only: a request that is no longer pending is a 409.", responses=_ERRORS)
def settle(request_id: str, body: SettleIn):
    return money.settle_payment_request(ctx(), current(), request_id, body.model_dump())

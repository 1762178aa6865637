"""The delivery promise (issue 24): ``POST /promise`` for a checkout cart, ``GET /promise`` for a product page."""

from __future__ import annotations

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.promise import PromiseIn, PromiseOut, PromiseQuery
from omnialloc.domain.enums import Role
from omnialloc.services.promise import quote

bp = APIBlueprint("promise", __name__, tag="Promise")

_READERS = (Role.ADMIN, Role.CHANNEL, Role.ANALYST)
_DESCRIPTION = ("The delivery options allocation would plan for this cart right now (standard, and express when "
                "it is faster): each with its delivery date, shipping cost and parcels. Nothing is reserved. "
                "A channel key promises for its own channel.")


def _channel(asked: str | None) -> str:
    principal = current()
    principal.require(*_READERS)
    if principal.role == Role.CHANNEL:
        assert principal.channel is not None  # a channel key names its channel (services.access.create_key)
        return principal.channel
    return asked or "web"


@bp.post("/promise")
@bp.auth_required(auth)
@bp.input(PromiseIn, location="json", arg_name="body")
@bp.output(PromiseOut)
@bp.doc(summary="Delivery options for a checkout cart", description=_DESCRIPTION, responses=[401, 403, 422])
def promise_cart(body: PromiseIn):
    return quote.quote(ctx(), lines=[line.model_dump() for line in body.lines], pin=body.pin,
                       payment_mode=body.payment_mode, channel=_channel(body.channel))


@bp.get("/promise")
@bp.auth_required(auth)
@bp.input(PromiseQuery, location="query", arg_name="query")
@bp.output(PromiseOut)
@bp.doc(summary="Delivery options for one SKU (a product page)", description=_DESCRIPTION,
        responses=[401, 403, 422])
def promise_sku(query: PromiseQuery):
    return quote.quote(ctx(), lines=[{"sku": query.sku, "qty": query.qty}], pin=query.pin,
                       payment_mode=query.payment_mode, channel=_channel(query.channel))

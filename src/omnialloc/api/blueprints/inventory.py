"""Inventory adjustments (stock arriving retries backordered orders)."""

from __future__ import annotations

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.inventory import AdjustmentsIn, AdjustmentsOut
from omnialloc.services.inventory import positions

bp = APIBlueprint("inventory", __name__, tag="Inventory")


@bp.post("/inventory/adjustments")
@bp.auth_required(auth)
@bp.input(AdjustmentsIn, location="json", arg_name="body")
@bp.output(AdjustmentsOut)
@bp.doc(summary="Adjust on-hand stock with a reason (all or nothing)", responses=[401, 403, 404, 409, 413, 422])
def adjust(body: AdjustmentsIn):
    return positions.adjust(ctx(), current(), [a.model_dump() for a in body.adjustments])

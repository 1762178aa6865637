"""Shipments: the fulfilment node's work (accept, reject with hopping, pack, ship)."""

from __future__ import annotations

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.common import ReasonIn
from omnialloc.api.schemas.shipments import PackIn, ShipIn, ShipmentOut, ShipmentPage, ShipmentQuery
from omnialloc.services.fulfilment import shipments as fulfilment
from omnialloc.services.orders import queries

bp = APIBlueprint("shipments", __name__, tag="Shipments")

_ERRORS = [401, 403, 404, 409, 413, 422]


@bp.get("/shipments")
@bp.auth_required(auth)
@bp.input(ShipmentQuery, location="query", arg_name="query")
@bp.output(ShipmentPage)
@bp.doc(summary="List shipments (a node key sees its own node's only)", responses=_ERRORS)
def list_shipments(query: ShipmentQuery):
    return queries.list_shipments(ctx(), current(), query.model_dump())


@bp.get("/shipments/<string:shipment_id>")
@bp.auth_required(auth)
@bp.output(ShipmentOut)
@bp.doc(summary="One shipment", responses=_ERRORS)
def get_shipment(shipment_id: str):
    return queries.shipment_view(ctx(), current(), shipment_id)


@bp.post("/shipments/<string:shipment_id>/accept")
@bp.auth_required(auth)
@bp.output(ShipmentOut)
@bp.doc(summary="The node accepts the shipment", responses=_ERRORS)
def accept(shipment_id: str):
    return fulfilment.accept(ctx(), current(), shipment_id)


@bp.post("/shipments/<string:shipment_id>/reject")
@bp.auth_required(auth)
@bp.input(ReasonIn, location="json", arg_name="body")
@bp.output(ShipmentOut)
@bp.doc(summary="The node rejects; its lines hop to the next best node at once", responses=_ERRORS)
def reject(shipment_id: str, body: ReasonIn):
    return fulfilment.reject(ctx(), current(), shipment_id, body.reason)


@bp.post("/shipments/<string:shipment_id>/pack")
@bp.auth_required(auth)
@bp.input(PackIn, location="json", arg_name="body")
@bp.output(ShipmentOut)
@bp.doc(summary="Record the packed box; billed weight and cost are recomputed", responses=_ERRORS)
def pack(shipment_id: str, body: PackIn):
    return fulfilment.pack(ctx(), current(), shipment_id, body.model_dump())


@bp.post("/shipments/<string:shipment_id>/ship")
@bp.auth_required(auth)
@bp.input(ShipIn, location="json", arg_name="body")
@bp.output(ShipmentOut)
@bp.doc(summary="Hand over to the carrier with an AWB; reserved stock leaves on-hand", responses=_ERRORS)
def ship(shipment_id: str, body: ShipIn):
    return fulfilment.ship(ctx(), current(), shipment_id, body.awb)

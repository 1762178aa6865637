"""Bring your own network (issue 25): nodes, SKUs, carriers (rate cards, serviceability), channels, and the
network's CSV files in and out. The node manifest stays in blueprints/nodes.py."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, request

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.network import (
    CarrierIn,
    CarrierOut,
    CarrierPage,
    CarrierPatch,
    CarrierQuery,
    ChannelIn,
    ChannelOut,
    ChannelPage,
    ChannelPatch,
    ChannelQuery,
    NetworkImportOut,
    NetworkImportQuery,
    NodeIn,
    NodeOut,
    NodePage,
    NodePatch,
    NodeQuery,
    RateCardIn,
    RateCardOut,
    ServiceabilityIn,
    ServiceabilityPage,
    ServiceabilityQuery,
    ServiceabilityReplaced,
    SkuIn,
    SkuOut,
    SkuPage,
    SkuPatch,
    SkuQuery,
    create_values,
    patch_values,
)
from omnialloc.domain.errors import FieldError, NotFound, ValidationFailed
from omnialloc.services.network import admin, imports

bp = APIBlueprint("network", __name__, tag="Network")

# ------------------------------------------------------------------ nodes
@bp.get("/nodes")
@bp.auth_required(auth)
@bp.input(NodeQuery, location="query", arg_name="query")
@bp.output(NodePage)
@bp.doc(summary="Nodes, by code (a node key sees its own node)", responses=[401, 403, 422])
def list_nodes(query: NodeQuery):
    return admin.list_nodes(ctx(), current(), query.model_dump())


@bp.post("/nodes")
@bp.auth_required(auth)
@bp.input(NodeIn, arg_name="body")
@bp.output(NodeOut, status_code=201)
@bp.doc(summary="Add a node (lat/lon, city and state from the PIN when left out)", responses=[401, 403, 409, 422])
def create_node(body: NodeIn):
    return admin.create_node(ctx(), current(), create_values(body))


@bp.get("/nodes/<string:code>")
@bp.auth_required(auth)
@bp.output(NodeOut)
@bp.doc(summary="One node", responses=[401, 403, 404])
def get_node(code: str):
    return admin.get_node(ctx(), current(), code)


@bp.patch("/nodes/<string:code>")
@bp.auth_required(auth)
@bp.input(NodePatch, arg_name="body")
@bp.output(NodeOut)
@bp.doc(summary="Change a node (active=false: no new allocations from the next transaction of every worker)",
        responses=[401, 403, 404, 422])
def update_node(code: str, body: NodePatch):
    return admin.update_node(ctx(), current(), code, patch_values(body))


@bp.delete("/nodes/<string:code>")
@bp.auth_required(auth)
@bp.output(NodeOut)
@bp.doc(summary="Take a node out of the network: deactivated, kept for history; 409 while it has live shipments",
        responses=[401, 403, 404, 409])
def remove_node(code: str):
    return admin.remove_node(ctx(), current(), code)


# ------------------------------------------------------------------ SKUs
@bp.get("/skus")
@bp.auth_required(auth)
@bp.input(SkuQuery, location="query", arg_name="query")
@bp.output(SkuPage)
@bp.doc(summary="The catalog, by code (filters: category, active, q in code or name, barcode)",
        responses=[401, 403, 422])
def list_skus(query: SkuQuery):
    return admin.list_skus(ctx(), current(), query.model_dump())


@bp.post("/skus")
@bp.auth_required(auth)
@bp.input(SkuIn, arg_name="body")
@bp.output(SkuOut, status_code=201)
@bp.doc(summary="Add a SKU", responses=[401, 403, 409, 422])
def create_sku(body: SkuIn):
    return admin.create_sku(ctx(), current(), create_values(body))


@bp.get("/skus/<string:code>")
@bp.auth_required(auth)
@bp.output(SkuOut)
@bp.doc(summary="One SKU", responses=[401, 403, 404])
def get_sku(code: str):
    return admin.get_sku(ctx(), current(), code)


@bp.patch("/skus/<string:code>")
@bp.auth_required(auth)
@bp.input(SkuPatch, arg_name="body")
@bp.output(SkuOut)
@bp.doc(summary="Change a SKU (active=false: no new orders for it)", responses=[401, 403, 404, 422])
def update_sku(code: str, body: SkuPatch):
    return admin.update_sku(ctx(), current(), code, patch_values(body))


# ------------------------------------------------------------------ carriers
@bp.get("/carriers")
@bp.auth_required(auth)
@bp.input(CarrierQuery, location="query", arg_name="query")
@bp.output(CarrierPage)
@bp.doc(summary="Carriers, by code", responses=[401, 403, 422])
def list_carriers(query: CarrierQuery):
    return admin.list_carriers(ctx(), current(), query.model_dump())


@bp.post("/carriers")
@bp.auth_required(auth)
@bp.input(CarrierIn, arg_name="body")
@bp.output(CarrierOut, status_code=201)
@bp.doc(summary="Add a carrier, optionally with its rate card (every zone A-E)", responses=[401, 403, 409, 422])
def create_carrier(body: CarrierIn):
    return admin.create_carrier(ctx(), current(), create_values(body))


@bp.get("/carriers/<string:code>")
@bp.auth_required(auth)
@bp.output(CarrierOut)
@bp.doc(summary="One carrier with its rate card", responses=[401, 403, 404])
def get_carrier(code: str):
    return admin.get_carrier(ctx(), current(), code)


@bp.patch("/carriers/<string:code>")
@bp.auth_required(auth)
@bp.input(CarrierPatch, arg_name="body")
@bp.output(CarrierOut)
@bp.doc(summary="Change a carrier (active=false: no new shipments planned on it); a rate_card replaces the whole "
                "card in the same transaction", responses=[401, 403, 404, 422])
def update_carrier(code: str, body: CarrierPatch):
    return admin.update_carrier(ctx(), current(), code, patch_values(body))


@bp.put("/carriers/<string:code>/rate-card")
@bp.auth_required(auth)
@bp.input(RateCardIn, arg_name="body")
@bp.output(RateCardOut)
@bp.doc(summary="Replace the carrier's rate card: zone x slab (first slab, each additional slab of slab_g grams), "
                "COD fee, fuel surcharge; every zone A-E exactly once", responses=[401, 403, 404, 422])
def put_rate_card(code: str, body: RateCardIn):
    return admin.put_rate_card(ctx(), current(), code, [r.model_dump() for r in body.zones])


@bp.get("/carriers/<string:code>/serviceability")
@bp.auth_required(auth)
@bp.input(ServiceabilityQuery, location="query", arg_name="query")
@bp.output(ServiceabilityPage)
@bp.doc(summary="The carrier's serviceability rows by PIN prefix", responses=[401, 403, 404, 422])
def list_serviceability(code: str, query: ServiceabilityQuery):
    return admin.list_serviceability(ctx(), current(), code, query.model_dump())


@bp.put("/carriers/<string:code>/serviceability")
@bp.auth_required(auth)
@bp.input(ServiceabilityIn, arg_name="body")
@bp.output(ServiceabilityReplaced)
@bp.doc(summary="Replace the carrier's serviceability (forward / reverse / COD / pickup per PIN or prefix; a row "
                "may name a node for its PIN). Carriers' published lists: POST /network/imports/serviceability",
        responses=[401, 403, 404, 422])
def put_serviceability(code: str, body: ServiceabilityIn):
    rows = [r.model_dump(exclude_none=True) for r in body.rows]
    return admin.put_serviceability(ctx(), current(), code, rows)


# ------------------------------------------------------------------ channels
@bp.get("/channels")
@bp.auth_required(auth)
@bp.input(ChannelQuery, location="query", arg_name="query")
@bp.output(ChannelPage)
@bp.doc(summary="Sales channels, by code (webhook secrets are never shown)", responses=[401, 403, 422])
def list_channels(query: ChannelQuery):
    return admin.list_channels(ctx(), current(), query.model_dump())


@bp.post("/channels")
@bp.auth_required(auth)
@bp.input(ChannelIn, arg_name="body")
@bp.output(ChannelOut, status_code=201)
@bp.doc(summary="Add a sales channel", responses=[401, 403, 409, 422])
def create_channel(body: ChannelIn):
    return admin.create_channel(ctx(), current(), create_values(body))


@bp.get("/channels/<string:code>")
@bp.auth_required(auth)
@bp.output(ChannelOut)
@bp.doc(summary="One sales channel", responses=[401, 403, 404])
def get_channel(code: str):
    return admin.get_channel(ctx(), current(), code)


@bp.patch("/channels/<string:code>")
@bp.auth_required(auth)
@bp.input(ChannelPatch, arg_name="body")
@bp.output(ChannelOut)
@bp.doc(summary="Change a channel; webhook_secret is write-only (null removes it)", responses=[401, 403, 404, 422])
def update_channel(code: str, body: ChannelPatch):
    return admin.update_channel(ctx(), current(), code, patch_values(body))


# ------------------------------------------------------------------ files
def _file(name: str) -> str:
    if name not in imports.FILE_NAMES:
        raise NotFound(f"no network file {name!r} (one of {', '.join(imports.FILE_NAMES)})")
    return name


@bp.post("/network/imports/<string:name>")
@bp.auth_required(auth)
@bp.input(NetworkImportQuery, location="query", arg_name="query")
@bp.output(NetworkImportOut)
@bp.doc(summary="Import one network file (CSV body, or the `file` field of a multipart form): all or nothing, "
                "with a dry run; problems as 422 with one error per file line and column",
        responses=[401, 403, 404, 413, 422])
def import_file(name: str, query: NetworkImportQuery):
    name = _file(name)
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("multipart upload without a 'file' field", field_errors=[FieldError("file", "required")])
        data = upload.read()
    else:
        data = request.get_data(cache=False)
    if b"\x00" in data:
        raise ValidationFailed("NUL (U+0000) characters are not accepted",
                               field_errors=[FieldError("body", "must not contain NUL (U+0000) characters")])
    return imports.import_network(ctx(), current(), {name: data}, dry_run=query.dry_run, source="api")


# responses= takes descriptions and response objects side by side (apiflask's annotation lists them apart).
_CSV_FILE: dict[int | str, Any] = {
    200: {"description": "The file as CSV (header line first)", "content": {"text/csv": {"schema": {"type": "string"}}}},
    401: "", 403: "", 404: ""}


@bp.get("/network/exports/<string:name>")
@bp.auth_required(auth)
@bp.doc(summary="Export one network file as CSV, in the import's format",
        responses=_CSV_FILE)
def export_file(name: str):
    body = imports.export_csv(ctx(), current(), _file(name))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

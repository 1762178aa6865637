"""Global inventory (issue 6): the stock view across nodes and bulk stock imports.

Adjustments (``POST /inventory/adjustments``) stay in blueprints/inventory.py.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import request

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.inventory import InventoryPage, InventoryQuery, SkuStockOut
from omnialloc.api.schemas.stock_imports import ImportOut, ImportQuery
from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.services.inventory import positions, stock_import

bp = APIBlueprint("stock", __name__, tag="Inventory")


@bp.get("/inventory")
@bp.auth_required(auth)
@bp.input(InventoryQuery, location="query", arg_name="query")
@bp.output(InventoryPage)
@bp.doc(summary="Stock per node and SKU: on_hand, reserved, safety stock, ATP (a node key sees its own node)",
        responses=[401, 403, 422])
def list_inventory(query: InventoryQuery):
    return positions.list_positions(ctx(), current(), **query.model_dump())


@bp.get("/inventory/<string:sku>")
@bp.auth_required(auth)
@bp.output(SkuStockOut)
@bp.doc(summary="One SKU everywhere: per node, totals by node kind and in total", responses=[401, 403, 404])
def sku_stock(sku: str):
    return positions.sku_view(ctx(), current(), sku)


@bp.post("/inventory/imports")
@bp.auth_required(auth)
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.output(ImportOut)
@bp.doc(
    summary="Bulk stock import from CSV (node,sku,qty[,safety_stock]): validated, then all or nothing",
    description="Send the CSV as the body (`Content-Type: text/csv`) or as the `file` field of a multipart "
                "form. `mode=snapshot` sets on-hand to the counts (rows of the covered nodes not listed count "
                "as zero); `mode=delta` adds. Any problem -> 422 with one error per CSV line and nothing "
                "applied. A node key (e.g. a dropship vendor) imports its own node's stock only.",
    responses=[401, 403, 404, 413, 422],
)
def import_stock(query: ImportQuery):
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("multipart upload without a 'file' field",
                                   field_errors=[FieldError("file", "required")])
        data = upload.read()
    else:
        data = request.get_data(cache=False)
    if b"\x00" in data:  # PostgreSQL cannot store U+0000 (JSON bodies are checked in api/intake.py)
        raise ValidationFailed("NUL (U+0000) characters are not accepted",
                               field_errors=[FieldError("body", "must not contain NUL (U+0000) characters")])
    return stock_import.import_stock(ctx(), current(), data, mode=query.mode, node=query.node,
                                     dry_run=query.dry_run, source="api")

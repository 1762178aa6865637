"""CSV exports (issue 27), streamed: orders with their lines and shipments, and inventory positions."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, stream_with_context

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.exports import InventoryExportQuery, OrderExportQuery
from omnialloc.services.events import now
from omnialloc.services.orders import export

bp = APIBlueprint("exports", __name__, tag="Exports")

# responses= takes descriptions and response objects side by side (apiflask's annotation lists them apart).
_CSV: dict[int | str, Any] = {200: {"description": "CSV, header line first (RFC 4180, CRLF line ends), streamed",
                                    "content": {"text/csv": {"schema": {"type": "string"}}}}}


def _csv(chunks, name: str) -> Response:
    stamp = now().strftime("%Y%m%dT%H%M%SZ")
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"',
                             "Cache-Control": "no-store"})


@bp.get("/exports/orders.csv")
@bp.auth_required(auth)
@bp.input(OrderExportQuery, location="query", arg_name="query")
@bp.doc(summary="Orders as CSV, one row per order line with its shipments, streamed (the order search's filters; "
                "a channel key: its own channel)", responses={**_CSV, 401: "", 403: "", 422: ""})
def orders_csv(query: OrderExportQuery):
    chunks = export.orders_csv(ctx(), current(), query.model_dump())  # access checked before the first byte
    return _csv(chunks, "orders")


@bp.get("/exports/inventory.csv")
@bp.auth_required(auth)
@bp.input(InventoryExportQuery, location="query", arg_name="query")
@bp.doc(summary="Inventory positions as CSV (node, SKU, on hand, reserved, safety stock, ATP), streamed",
        responses={**_CSV, 401: "", 403: "", 422: ""})
def inventory_csv(query: InventoryExportQuery):
    return _csv(export.inventory_csv(ctx(), current(), **query.model_dump()), "inventory")

"""Nodes: the daily manifest per node and carrier."""

from __future__ import annotations

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.nodes import ManifestOut, ManifestQuery
from omnialloc.services.orders import queries

bp = APIBlueprint("nodes", __name__, tag="Nodes")


@bp.get("/nodes/<string:code>/manifest")
@bp.auth_required(auth)
@bp.input(ManifestQuery, location="query", arg_name="query")
@bp.output(ManifestOut)
@bp.doc(summary="Shipments handed over on a date (UTC), grouped by carrier", responses=[401, 403, 404, 422])
def manifest(code: str, query: ManifestQuery):
    return queries.manifest(ctx(), current(), code, query.date)

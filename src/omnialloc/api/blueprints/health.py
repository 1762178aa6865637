"""Health probes: liveness (the process answers) and readiness (it can serve: database, schema, caches).

``/health`` stays as it always was (the database answers) for clients and scripts that use it.
No authentication: a load balancer or an orchestrator calls these, and they show no data.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import jsonify

from omnialloc.api.deps import ctx
from omnialloc.api.errors import error_body
from omnialloc.services.operations import health

bp = APIBlueprint("health", __name__, tag="Meta")

_READY_EXAMPLE = {
    "status": "ok",
    "version": "0.2.0",
    "checks": {
        "database": {"ok": True, "detail": "reachable", "ms": 0.4},
        "migrations": {"ok": True, "detail": "at head 0011", "ms": 0.3},
        "caches": {"ok": True, "detail": "reference data and PIN directory loaded", "ms": 0.2},
    },
}

# responses= takes response objects (apiflask's annotation of them is narrower than an OpenAPI example's).
_LIVE_RESPONSES: dict[int | str, Any] = {
    200: {
        "description": "The process is alive",
        "content": {"application/json": {"example": {"status": "ok", "version": "0.2.0"}}},
    }
}
_READY_RESPONSES: dict[int | str, Any] = {
    200: {"description": "Ready to serve", "content": {"application/json": {"example": _READY_EXAMPLE}}},
    503: {"description": "Not ready: a problem details object whose `checks` names each failed check"},
}


@bp.get("/health/live")
@bp.doc(
    summary="Liveness: the process answers (touches no dependency)",
    operation_id="health_live",
    responses=_LIVE_RESPONSES,
)
def live():
    return health.liveness()


@bp.get("/health/ready")
@bp.doc(
    summary="Readiness: database reachable, schema at the migrations' head, caches loaded",
    operation_id="health_ready",
    responses=_READY_RESPONSES,
)
def ready():
    result = health.readiness(ctx())
    if result.ok:
        return result.to_dict()
    failed = [f"{name}: {c.detail}" for name, c in result.checks.items() if not c.ok]
    body = {**error_body(503, "Service unavailable", "not ready: " + "; ".join(failed)), **result.to_dict()}
    body["status"] = 503  # a problem details object (RFC 9457), the checks as an extension member
    return jsonify(body), 503


@bp.get("/health")
@bp.doc(
    summary="Liveness and database check (kept for existing clients; prefer /health/ready)", operation_id="health_check"
)
def check():
    return health.database(ctx())

"""``GET /metrics``: Prometheus text exposition for a scraper holding an admin or analyst key.

(The counters it shows are defined in omnialloc.observability.metrics; the outbox backlog is read
from the store per scrape.)
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.domain.enums import Role
from omnialloc.observability import metrics
from omnialloc.services.operations import health

bp = APIBlueprint("metrics", __name__, tag="Meta")

_EXAMPLE = """# HELP omnialloc_plans_total Single-order plans by status (OPTIMAL, FEASIBLE, HEURISTIC_FALLBACK, ...)
# TYPE omnialloc_plans_total counter
omnialloc_plans_total{status="OPTIMAL"} 1842.0
"""

# responses= takes descriptions and response objects side by side (apiflask's annotation lists them apart).
_RESPONSES: dict[int | str, Any] = {
    200: {
        "description": "Prometheus text exposition format 0.0.4",
        "content": {"text/plain": {"schema": {"type": "string"}, "example": _EXAMPLE}},
    },
    401: "No or a bad API key",
    403: "The key's role may not read metrics",
}


def _store_gauges(context) -> metrics.StoreGauges:
    return metrics.StoreGauges(
        lambda: {"omnialloc_outbox_notifications": health.outbox_counts(context)},
        {
            "omnialloc_outbox_notifications": (
                "Notifications in the outbox by status: pending and sending are the backlog, failed the dead letters",
                "status",
            )
        },
    )


@bp.get("/metrics")
@bp.auth_required(auth)
@bp.doc(
    summary="Prometheus metrics (admin or analyst key)",
    operation_id="metrics_scrape",
    responses=_RESPONSES,
)
def scrape():
    current().require(Role.ADMIN, Role.ANALYST)
    body, content_type = metrics.exposition(_store_gauges(ctx()))
    return Response(body, content_type=content_type)

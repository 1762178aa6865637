"""Per-request telemetry: the request id, one JSON log line per request, and the HTTP metrics.

Installed first among the app's hooks, so even a request refused before routing (a header too
large, a body that is not JSON) gets an id, a log line and a count. The id comes from the caller's
``X-Request-ID`` when it is a sane token (observability.request_id), else is generated; it is
returned in the answer's ``X-Request-ID`` and stamped on every log line written while handling
the request, and on the outbox rows the request writes (services.notifications).

Routes are labelled by their template (``/orders/<order_id>``), never the path a caller sent, so
the metrics have a bounded set of series and no customer data in labels; anything unrouted is
``unmatched``.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from omnialloc.observability import metrics
from omnialloc.observability import request_id as rid

log = logging.getLogger("omnialloc.request")


def install(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request_funcs.setdefault(None, []).append(_finish)  # runs first: Flask calls them in reverse
    app.teardown_request_funcs.setdefault(None, []).append(_forget)


def _begin() -> None:
    if "request_id" not in g:
        g.request_id = rid.accept(request.headers.get(rid.HEADER))
        g.request_id_token = rid.set_current(g.request_id)
        g.request_start = time.perf_counter()


def _finish(response):
    _begin()  # a request refused before the hooks ran still gets its id
    seconds = time.perf_counter() - g.request_start
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    status = response.status_code
    metrics.REQUESTS.labels(request.method, route, str(status)).inc()
    metrics.REQUEST_SECONDS.labels(request.method, route).observe(seconds)
    response.headers[rid.HEADER] = g.request_id
    principal = g.get("principal")
    log.log(
        logging.WARNING if status >= 500 else logging.INFO,
        "%s %s %s",
        request.method,
        route,
        status,
        extra={
            "method": request.method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000.0, 2),
            "actor": getattr(principal, "actor", None),
        },
    )
    return response


def _forget(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        rid.reset(token)

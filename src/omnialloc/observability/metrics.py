"""Prometheus metrics: what the API, the solver, the reservations, the workers and the batches did.

Counters and histograms live in prometheus-client's default registry and are updated where the
work happens (thin calls from the services). ``exposition`` renders them for ``GET /metrics``:

- one process (the Flask dev server, tests): the default registry as it is;
- several processes (gunicorn workers, and the notify-worker beside them): every process writes
  its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` (set before the first import of
  prometheus_client, which ``omnialloc serve`` does) and the scrape adds them up, so one scrape of
  any worker shows the whole server. The directory must be emptied when the server (re)starts.

State that is in the store rather than in a process (the outbox backlog) is read at scrape time
by a collector the caller passes in.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5)
_HTTP = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LONG = (0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

REQUESTS = Counter(
    "omnialloc_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "omnialloc_http_request_duration_seconds",
    "Time from the request reaching the app to its answer, by method and route template",
    ["method", "route"],
    buckets=_HTTP,
)
SOLVE_SECONDS = Histogram(
    "omnialloc_solve_duration_seconds",
    "Single-order solver wall time, by the method that settled the plan and its status",
    ["method", "status"],
    buckets=_FAST,
)
PLANS = Counter(
    "omnialloc_plans", "Single-order plans by status (OPTIMAL, FEASIBLE, HEURISTIC_FALLBACK, ...)", ["status"]
)
RESERVATION_CONFLICTS = Counter(
    "omnialloc_reservation_conflicts", "Reservations that found a plan's stock taken by a concurrent request"
)
RESOLVES = Counter("omnialloc_resolves", "Re-solves after a reservation conflict")
BACKORDERS = Counter("omnialloc_backorders", "Times an order's unplaced units were put on backorder")
BACKORDER_RETRIES = Counter(
    "omnialloc_backorder_retries",
    "Backorder retries by the worker, by outcome (allocated, still_short, skipped)",
    ["outcome"],
)
NOTIFICATIONS = Counter(
    "omnialloc_notifications",
    "Notification send outcomes by kind, channel and outcome (sent, retry, failed, lost)",
    ["kind", "channel", "outcome"],
)
BATCH_SECONDS = Histogram(
    "omnialloc_batch_duration_seconds",
    "Nightly jobs (batch plan and apply, rebalance, prices refresh) by job and outcome",
    ["job", "outcome"],
    buckets=_LONG,
)
IMPORT_SECONDS = Histogram(
    "omnialloc_stock_import_duration_seconds", "Stock imports by mode and outcome", ["mode", "outcome"], buckets=_LONG
)


F = TypeVar("F", bound=Callable[..., Any])


def timed(histogram: Histogram, **labels: str | Callable[[dict[str, Any]], str]) -> Callable[[F], F]:
    """Decorator: the call's wall time into ``histogram`` with ``labels`` and ``outcome`` (ok or error).

    A label given as a function gets the call's keyword arguments (``mode=lambda kw: kw["mode"]``)."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            start, outcome = time.perf_counter(), "error"
            try:
                result = fn(*args, **kwargs)
                outcome = "ok"
                return result
            finally:
                values = {k: (v(kwargs) if callable(v) else v) for k, v in labels.items()}
                histogram.labels(**values, outcome=outcome).observe(time.perf_counter() - start)

        return inner  # type: ignore[return-value]

    return wrap


def observe_plan(method: str, status: str, solve_ms: float) -> None:
    """One single-order solve: its time by method and status, and the plan counted by status."""
    SOLVE_SECONDS.labels(method or "none", status).observe(solve_ms / 1000.0)
    PLANS.labels(status).inc()


class StoreGauges:
    """Gauges read from the store at scrape time: ``read`` returns {metric name: {label value: count}}."""

    def __init__(self, read: Callable[[], Mapping[str, Mapping[str, int]]], described: Mapping[str, tuple[str, str]]):
        self._read = read
        self._described = described  # metric name -> (help, label name)

    def collect(self) -> Iterator[Metric]:
        values = self._read()
        for name, (help_text, label) in self._described.items():
            family = GaugeMetricFamily(name, help_text, labels=[label])
            for key, n in sorted(values.get(name, {}).items()):
                family.add_metric([key], n)
            yield family

    def describe(self) -> Iterable[Metric]:
        return []  # nothing to read at registration: the store is read per scrape


class _Local:
    """This process's default registry, as a collector of a per-scrape registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()

    def describe(self) -> Iterable[Metric]:
        return []


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition(*extra: object) -> tuple[bytes, str]:
    """The text a scrape gets (and its content type): this server's metrics plus ``extra`` collectors."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus-client leaves it untyped
    else:
        registry.register(_Local())
    for collector in extra:
        registry.register(collector)  # type: ignore[arg-type]
    return generate_latest(registry), CONTENT_TYPE_LATEST

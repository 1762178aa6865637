"""Liveness, readiness and the outbox backlog.

- **live**: the process answers (no dependency is touched: a load balancer or systemd restarts a
  process that stops answering, not one whose database is down).
- **ready**: this process can serve traffic: the database answers, its schema is at the
  migrations' head (an old schema would fail writes; a newer one means this code is stale),
  and the reference caches are filled (the first probe fills them, so the first order does not).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

from omnialloc import __version__
from omnialloc.geo.pins import warm
from omnialloc.services.network.cache import network
from omnialloc.store.migrate import head, revision_on


@dataclass
class Check:
    ok: bool
    detail: str
    ms: float = 0.0


@dataclass
class Readiness:
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks.values())

    def to_dict(self) -> dict:
        return {
            "status": "ok" if self.ok else "unavailable",
            "version": __version__,
            "checks": {name: {"ok": c.ok, "detail": c.detail, "ms": round(c.ms, 2)} for name, c in self.checks.items()},
        }


def liveness() -> dict:
    return {"status": "ok", "version": __version__}


def database(ctx) -> dict:
    """The old ``/health``: the database answers (an unreachable one raises, which the API answers 503)."""
    with ctx.engine.connect() as conn:
        revision_on(conn)
    return liveness()


@lru_cache(maxsize=1)
def migrations_head() -> str:
    return head()


def readiness(ctx) -> Readiness:
    """Each check runs even when an earlier one failed, so the answer names every problem."""
    result = Readiness()
    start = time.perf_counter()
    at: str | None = None
    try:
        with ctx.engine.connect() as conn:
            at = revision_on(conn)
        result.checks["database"] = Check(True, "reachable", _ms(start))
    except Exception as exc:  # any failure to connect is "not ready", with its reason
        result.checks["database"] = Check(False, f"unreachable: {type(exc).__name__}", _ms(start))
    start = time.perf_counter()
    head = migrations_head()
    if "database" in result.checks and not result.checks["database"].ok:
        result.checks["migrations"] = Check(False, f"unknown (database unreachable); code expects {head}")
    elif at == head:
        result.checks["migrations"] = Check(True, f"at head {head}", _ms(start))
    else:
        result.checks["migrations"] = Check(
            False, f"database at {at or 'no schema'}, code expects {head}: run `omnialloc db upgrade`", _ms(start)
        )
    start = time.perf_counter()
    if result.checks["migrations"].ok:
        try:
            _warm_caches(ctx)
            result.checks["caches"] = Check(True, "reference data and PIN directory loaded", _ms(start))
        except Exception as exc:
            result.checks["caches"] = Check(False, f"could not load reference data: {type(exc).__name__}", _ms(start))
    else:
        result.checks["caches"] = Check(False, "not loaded (the schema is not at head)")
    return result


def _warm_caches(ctx) -> None:
    warm()  # built once per process (create_app did it already; cheap after)
    with ctx.uow(readonly=True) as uow:
        network(uow)


def outbox_counts(ctx) -> dict[str, int]:
    """Notifications by status: pending and sending are the backlog, failed the dead letters."""
    with ctx.uow(readonly=True) as uow:
        return dict(uow.notifications.count_by_status())


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0

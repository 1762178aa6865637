"""The KPIs a manager reads, for the orders created in a date range (and one channel, optionally).

Orders per day; fill rate (units placed on a live shipment / units ordered and not cancelled) and the
backorders still waiting, by age; split rate (orders on more than one live shipment / orders with one);
cost per order and per node (shipping, handling, COD: the live shipments' cost terms); on-time rate
(deliveries by their promise: the shipment's deliver-by, else the order's promised-by, else capture +
promised days); node rejections and hops (re-allocations after a rejection); returned units by reason over
units delivered; notifications by outcome. The aggregates are sums of the daily rollups of
``store.repositories.analytics`` (the days of the range that changed since their rollups were built are
rebuilt first, in a write transaction); this module only divides.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.services.access import Principal
from omnialloc.services.events import now as clock

READERS = (Role.ADMIN, Role.ANALYST)
MAX_DAYS = 366
AGE_BUCKETS = [("< 1 day", 0, 1), ("1-3 days", 1, 3), ("3-7 days", 3, 7), ("7+ days", 7, None)]
FAILED = ("failed",)
REFRESH_DAYS = 7  # stale days rebuilt per write transaction


def date_range(start: str | None, end: str | None, today: date | None = None) -> tuple[date, date]:
    """The inclusive UTC date range asked for (default: the last 7 days up to today); 422 when malformed,
    reversed or longer than a year."""
    today = today or clock().date()
    errors = []

    def parse(text: str | None, field: str, default: date) -> date:
        if not text:
            return default
        try:
            return date.fromisoformat(text)
        except ValueError:
            errors.append(FieldError(field, f"a date like {today.isoformat()}, not {text[:20]!r}"))
            return default

    last = parse(end, "to", today)
    first = parse(start, "from", last - timedelta(days=6))
    if not errors and first > last:
        errors.append(FieldError("from", "the range starts after it ends"))
    if not errors and (last - first).days + 1 > MAX_DAYS:
        errors.append(FieldError("from", f"at most {MAX_DAYS} days at a time"))
    if errors:
        raise ValidationFailed("the date range cannot be read: " + errors[0].message, field_errors=errors)
    return first, last


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC)


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def refresh(ctx, first: date, last: date, then=None):
    """Rebuild the rollups of the days of [first, last] that changed since they were built, a few days per
    write transaction (on SQLite the write lock is held for one batch, not for a year of days after an
    import); ``then(analytics repository)`` runs in the transaction that finds nothing more to rebuild (the
    last round rebuilds whatever is left, however many days writers touched meanwhile). Returns what
    ``then`` returns, else the number of days rebuilt. The page calls it for its range; an operator's timer
    (``omnialloc analytics refresh``) keeps the recent days built so that page views seldom wait for it."""
    rounds = (last - first).days // REFRESH_DAYS + 2
    rebuilt = 0
    for k in range(rounds):
        limit = None if k == rounds - 1 else REFRESH_DAYS
        with ctx.uow() as uow:
            done = uow.analytics.refresh(first, last, limit=limit)
            rebuilt += len(done)
            if limit is None or len(done) < limit:
                result = then(uow.analytics) if then is not None else rebuilt
                uow.commit()
                return result
            uow.commit()
    raise AssertionError("unreachable: the last round has no limit")


def kpis(ctx, principal: Principal, first: date, last: date, channel: str | None = None) -> dict:
    principal.require(*READERS)
    at = clock()

    def read(a) -> tuple:
        return (a.orders_per_day(first, last, channel), a.units(first, last, channel),
                a.backorder_ages(*_bounds(first, last), channel, at), a.shipments_per_order(first, last, channel),
                a.per_node(first, last, channel), a.on_time_per_day(first, last, channel),
                a.returned_units_by_reason(first, last, channel), a.notifications(first, last, channel))

    with ctx.uow(readonly=True) as uow:
        if not uow.analytics.stale_days(first, last):  # the usual case: no write lock taken
            figures = read(uow.analytics)
        else:
            figures = None
    if figures is None:  # days changed since their rollups were built: rebuild them, read after the last
        figures = refresh(ctx, first, last, then=read)
    per_day, units, ages, histogram, nodes, on_time, returned, messages = figures

    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    by_day = {d: (n, v, c) for d, n, v, c in per_day}
    orders_n = sum(n for n, _, _ in by_day.values())
    with_shipment = sum(n for live, _, n in histogram if live > 0)
    split = sum(n for live, _, n in histogram if live > 1)
    hops: dict[str, int] = {}
    for _, rejected, n in histogram:
        key = str(rejected) if rejected < 3 else "3+"
        hops[key] = hops.get(key, 0) + n
    live_shipments = sum(r["live"] for r in nodes)
    cost = {t: sum(int(r[t]) for r in nodes) for t in ("shipping", "handling", "cod", "total")}
    delivered_n = sum(n for _, n, _ in on_time)
    on_time_n = sum(k for _, _, k in on_time)
    failures = sum(n for _, _, status, n in messages if status in FAILED)
    sent = sum(n for _, _, status, n in messages if status == "sent")
    by_kind: dict[str, dict[str, int]] = {}
    for kind, medium, status, n in messages:
        row = by_kind.setdefault(f"{kind} ({medium})", {"sent": 0, "failed": 0, "other": 0})
        row["sent" if status == "sent" else "failed" if status in FAILED else "other"] += n
    return {
        "from": first.isoformat(), "to": last.isoformat(), "channel": channel, "at": at.isoformat(),
        "orders": orders_n, "value_paise": sum(v for _, v, _ in by_day.values()),
        "orders_per_day": [{"day": d, "orders": by_day.get(d, (0, 0, 0))[0], "value_paise": by_day.get(d, (0, 0, 0))[1],
                            "cancelled": by_day.get(d, (0, 0, 0))[2]} for d in days],
        "units": units, "fill_rate": _rate(units["placed"], units["ordered"]),
        "backorders": len(ages),
        "backorders_by_age": [{"age": label, "orders": sum(1 for x in ages if x >= lo and (hi is None or x < hi))}
                              for label, lo, hi in AGE_BUCKETS],
        "split_rate": _rate(split, with_shipment), "orders_shipped_from_one_node": with_shipment - split,
        "orders_split": split,
        "cost": cost, "live_shipments": live_shipments,
        "cost_per_order_paise": None if not with_shipment else round(cost["total"] / with_shipment),
        "cost_per_node": [{**r, "cost_per_shipment_paise": round(r["total"] / r["live"]) if r["live"] else None,
                           "rejection_rate": _rate(r["rejected"], r["shipments"])} for r in nodes],
        "on_time_rate": _rate(on_time_n, delivered_n), "delivered_with_promise": delivered_n,
        "on_time_per_day": [{"day": d, "delivered": n, "on_time": k, "rate": k / n} for d, n, k in on_time],
        "rejections": sum(r["rejected"] for r in nodes),
        "hops": [{"hops": k, "orders": hops[k]} for k in sorted(hops)],
        "returns_by_reason": [{"reason": r, "units": n, "rate": _rate(n, units["delivered"])}
                              for r, n in sorted(returned.items(), key=lambda kv: -kv[1])],
        "returned_units": sum(returned.values()),
        "returns_rate": _rate(sum(returned.values()), units["delivered"]),
        "notifications": {"sent": sent, "failed": failures, "total": sum(n for *_, n in messages),
                          "failure_rate": _rate(failures, sent + failures),
                          "by_kind": [{"kind": k, **v} for k, v in sorted(by_kind.items())]},
    }

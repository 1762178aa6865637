"""Stock opportunity prices: refresh them from the batch LP, read them for real-time allocation.

``refresh`` builds the nightly batch over the open orders (services.batch.reoptimize)
plus the expected demand of the next ``horizon_days``: trailing demand by
region (the destination's state) x SKU over the last ``trailing_days`` days
of order history, scaled to the horizon, added as pseudo-orders shipped to
the region's most frequent PIN (split into up to ``PIECES`` orders so that
no single pseudo-line is larger than a node's stock). The duals of the
stock rows (``solvers.prices``) are the marginal value of one unit per
(node, SKU); they replace the ``stock_prices`` table in one transaction,
stamped with the refresh time.

When ``OMNIALLOC_PRICES_ENABLED`` is true, ``services.allocation.allocator`` reads
them (``uow.stock_prices.for_skus``) into ``Candidates.prices``: the single-order
model then adds the price per unit it takes from a node.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from datetime import timedelta

from omnialloc.geo.pins import locate
from omnialloc.services.batch.reoptimize import snapshot
from omnialloc.services.events import now
from omnialloc.observability import metrics
from omnialloc.solvers.prices import opportunity_prices

PIECES = 5


def trailing_demand(ctx, days: int) -> tuple[dict[tuple[str, str], int], dict[str, str]]:
    """Units ordered per (region, SKU) in the last ``days`` days, and each region's most frequent PIN."""
    since = now() - timedelta(days=days)
    demand: dict[tuple[str, str], int] = defaultdict(int)
    pins: dict[str, Counter] = defaultdict(Counter)
    with ctx.uow(readonly=True) as uow:
        rows = uow.orders.ordered_units_since(since)
    for pin, sku, units in rows:
        try:
            region = locate(pin).state_code
        except Exception:  # an unknown PIN has no region; it cannot shape prices
            continue
        demand[(region, sku)] += units
        pins[region][pin] += 1
    return dict(demand), {reg: c.most_common(1)[0][0] for reg, c in pins.items()}


@metrics.timed(metrics.BATCH_SECONDS, job="prices_refresh")
def refresh(ctx, *, trailing_days: int = 7, horizon_days: float = 1.0, time_limit: float = 300.0) -> dict:
    t0 = time.perf_counter()
    demand, region_pin = trailing_demand(ctx, trailing_days)
    pen = ctx.settings.unfilled_penalty_paise
    expected = 0

    def add_expected(problem, add_lanes):
        nonlocal expected
        for (region, sku), qty in sorted(demand.items()):
            units = math.ceil(qty * horizon_days / trailing_days)
            if units <= 0:
                continue
            dest = locate(region_pin[region])
            k = min(PIECES, units)
            for i in range(k):
                q = units // k + (1 if i < units % k else 0)
                oid = f"exp:{region}:{sku}:{i}"
                problem.add_order(oid, [("1", sku, q, 0, 0)], unfilled_penalty_paise_per_unit=pen)
                add_lanes(oid, dest, cod=False, promised_days=None, weight_g=0)
            expected += units

    # prices weigh every unit alike, as before the batch protected confirmed orders: an order already
    # allocated competes for stock at the same penalty as expected demand
    snap = snapshot(ctx, extra_orders=add_expected, allow_unallocate=True, unallocate_weight=1)
    d = snap.problem.compile()
    prices = opportunity_prices(d, time_limit=time_limit)
    at = now()
    with ctx.uow() as uow:
        uow.stock_prices.replace(prices.rows, at)
        uow.commit()
    return {"open_orders": len(snap.orders), "expected_units": expected, "regions": len(region_pin),
            "prices": len(prices.rows), "lp_status": prices.lp_status, "computed_at": at.isoformat(),
            "seconds": round(time.perf_counter() - t0, 2),
            "top": sorted(prices.rows, key=lambda r: -r[2])[:10]}

"""Stock rebalancing: forecast demand -> target stock per node -> transfer plan -> stock transfer orders.

Forecast: units per region (the destination's state code, e.g. ``TN``) x SKU,
either the trailing ``days`` of order history scaled to ``horizon_days``, or
an analyst's CSV with header ``region,sku,qty`` (qty for the horizon).
Each region's demand is the target of the shipping node nearest to it (its
most frequent PIN in the history, else a node in that state); the target
stock of a node is the demand it serves. Stock that may move is what is
available (on_hand - reserved - safety_stock), so safety stock and
reservations never leave. ``solvers.rebalance`` then minimises transfer
cost (per-unit-km x km + a fixed cost per lane shipment) plus expected
shortfall cost (``shortfall_pct`` of the SKU's price per unit short),
subject to the minimum transfer quantity and a budget.

``plan`` returns the plan (with a fresh plan id, the transfers and the
coverage per node; ``reports.rebalance_plan`` writes it to a folder);
``apply`` creates one stock transfer order
(``services.inventory.transfers.create_transfer``, origin ``rebalance``) per
lane of a plan, each in its own transaction under the idempotency key
``<plan id>:<from>-><to>`` (a unique column). An apply killed half way and
re-run finds the transfers it already created and creates only the rest.
"""

from __future__ import annotations

import csv
import os
import secrets
import time
from collections import defaultdict

import numpy as np

from omnialloc.domain import Capability
from omnialloc.domain.enums import NodeKind
from omnialloc.domain.errors import ValidationFailed
from omnialloc.geo.distance import haversine_km
from omnialloc.geo.pins import locate
from omnialloc.services.network.cache import network
from omnialloc.services.network.cache import skus as sku_master
from omnialloc.observability import metrics
from omnialloc.services.batch.prices import trailing_demand
from omnialloc.solvers.rebalance import RebalanceProblem, solve_rebalance
from omnialloc.services.inventory.transfers import by_plan_key, create_transfer

ACTOR = "system:rebalance"
#: test-only: seconds to sleep after each transfer created by ``apply`` (to kill a run half way)
SLEEP_ENV = "OMNIALLOC_REBALANCE_APPLY_TEST_SLEEP"


def read_forecast_csv(path) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = defaultdict(int)
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"region", "sku", "qty"} <= set(reader.fieldnames):
            raise ValidationFailed(f"{path}: the forecast CSV needs the header region,sku,qty")
        for n, row in enumerate(reader, 2):
            try:
                q = int(row["qty"])
            except ValueError:
                raise ValidationFailed(f"{path} line {n}: qty {row['qty']!r} is not a whole number") from None
            if q > 0:
                out[(row["region"].strip().upper(), row["sku"].strip())] += q
    return dict(out)


@metrics.timed(metrics.BATCH_SECONDS, job="rebalance_plan")
def plan(ctx, *, days: int = 28, horizon_days: float = 7.0, forecast_csv: str | None = None,
         per_unit_km_paise: float = 0.5, lane_fixed_paise: int = 50_000, min_qty: int = 1,
         budget_paise: int | None = None, shortfall_pct: int = 25, progress=None) -> dict:
    """The plan: its summary, ``transfer_list`` (from, to, SKU, qty, cost, saving) and ``node_coverage``
    (per node: forecast demand covered by stock before and after, and the demand)."""
    t0 = time.perf_counter()
    hist, region_pin = trailing_demand(ctx, days)
    if forecast_csv:
        demand = read_forecast_csv(forecast_csv)
    else:
        demand = {k: int(np.ceil(q * horizon_days / days)) for k, q in hist.items()}
    with ctx.uow(readonly=True) as uow:
        net = network(uow)
        # a dropship vendor's stock is the vendor's, not ours to move: never a source or a destination
        nodes = [n for n in net.nodes if n.can(Capability.SHIP) and n.kind != NodeKind.DROPSHIP_VENDOR]
        sku_codes = sorted({s for _, s in demand})
        master = sku_master(uow, sku_codes) if sku_codes else {}
        inv_rows = uow.inventory.for_skus(sku_codes)
    codes = [n.code for n in nodes]
    npos = {c: i for i, c in enumerate(codes)}
    skus = [s for s in sku_codes if s in master]
    spos = {s: i for i, s in enumerate(skus)}
    N, S = len(codes), len(skus)
    stock = np.zeros((N, S), dtype=np.int64)
    for r in inv_rows:
        if r.node in npos and r.sku in spos:
            stock[npos[r.node], spos[r.sku]] = r.atp
    node_state = {n.code: locate(n.pin).state_code for n in nodes}
    target = np.zeros((N, S), dtype=np.int64)
    unmapped = 0
    for (region, sku), q in demand.items():
        if sku not in spos:
            unmapped += q
            continue
        node = None
        if region in region_pin:
            loc = locate(region_pin[region])
            node = min(nodes, key=lambda n: (haversine_km(loc.lat, loc.lon, n.lat, n.lon), n.code)).code
        else:
            inside = sorted(c for c in codes if node_state[c] == region)
            node = inside[0] if inside else None
        if node is None:
            unmapped += q
            continue
        target[npos[node], spos[sku]] += q
    lat = np.array([n.lat for n in nodes])
    lon = np.array([n.lon for n in nodes])
    km = np.array([np.asarray(haversine_km(lat[i], lon[i], lat, lon), dtype=float) for i in range(N)]) \
        if N else np.zeros((0, 0))
    unit_cost = np.rint(km * per_unit_km_paise).astype(np.int64)
    fixed = np.full((N, N), int(lane_fixed_paise), dtype=np.int64)
    short = np.array([max(1, master[s].unit_price_paise * shortfall_pct // 100) for s in skus], dtype=np.int64)
    problem = RebalanceProblem(nodes=codes, skus=skus, stock=stock, demand=target, unit_cost=unit_cost,
                               shortfall_cost=short, fixed_cost=fixed, min_qty=min_qty, budget_paise=budget_paise)
    result = solve_rebalance(problem, progress=progress) if S and N else None
    transfers = [] if result is None else result.transfers
    after = stock.copy()
    for t in transfers:
        after[npos[t.src], spos[t.sku]] -= t.qty
        after[npos[t.dst], spos[t.sku]] += t.qty
    tot = max(int(target.sum()), 1)
    summary = {
        "skus": S, "nodes": N, "forecast_units": int(target.sum()), "unmapped_units": int(unmapped),
        "source": "csv" if forecast_csv else f"trailing {days} days x {horizon_days} days",
        "transfers": len(transfers), "units_moved": int(sum(t.qty for t in transfers)),
        "transfer_cost_paise": 0 if result is None else result.transfer_cost_paise,
        "shortfall_before_paise": 0 if result is None else result.shortfall_before_paise,
        "shortfall_after_paise": 0 if result is None else result.shortfall_after_paise,
        "saving_paise": 0 if result is None else result.saving_paise,
        "coverage_before": float(np.minimum(stock, target).sum() / tot),
        "coverage_after": float(np.minimum(after, target).sum() / tot),
        "seconds": round(time.perf_counter() - t0, 2), "applied": False,
        "plan_id": "reb_" + secrets.token_hex(8),
    }
    summary["transfer_list"] = [(t.src, t.dst, t.sku, t.qty, t.cost_paise, t.saving_paise) for t in transfers]
    summary["node_coverage"] = {"nodes": codes, "before": np.minimum(stock, target).sum(1).tolist(),
                                "after": np.minimum(after, target).sum(1).tolist(), "target": target.sum(1).tolist()}
    return summary


@metrics.timed(metrics.BATCH_SECONDS, job="rebalance_apply")
def apply(ctx, plan_id: str, lanes: dict[tuple[str, str], dict[str, int]], *, actor: str = ACTOR) -> dict:
    """Create one stock transfer order per (from, to) lane of plan ``plan_id`` (``lanes``: SKU quantities per
    lane, e.g. ``reports.rebalance_plan.read``); returns the transfers created now, those an earlier,
    interrupted apply created, and the lanes refused with the reason."""
    sleep = float(os.environ.get(SLEEP_ENV, "0") or 0)
    created, existing, refused = [], [], {}
    with ctx.uow(readonly=True) as uow:
        vendors = {n.code for n in network(uow).nodes if n.kind == NodeKind.DROPSHIP_VENDOR}
    for (src, dst), lines in sorted(lanes.items()):
        key = f"{plan_id}:{src}->{dst}"
        if {src, dst} & vendors:  # an edited or old plan: a vendor's stock is never ours to move
            refused[f"{src}->{dst}"] = "a dropship vendor's stock is the vendor's: no transfer into or out of it"
            continue
        done = by_plan_key(ctx, key)
        if done is not None:  # created by an earlier, interrupted apply
            existing.append(done)
            continue
        try:
            view = create_transfer(ctx, src, dst, lines, actor=actor, origin="rebalance",
                                   reason=f"rebalance plan {plan_id}", plan_key=key)
            created.append(view["id"])
        except ValidationFailed as exc:  # stock moved since the plan: report, go on with the rest
            refused[f"{src}->{dst}"] = exc.detail
        if sleep:
            time.sleep(sleep)
    return {"created": created, "already_created": existing, "refused": refused}

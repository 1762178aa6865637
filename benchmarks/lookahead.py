"""Lookahead prices for the `optimal_lookahead` strategy, from a demand forecast only.

The prices are the batch LP's stock duals (`omnialloc.solvers.prices`, the
Batch issue's opportunity prices) over a *forecast* of the demand still to
come, against the stock the strategy has *now*: what a nightly batch would
publish for the real-time allocator. The policy never sees the real order
stream in advance (the forecast is made of independent samples of the same
demand distribution, `Scenario.orders(stream=k)` with k >= 1, never stream 0:
`forecast_sample`), so it stays an online policy,
as in Acimovic & Graves (2015), whose duals also come from expected demand.

Rolling horizon (`RollingPrices`): prices are refreshed `refreshes` times
(a batch "every few hours"; evenly spaced, or crowded towards the end with
`late`); each refresh solves the LP over `forecast_size(remaining)` forecast
orders: at most `window`, and at most `samples_max` whole samples of the
remaining horizon (several independent streams: a less noisy estimate of
the expected demand than one sample). When the forecast size differs from
the orders remaining, the stock rows get the stock scaled by
size / remaining, so the sample faces the same scarcity as the whole
remaining horizon (the fluid approximation; duals are per unit, so they need
no rescaling back). The scaled stock is not rounded: the LP takes fractional
stock rows (`opportunity_prices(stock=...)`); its patterns need whole units
and come from the scaled stock rounded up (every stocked cell keeps one), or
from the stock itself when the forecast is longer than the horizon. (Rounded to the nearest
unit, a window of 2,000 of 20,000 remaining orders saw a cell of 1-4 units
as 0 and priced it as if already gone.) `average` > 1 averages the prices
of that many independent forecasts instead.

The refresh parameters are the policy's, chosen on seeds 1, 2 and 3 of
india-100 at 2,000 orders (never on seed 7, the reference), weighing the
saving against the cost of a refresh (a few seconds per 1,000 forecast
orders): 8 refreshes per run; while the remaining horizon is at most 2,000
orders, forecasts of up to 4,000 orders made of up to 8 whole samples of it;
longer horizons get 2,000 forecast orders against scaled stock (the time
budget of `make bench` at 20,000 orders; seed 1 at 20,000: -13.57% vs the
myopic optimum, against -10.13% with the stock rounded). Mean cost vs the myopic optimum
over those seeds: one sample of at most 2,000 orders (the previous default)
-6.82%; up to 4,000 orders -8.18%; up to 6,000 -8.28% (50% dearer); 16
refreshes of up to 2,000 -7.88%; refreshes crowded late (late=0.5) -7.21%;
the mean of 2 or 4 independent forecasts' prices -7.18% / -7.34%; 16
refreshes crowded late (late=0.5) of up to 4,000 orders -8.64%, at twice
the refresh cost (not adopted: not fitted into the 20,000-order time budget
yet). The scenario is not touched.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable

import numpy as np

from omnialloc.solvers.batch import BatchProblem
from omnialloc.solvers.prices import opportunity_prices

from .scenarios import Order, Scenario

REFRESHES = 8
WINDOW_MAX = 4_000
SAMPLES_MAX = 8
WINDOW_SCALED = 2_000
LATE = 0.0
LP_TIME_LIMIT_S = 120.0


def batch_problem(sc: Scenario, orders: Iterable[Order], stock: np.ndarray) -> BatchProblem:
    """The orders as one batch problem over `stock`, priced exactly as the runner prices them
    (same lanes, same handling, same unfilled penalty)."""
    from .runner import OrderContext, lane_kwargs

    bp = BatchProblem()
    for i, node in enumerate(sc.nodes):
        bp.add_node(node.code, {sc.skus[s].code: int(q) for s, q in enumerate(stock[i]) if q > 0},
                    handling_cost_paise=node.handling_paise)
    for order in orders:
        ctx = OrderContext(sc, order)
        bp.add_order(order.order_id,
                     [(f"L{k}", sc.skus[s].code, q, sc.line_weight(s), sc.skus[s].value_paise, sc.line_volume(s))
                      for k, (s, q) in enumerate(zip(order.skus, order.qty))],
                     payment_mode="COD" if order.cod else "PREPAID", unfilled_penalty_paise_per_unit=ctx.penalty)
        held = np.flatnonzero(stock[:, ctx.cols].sum(axis=1) > 0)
        for i in held.tolist():
            for lane in lane_kwargs(sc, order, i):
                bp.add_lane(order.order_id, sc.nodes[i].code, lane["carrier"], lane["first_slab_paise"],
                            lane["additional_slab_paise"], slab_g=lane.get("slab_g", 500),
                            volumetric_divisor=lane.get("volumetric_divisor", 5000),
                            cod_fixed_paise=lane.get("cod_fixed_paise", 0) if order.cod else 0,
                            cod_percent_bp=lane.get("cod_percent_bp", 0) if order.cod else 0)
    return bp


def forecast_sample(sc: Scenario, remaining: int, size: int, first_stream: int) -> list[Order]:
    """`size` forecast orders for a horizon of `remaining`: the first `remaining` orders of
    independent streams `first_stream`, `first_stream + 1`, ... (the last one cut short), so
    a forecast larger than the horizon is several whole samples of it, never the real orders
    (stream 0)."""
    per = max(1, min(size, remaining))
    out: list[Order] = []
    stream = first_stream
    while len(out) < size:
        assert stream > 0, "stream 0 is the real order stream"
        out.extend(itertools.islice(sc.orders(stream=stream), min(per, size - len(out))))
        stream += 1
    return out


def scaled_lp_prices(sc: Scenario, orders: Iterable[Order], stock: np.ndarray, share: float,
                     time_limit_s: float = LP_TIME_LIMIT_S):
    """(nodes x SKUs paise per unit, the `OpportunityPrices`, seconds spent building the LP): the batch
    LP's stock duals over `orders`
    against `stock` x `share` (the orders' share of the horizon the stock must last).

    The stock rows get that share unrounded (`opportunity_prices(stock=...)`). Patterns need whole
    units: for a share below 1 they come from the share rounded *up* (every stocked cell keeps at
    least one unit; from the whole stock, the LP at 20,000 orders got so many patterns that its
    refreshes took 5x as long), otherwise from the stock itself (what one order can take). Used by
    the lookahead's forecasts and by the Lagrangian bound's start prices."""
    t0 = time.perf_counter()
    patterns_from = stock if share >= 1 else np.ceil(stock * share).astype(np.int64)
    data = batch_problem(sc, orders, patterns_from).compile()
    node_pos = {node.code: i for i, node in enumerate(sc.nodes)}
    sku_pos = {k.code: i for i, k in enumerate(sc.skus)}
    rows = stock[[node_pos[n] for n in data.node_codes]][:, [sku_pos[k] for k in data.skus]] * share
    build_s = time.perf_counter() - t0
    prices = opportunity_prices(data, time_limit=time_limit_s, stock=rows)
    out = np.zeros_like(sc.stock0)
    for node, sku, paise in prices.rows:
        out[node_pos[node], sku_pos[sku]] = paise
    return out, prices, build_s


def forecast_prices(sc: Scenario, stock: np.ndarray | None = None, *, remaining: int | None = None,
                    window: int | None = None, stream: int = 1,
                    time_limit_s: float = LP_TIME_LIMIT_S) -> tuple[np.ndarray, dict]:
    """(nodes x SKUs) paise per unit from the LP over `window` forecast orders (`forecast_sample`
    from `stream` on; default: one sample of the horizon) against `stock` scaled to
    `window / remaining`, unrounded (see module docstring), and stats about the LP."""
    t0 = time.perf_counter()
    stock = sc.stock0 if stock is None else stock
    remaining = sc.n_orders if remaining is None else remaining
    window = window or remaining
    orders = forecast_sample(sc, remaining, window, stream)
    sampled = time.perf_counter() - t0
    out, prices, build_s = scaled_lp_prices(sc, orders, stock, window / remaining, time_limit_s)
    t_build = sampled + build_s
    return out, {"lp_status": prices.lp_status, "priced_pairs": len(prices.rows), "forecast_orders": window,
                 "remaining": remaining, "build_s": round(t_build, 2), "wall_s": round(time.perf_counter() - t0, 2)}


class FixedPrices:
    """The same prices for the whole run (tests, or prices computed elsewhere)."""

    def __init__(self, prices: np.ndarray):
        self.prices = prices
        self.refreshes: list[dict] = []

    def at(self, index: int, stock: np.ndarray) -> np.ndarray:
        return self.prices


class RollingPrices:
    """Prices refreshed at `schedule(n_orders, refreshes)` from the strategy's current stock, each
    from `forecast_size(remaining)` forecast orders (see module docstring)."""

    def __init__(self, sc: Scenario, refreshes: int = REFRESHES, window: int = WINDOW_MAX,
                 samples_max: int = SAMPLES_MAX, late: float = LATE, average: int = 1,
                 scaled_window: int = WINDOW_SCALED):
        self.sc = sc
        self.window = window
        self.scaled_window = scaled_window
        self.samples_max = samples_max
        self.average = average
        self.at_orders = refresh_points(sc.n_orders, refreshes, late)
        self.next = 0
        self.prices: np.ndarray | None = None
        self.refreshes: list[dict] = []

    def forecast_size(self, remaining: int) -> int:
        """Whole samples of the horizon (up to `samples_max`, at most `window` orders) while one fits
        in `scaled_window`; beyond, `scaled_window` orders against scaled-down stock (an LP whose stock
        rows are a fraction of the stock binds more rows and is slower per order: 20,000 orders,
        2,000-order forecasts, ~8 s a refresh against ~4 s for 4,000 orders at full stock)."""
        if remaining > self.scaled_window:
            return self.scaled_window
        return max(1, min(self.window, self.samples_max * remaining))

    def at(self, index: int, stock: np.ndarray) -> np.ndarray:
        if self.prices is None or (self.next < len(self.at_orders) and index >= self.at_orders[self.next]):
            while self.next < len(self.at_orders) and self.at_orders[self.next] <= index:
                self.next += 1
            k = len(self.refreshes)
            remaining = self.sc.n_orders - index
            got = [forecast_prices(self.sc, stock, remaining=remaining, window=self.forecast_size(remaining),
                                   stream=1 + (k * self.average + j) * self.samples_max)
                   for j in range(self.average)]
            stats = got[0][1]
            stats["wall_s"] = sum(g[1]["wall_s"] for g in got)
            stats["build_s"] = sum(g[1]["build_s"] for g in got)
            self.prices = np.rint(np.mean([g[0] for g in got], axis=0)).astype(np.int64)
            stats["at_order"] = index
            self.refreshes.append(stats)
        return self.prices


def refresh_points(n_orders: int, refreshes: int, late: float = 0.0) -> list[int]:
    """Orders at which prices are refreshed: 0 and `refreshes - 1` more. `late` = 0 spaces them
    evenly; towards 1 they crowd towards the end of the horizon, where little stock is left and
    a few orders move the prices most (the k-th point at n (1 - (1 - k/R)^(1 + late x 2)))."""
    pts = []
    for k in range(refreshes):
        frac = 1.0 - (1.0 - k / refreshes) ** (1.0 + 2.0 * late)
        pts.append(int(round(n_orders * frac)))
    return sorted(set(p for p in pts if p < n_orders)) or [0]

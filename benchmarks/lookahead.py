"""Lookahead prices for the `optimal_lookahead` strategy, from a demand forecast only.

The prices are the batch LP's stock duals (`omnialloc.solvers.prices`, the
Batch issue's opportunity prices) over a *forecast* of the demand still to
come, against the stock the strategy has *now*: what a nightly batch would
publish for the real-time allocator. The policy never sees the real order
stream in advance (the forecast is an independent sample of the same demand
distribution, `Scenario.orders(stream=1+k)`), so it stays an online policy,
as in Acimovic & Graves (2015), whose duals also come from expected demand.

Rolling horizon (`RollingPrices`): prices are refreshed every `every` orders
(a batch "every few hours"); each refresh solves the LP over `window`
forecast orders. When fewer orders are sampled than remain in the horizon,
the stock is scaled by window / remaining, so the sample faces the same
scarcity as the whole remaining horizon (the fluid approximation; duals are
per unit, so they need no rescaling back).

The refresh parameters are the policy's, chosen for the cost of a refresh
(a few seconds per 1,000 forecast orders): 8 refreshes per run, windows of
at most 2,000 orders. The scenario is not touched.
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
WINDOW_MAX = 2_000
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


def forecast_prices(sc: Scenario, stock: np.ndarray | None = None, *, remaining: int | None = None,
                    window: int | None = None, stream: int = 1,
                    time_limit_s: float = LP_TIME_LIMIT_S) -> tuple[np.ndarray, dict]:
    """(nodes x SKUs) paise per unit from the LP over `window` forecast orders (of `stream`)
    against `stock` scaled to `window / remaining`, and stats about the LP."""
    t0 = time.perf_counter()
    stock = sc.stock0 if stock is None else stock
    remaining = sc.n_orders if remaining is None else remaining
    window = min(remaining, window or remaining)
    scaled = stock if window >= remaining else np.rint(stock * (window / remaining)).astype(np.int64)
    bp = batch_problem(sc, itertools.islice(sc.orders(stream=stream), window), scaled)
    t_build = time.perf_counter() - t0
    prices = opportunity_prices(bp.compile(), time_limit=time_limit_s)
    node_pos = {node.code: i for i, node in enumerate(sc.nodes)}
    sku_pos = {k.code: i for i, k in enumerate(sc.skus)}
    out = np.zeros_like(sc.stock0)
    for node, sku, paise in prices.rows:
        out[node_pos[node], sku_pos[sku]] = paise
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
    """Prices refreshed every `every` orders from the strategy's current stock (see module docstring)."""

    def __init__(self, sc: Scenario, refreshes: int = REFRESHES, window: int = WINDOW_MAX):
        self.sc = sc
        self.every = max(1, -(-sc.n_orders // refreshes))
        self.window = window
        self.prices: np.ndarray | None = None
        self.refreshes: list[dict] = []

    def at(self, index: int, stock: np.ndarray) -> np.ndarray:
        if self.prices is None or index % self.every == 0:
            k = len(self.refreshes)
            self.prices, stats = forecast_prices(self.sc, stock, remaining=self.sc.n_orders - index,
                                                 window=self.window, stream=1 + k)
            stats["at_order"] = index
            self.refreshes.append(stats)
        return self.prices

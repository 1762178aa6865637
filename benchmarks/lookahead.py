"""Lookahead prices for the `optimal_lookahead` strategy, from a demand forecast only.

The prices are the batch LP's stock duals (`omnialloc.solvers.prices`, the
Batch issue's opportunity prices) computed over a *forecast*: an independent
sample of the same number of orders drawn from the scenario's demand
distribution (`Scenario.orders(stream=1)`), against the starting stock. The
policy never sees the real order stream in advance, so it stays an online
policy (as in Acimovic & Graves 2015, whose duals come from expected demand).
Prices are computed once for the whole horizon (one nightly refresh).
"""

from __future__ import annotations

import time

import numpy as np

from omnialloc.solvers.batch import BatchProblem
from omnialloc.solvers.prices import opportunity_prices

from .runner import OrderContext
from .scenarios import Scenario


def forecast_prices(sc: Scenario, time_limit_s: float = 300.0) -> tuple[np.ndarray, dict]:
    """(nodes x SKUs) paise per unit, and stats about the LP."""
    t0 = time.perf_counter()
    bp = BatchProblem()
    for i, node in enumerate(sc.nodes):
        bp.add_node(node.code, {sc.skus[s].code: int(q) for s, q in enumerate(sc.stock0[i]) if q > 0},
                    handling_cost_paise=node.handling_paise)
    n = 0
    for order in sc.orders(stream=1):
        ctx = OrderContext(sc, order)
        bp.add_order(order.order_id,
                     [(f"L{k}", sc.skus[s].code, q, sc.line_weight(s), sc.skus[s].value_paise, sc.line_volume(s))
                      for k, (s, q) in enumerate(zip(order.skus, order.qty))],
                     payment_mode="COD" if order.cod else "PREPAID", unfilled_penalty_paise_per_unit=ctx.penalty)
        held = np.flatnonzero(sc.stock0[:, list(order.skus)].sum(axis=1) > 0)
        for i in held:
            for lane in ctx.lanes_of(sc, int(i)):
                bp.add_lane(order.order_id, sc.nodes[i].code, lane["carrier"], lane["first_slab_paise"],
                            lane["additional_slab_paise"], slab_g=lane.get("slab_g", 500),
                            volumetric_divisor=lane.get("volumetric_divisor", 5000),
                            cod_fixed_paise=lane.get("cod_fixed_paise", 0) if order.cod else 0,
                            cod_percent_bp=lane.get("cod_percent_bp", 0) if order.cod else 0)
        n += 1
    t_build = time.perf_counter() - t0
    prices = opportunity_prices(bp.compile(), time_limit=time_limit_s)
    node_pos = {node.code: i for i, node in enumerate(sc.nodes)}
    sku_pos = {k.code: i for i, k in enumerate(sc.skus)}
    out = np.zeros_like(sc.stock0)
    for node, sku, paise in prices.rows:
        out[node_pos[node], sku_pos[sku]] = paise
    return out, {"lp_status": prices.lp_status, "priced_pairs": len(prices.rows), "forecast_orders": n,
                 "build_s": t_build, "wall_s": time.perf_counter() - t0}

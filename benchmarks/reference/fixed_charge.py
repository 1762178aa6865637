"""The compact fixed-charge MIP: an independent reference for the batch solver with fixed node costs.

Capacitated facility location in its textbook form, built directly on highspy from the batch's data arrays
(no pattern model, nothing of the batch solver's search): z_ln (line l ships from node n), s_on (order o
ships from n) >= z_ln, y_n (node n open) >= s_on, u_l (line l unfilled); every line covered once, stock per
(node, SKU), shipments per node where the node has a capacity. A shipment costs the (order, node) entry of
the batch's cost matrix whatever it carries, so this prices plans exactly as the batch does on instances
whose orders have a cost per (order, node) and no per-pattern extras. Used by tests/unit/batch (solved to
optimality on small instances) and benchmarks/batch_fixed_bench.py (time-limited on large ones).
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np

with contextlib.redirect_stdout(io.StringIO()):  # highspy prints a banner on import
    import highspy


def compact_fixed_charge(d: Any, *, rel_gap: float = 0.0, time_limit: float | None = None) -> tuple[float, float, str]:
    """(objective, dual bound, HiGHS model status) of the compact MIP of batch data `d` (`solvers.batch`'s
    BatchData: its order, line, candidate, stock, capacity and fixed-cost arrays)."""
    O, N, nL = d.n_orders, d.n_nodes, len(d.line_order)
    cost = np.zeros((O, N))
    cost[d.cand_order, d.cand_node] = d.cand_cost + d.cand_extra
    allowed = np.zeros((O, N), dtype=bool)
    allowed[d.cand_order, d.cand_node] = True
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)  # HiGHS's scheduler is per process; the batch solver runs with 1 too
    h.setOptionValue("mip_rel_gap", float(rel_gap))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    inf = highspy.kHighsInf
    z = [(ln, n) for ln in range(nL) for n in range(N)
         if allowed[d.line_order[ln], n] and d.stock[n, d.line_sku[ln]] >= d.line_qty[ln]]
    s = [(o, n) for o in range(O) for n in range(N) if allowed[o, n]]
    zc = {k: i for i, k in enumerate(z)}
    sc = {k: len(zc) + i for i, k in enumerate(s)}
    u0 = len(zc) + len(sc)
    y0 = u0 + nL
    ncol = y0 + N
    costs = np.zeros(ncol)
    for (o, n), c in sc.items():
        costs[c] = cost[o, n]
    costs[u0:y0] = d.order_pen[d.line_order] * d.line_qty
    costs[y0:] = d.fixed
    h.addVars(ncol, np.zeros(ncol), np.ones(ncol))
    h.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), costs)
    h.changeColsIntegrality(ncol, np.arange(ncol, dtype=np.int32), np.full(ncol, highspy.HighsVarType.kInteger))

    def row(lo: float, hi: float, idx: list[int], val: list[float]) -> None:
        h.addRow(lo, hi, len(idx), np.array(idx, dtype=np.int32), np.array(val, dtype=float))

    cover: dict[int, list[int]] = {}
    stock: dict[tuple[int, int], list[tuple[int, float]]] = {}
    ships: dict[int, list[int]] = {}
    for (ln, n), c in zc.items():
        cover.setdefault(ln, []).append(c)
        stock.setdefault((n, int(d.line_sku[ln])), []).append((c, float(d.line_qty[ln])))
        row(-inf, 0, [c, sc[int(d.line_order[ln]), n]], [1.0, -1.0])
    for ln in range(nL):
        idx = cover.get(ln, []) + [u0 + ln]
        row(1, 1, idx, [1.0] * len(idx))
    for (n, sku), ent in stock.items():
        if sum(q for _, q in ent) > d.stock[n, sku]:  # a row every plan meets anyway changes nothing
            row(-inf, float(d.stock[n, sku]), [c for c, _ in ent], [q for _, q in ent])
    for (o, n), c in sc.items():
        row(-inf, 0, [c, y0 + n], [1.0, -1.0])
        ships.setdefault(n, []).append(c)
    for n, idx in ships.items():
        if d.cap[n] >= 0:
            row(-inf, float(d.cap[n]), idx, [1.0] * len(idx))
    h.run()
    info = h.getInfo()
    return (float(info.objective_function_value), float(info.mip_dual_bound),
            h.modelStatusToString(h.getModelStatus()))

"""The pattern model over a batch, as an LP (lower bound, duals) or a MIP,
solved with HiGHS through highspy.

Variables: x_p in [0,1] per pattern, u_l in [0,1] per line (the line stays
unfilled, cost = penalty x qty), y_n in [0,1] per node with a fixed cost.
Rows: every line covered exactly once (sum x + u = 1); stock per (node, SKU)
(only where the demand that could land there exceeds the stock: other rows
can never bind); shipments per node (only where capacity could bind); and
for fixed costs sum_{p of o at n} x_p <= y_n for every (order, node) pair
(disaggregated: the strong form), and at such a node every stock and
shipment row linked to y_n (sum q x <= stock y_n, sum x <= cap y_n). The MIP also gets "at most one
shipment per (order, node)", which the LP omits: dropping rows only weakens
the bound, and it keeps the LP small.

Per-order policy: "at most K shipments" is a row sum_{p of o} x_p <= K (only
where K is below the order's line count); a split penalty s_o costs
s_o x (shipments - 1) for an order that ships anything and nothing for an
order left unfilled, exactly: every pattern of o costs s_o more, and a column
z_o in [0, 1] with cost -s_o and the row z_o <= sum_{p of o} x_p gives one
penalty back when the order ships at all.
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass

import numpy as np

from ..highs_quiet import quiet_highs
from .patterns import Patterns
from .problem import BatchData

with contextlib.redirect_stdout(io.StringIO()):
    import highspy


#: rounds of adding the violated linking rows x_on <= y_n to the LP (work, not time)
LINK_ROUNDS = 40


def _run(h: highspy.Highs) -> None:
    if h.run() == highspy.HighsStatus.kError:
        # e.g. HiGHS's scheduler already runs with another thread count in this process: never a silent
        # "no answer" that would send the batch down another path
        raise RuntimeError("HiGHS refused to solve the batch model: " + h.modelStatusToString(h.getModelStatus()))


@dataclass
class ModelResult:
    status: str
    objective: float | None  # LP value, or MIP incumbent value
    bound: float | None  # LP value, or MIP dual bound
    x: np.ndarray | None
    u: np.ndarray | None
    stock_rows: np.ndarray  # (R, 2) (node, sku) of the stock rows
    stock_dual: np.ndarray | None  # opportunity price per row (>= 0)
    cap_nodes: np.ndarray
    cap_dual: np.ndarray | None  # price of one shipment slot (>= 0)
    cover_dual: np.ndarray | None
    seconds: float
    n_rows: int
    n_cols: int
    #: per node: how open the solution has it (y_n; 1 for nodes without a fixed cost), or None
    open_frac: np.ndarray | None = None
    #: the LP's reduced cost of every pattern column (>= 0 at an optimum for columns at 0), or None
    reduced_cost: np.ndarray | None = None


def pattern_lines(p: Patterns) -> tuple[np.ndarray, np.ndarray]:
    """(pattern index, line index) for every (pattern, line) pair."""
    cnt = np.diff(p.ptr)
    return np.repeat(np.arange(p.n), cnt), p.lines


def solve_model(d: BatchData, p: Patterns, *, integer: bool = False, time_limit: float = 1e9,
                stock: np.ndarray | None = None, cap: np.ndarray | None = None,
                warm_x: np.ndarray | None = None, rel_gap: float = 1e-6, iteration_limit: int | None = None,
                node_limit: int | None = None, lazy_links: bool = True) -> ModelResult:
    """`iteration_limit` (simplex iterations) and `node_limit` (branch-and-bound nodes) are the work
    limits that decide when HiGHS stops, the same on any machine; `time_limit` is only a safety net.

    `lazy_links` (the LP only): the disaggregated rows x_on <= y_n start out of the model and are added
    as cuts, the violated ones after each solve, until none is (at most `LINK_ROUNDS` rounds). Most of
    them never bind, and one per (order, node) pair is most of the LP's rows with fixed costs (35,000
    rows for 1,000 orders x 50 nodes, whose simplex then took 15 s of CPU). When no row is left
    violated the LP's value is the full LP's; before that it is still a valid bound (a relaxation)."""
    t0 = time.perf_counter()
    stock = d.stock if stock is None else stock
    cap = d.cap if cap is None else cap
    S = stock.shape[1]
    nL, P = len(d.line_qty), p.n
    pc, pl = pattern_lines(p)
    pn = p.node[pc]
    line_sku = d.line_sku[pl]
    qty = d.line_qty[pl]

    rows_r, rows_c, rows_v = [pl], [pc], [np.ones(len(pl))]
    r_lo, r_hi = [np.ones(nL)], [np.ones(nL)]
    nrow = nL

    on = np.unique(p.order * d.n_nodes + p.node)
    orders_at = np.bincount(on % d.n_nodes, minlength=d.n_nodes)
    fnodes = np.flatnonzero((d.fixed > 0) & (orders_at > 0))
    ycol_of = -np.ones(d.n_nodes, dtype=np.int64)
    ycol_of[fnodes] = P + nL + np.arange(len(fnodes))

    # stock rows where potential demand exceeds stock; at a node with a fixed cost, every stock row
    # any pattern touches, linked to the node being open: sum q x <= stock y_n (the strong form: a
    # node's stock is only there when it is open, which lifts y_n to the share of its stock used)
    key = pn * S + line_sku
    uniq_ln, first = np.unique(pl * d.n_nodes + pn, return_index=True)
    dem = np.bincount(key[first], weights=qty[first], minlength=d.n_nodes * S)
    fixed_key = np.zeros(d.n_nodes * S, dtype=bool)
    fixed_key[np.repeat(ycol_of >= 0, S)] = True
    need = np.flatnonzero((dem > stock.reshape(-1)) | (fixed_key & (dem > 0)))
    row_of = -np.ones(d.n_nodes * S, dtype=np.int64)
    row_of[need] = nrow + np.arange(len(need))
    hit = row_of[key] >= 0
    rows_r.append(row_of[key[hit]]); rows_c.append(pc[hit]); rows_v.append(qty[hit].astype(float))
    r_lo.append(np.full(len(need), -np.inf))
    linked = ycol_of[need // S] >= 0
    r_hi.append(np.where(linked, 0.0, stock.reshape(-1)[need].astype(float)))
    if linked.any():
        rows_r.append(nrow + np.flatnonzero(linked)); rows_c.append(ycol_of[need[linked] // S])
        rows_v.append(-stock.reshape(-1)[need[linked]].astype(float))
    stock_rows = np.stack([need // S, need % S], axis=1) if len(need) else np.zeros((0, 2), np.int64)
    nrow += len(need)

    # capacity rows where more orders could ship from the node than it can send (at a node with a
    # fixed cost, every limited one, linked: sum x <= cap y_n)
    cap_nodes = np.flatnonzero((cap >= 0) & ((orders_at > np.maximum(cap, 0)) | (ycol_of >= 0)))
    crow = -np.ones(d.n_nodes, dtype=np.int64)
    crow[cap_nodes] = nrow + np.arange(len(cap_nodes))
    hit = crow[p.node] >= 0
    rows_r.append(crow[p.node[hit]]); rows_c.append(np.flatnonzero(hit)); rows_v.append(np.ones(int(hit.sum())))
    r_lo.append(np.full(len(cap_nodes), -np.inf))
    clinked = ycol_of[cap_nodes] >= 0
    r_hi.append(np.where(clinked, 0.0, np.maximum(cap[cap_nodes], 0).astype(float)))
    if clinked.any():
        rows_r.append(crow[cap_nodes[clinked]]); rows_c.append(ycol_of[cap_nodes[clinked]])
        rows_v.append(-np.maximum(cap[cap_nodes[clinked]], 0).astype(float))
    nrow += len(cap_nodes)

    # fixed node costs, disaggregated: for every order o and node n with a fixed cost,
    # sum_{p of o at n} x_p <= y_n (an integer plan ships o at most once from n). One aggregated
    # row sum_p x_p <= M y_n would let the LP open a node by 1/M and pay 1/M of its cost.
    fpat = np.flatnonzero(ycol_of[p.node] >= 0)
    pair = p.order[fpat] * d.n_nodes + p.node[fpat]
    u_pair, inv = np.unique(pair, return_inverse=True)
    lazy = not integer and lazy_links and len(fpat) > 0
    if len(fpat) and not lazy:
        rows_r.append(nrow + inv); rows_c.append(fpat); rows_v.append(np.ones(len(fpat)))
        rows_r.append(nrow + np.arange(len(u_pair))); rows_c.append(ycol_of[u_pair % d.n_nodes])
        rows_v.append(-np.ones(len(u_pair)))
        r_lo.append(np.full(len(u_pair), -np.inf)); r_hi.append(np.zeros(len(u_pair)))
        nrow += len(u_pair)

    if integer:  # at most one shipment per (order, node)
        on_p = p.order * d.n_nodes + p.node
        u_on, inv, counts = np.unique(on_p, return_inverse=True, return_counts=True)
        multi = counts[inv] > 1
        grp = np.unique(inv[multi])
        gmap = -np.ones(len(u_on), dtype=np.int64)
        gmap[grp] = nrow + np.arange(len(grp))
        rows_r.append(gmap[inv[multi]]); rows_c.append(np.flatnonzero(multi)); rows_v.append(np.ones(int(multi.sum())))
        r_lo.append(np.full(len(grp), -np.inf)); r_hi.append(np.ones(len(grp)))
        nrow += len(grp)

    # at most K shipments per order
    korders = np.flatnonzero(d.order_kmax >= 0)
    if len(korders):
        krow = -np.ones(d.n_orders, dtype=np.int64)
        krow[korders] = nrow + np.arange(len(korders))
        hit = krow[p.order] >= 0
        rows_r.append(krow[p.order[hit]]); rows_c.append(np.flatnonzero(hit)); rows_v.append(np.ones(int(hit.sum())))
        r_lo.append(np.full(len(korders), -np.inf)); r_hi.append(d.order_kmax[korders].astype(float))
        nrow += len(korders)

    # split penalty: z_o <= sum of o's patterns, z_o costs -s_o (one penalty back per shipping order)
    split = d.order_split[p.order].astype(float)
    sorders = np.flatnonzero((d.order_split > 0) & (np.bincount(p.order, minlength=d.n_orders) > 0))
    zcol = P + nL + len(fnodes) + np.arange(len(sorders))
    if len(sorders):
        srow = -np.ones(d.n_orders, dtype=np.int64)
        srow[sorders] = nrow + np.arange(len(sorders))
        hit = srow[p.order] >= 0
        rows_r.append(srow[p.order[hit]]); rows_c.append(np.flatnonzero(hit)); rows_v.append(-np.ones(int(hit.sum())))
        rows_r.append(srow[sorders]); rows_c.append(zcol); rows_v.append(np.ones(len(sorders)))
        r_lo.append(np.full(len(sorders), -np.inf)); r_hi.append(np.zeros(len(sorders)))
        nrow += len(sorders)

    # unfilled columns
    rows_r.append(np.arange(nL)); rows_c.append(P + np.arange(nL)); rows_v.append(np.ones(nL))
    ncol = P + nL + len(fnodes) + len(sorders)
    cost = np.concatenate([p.cost.astype(float) + split, d.line_penalty().astype(float),
                           d.fixed[fnodes].astype(float), -d.order_split[sorders].astype(float)])
    R = np.concatenate(rows_r).astype(np.int64)
    C = np.concatenate(rows_c).astype(np.int64)
    V = np.concatenate(rows_v).astype(float)
    o = np.lexsort((R, C))
    R, C, V = R[o], C[o], V[o]
    # merge duplicate entries (two lines of one SKU in one pattern)
    dup = np.ones(len(R), dtype=bool)
    dup[1:] = (R[1:] != R[:-1]) | (C[1:] != C[:-1])
    grp = np.cumsum(dup) - 1
    V = np.bincount(grp, weights=V).astype(float, copy=False)  # float64 with weights already: no copy
    R, C = R[dup], C[dup]
    start = np.zeros(ncol + 1, dtype=np.int32)
    np.cumsum(np.bincount(C, minlength=ncol), out=start[1:])

    h = quiet_highs()
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    if iteration_limit is not None:
        h.setOptionValue("simplex_iteration_limit", int(iteration_limit))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    lo = np.zeros(ncol)
    hi = np.ones(ncol)
    rlo = np.concatenate(r_lo)
    rhi = np.concatenate(r_hi)
    index = R.astype(np.int32)
    if integer:
        h.setOptionValue("mip_rel_gap", rel_gap)
        h.setOptionValue("mip_abs_gap", 0.99)
        h.passModel(ncol, nrow, len(V), 1, 1, 0.0, cost, lo, hi, rlo, rhi, start, index, V,
                    np.ones(ncol, dtype=np.int32))
        if warm_x is not None:
            nz = np.flatnonzero(warm_x > 0.5).astype(np.int32)
            h.setSolution(len(nz), nz, np.ones(len(nz)))
    else:
        h.setOptionValue("solver", "simplex")
        h.passModel(ncol, nrow, len(V), 1, 1, 0.0, cost, lo, hi, rlo, rhi, start, index, V,
                    np.zeros(ncol, dtype=np.int32))
    _run(h)
    if lazy:
        iters = int(h.getInfo().simplex_iteration_count)
        ycol = ycol_of[u_pair % d.n_nodes]
        for rnd in range(LINK_ROUNDS):
            if h.getInfo().primal_solution_status != 2 or h.modelStatusToString(h.getModelStatus()) != "Optimal":
                break
            col = np.asarray(h.getSolution().col_value)
            ship = np.bincount(inv, weights=col[fpat], minlength=len(u_pair))
            viol = np.flatnonzero(ship > col[ycol] + 1e-7)
            if not len(viol):
                break
            # the rows of the violated pairs: their patterns, and -1 on y_n
            vmask = np.zeros(len(u_pair), dtype=bool)
            vmask[viol] = True
            sel = vmask[inv]
            rpos = -np.ones(len(u_pair), dtype=np.int64)
            rpos[viol] = np.arange(len(viol))
            rr = np.concatenate([rpos[inv[sel]], np.arange(len(viol))])
            cc = np.concatenate([fpat[sel], ycol[viol]])
            vv = np.concatenate([np.ones(int(sel.sum())), -np.ones(len(viol))])
            o2 = np.lexsort((cc, rr))
            rstart = np.zeros(len(viol), dtype=np.int32)
            rstart[1:] = np.cumsum(np.bincount(rr, minlength=len(viol)))[:-1]
            h.addRows(len(viol), np.full(len(viol), -np.inf), np.zeros(len(viol)), len(rr), rstart,
                      cc[o2].astype(np.int32), vv[o2])
            nrow += len(viol)
            if iteration_limit is not None:
                left = int(iteration_limit) - iters
                if left <= 0:
                    break
                h.setOptionValue("simplex_iteration_limit", left)
            _run(h)
            iters += int(h.getInfo().simplex_iteration_count)
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    ok = info.primal_solution_status == 2
    sol = h.getSolution()
    x = u = None
    sd = cd = cov = None
    objective = bound = None
    open_frac = None
    rcost = None
    if ok:
        col = np.asarray(sol.col_value)
        x, u = col[:P], col[P:P + nL]
        objective = float(info.objective_function_value)
        open_frac = np.ones(d.n_nodes)
        open_frac[fnodes] = col[P + nL:P + nL + len(fnodes)]
    if integer:
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    elif ok and status == "Optimal":
        bound = objective
        rd = np.asarray(sol.row_dual)
        cov = rd[:nL]
        sd = -rd[nL:nL + len(need)]
        cd = -rd[nL + len(need):nL + len(need) + len(cap_nodes)]
        rcost = np.asarray(sol.col_dual)[:P]
    return ModelResult(status, objective, bound, x, u, stock_rows, sd, cap_nodes, cd, cov,
                       time.perf_counter() - t0, nrow, ncol, open_frac, rcost)

"""Pattern columns: one per (order, node, subset of the order's lines).

A pattern is a candidate shipment: the node sends those lines whole. Its
cost is precomputed with the single-order carrier arithmetic
(`solvers.costs`: billed weight, slabs, COD fee) on the cheapest lane of the
(order, node) pair, plus the node's handling; in cost-matrix mode it is the
matrix entry; plus the order's preference cost for the node (minus the
lane's carrier bonus: the cheapest lane is chosen on that net cost).
Patterns a node cannot fill from its own stock (some line's quantity above
the node's stock of that SKU), that cut through one of the order's
keep-together groups, or whose value is below the order's minimum shipment
value are not generated (nodes the order may not use have no lanes). An
order's incumbent shipments (what it holds now) are always columns, so
keeping the live plan is always possible.

Generation is vectorised per "number of lines" group. Orders with more than
`MAX_LINES_FULL` lines get single-line patterns, the full order, and per
node everything that node stocks of the order (2^L subsets would explode);
that restriction is reported, and the bound of a batch with such orders is
computed on a relaxation (`relax.py`), never on the restricted columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import costs
from .problem import MAX_LINES_FULL, BatchData, BoolArray, IntArray

__all__ = ["MAX_LINES_FULL", "Patterns", "build_patterns", "pattern_columns"]


@dataclass
class Patterns:
    order: IntArray  # (P,)
    node: IntArray
    mask: IntArray  # bit k = k-th line of the order
    cost: IntArray  # int64 paise
    cand: IntArray  # cand row (lane) giving the cost
    ptr: IntArray  # (P+1,) CSR into `lines`
    lines: IntArray  # global line indices
    restricted_orders: int = 0

    @property
    def n(self) -> int:
        return len(self.order)

    def subset(self, idx: IntArray) -> Patterns:
        """The columns `idx` (increasing), renumbered 0..len(idx)-1 in that order."""
        cnt = np.diff(self.ptr)[idx]
        ptr = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(cnt, out=ptr[1:])
        pick = np.repeat(self.ptr[idx], cnt) + (np.arange(int(ptr[-1])) - np.repeat(ptr[:-1], cnt))
        return Patterns(self.order[idx], self.node[idx], self.mask[idx], self.cost[idx], self.cand[idx], ptr,
                        self.lines[pick], self.restricted_orders)


#: pattern columns of some cand rows: (order, node, line mask, cost, cand row, line count, lines)
Columns = tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray, IntArray]


def _masks(L: int) -> BoolArray:
    """(M, L) bool rows: every non-empty subset, or singletons + all."""
    if L <= MAX_LINES_FULL:
        codes = np.arange(1, 1 << L)
    else:
        codes = np.array([1 << k for k in range(L)] + [(1 << L) - 1])
    return ((codes[:, None] >> np.arange(L)[None, :]) & 1).astype(bool)


def pattern_columns(d: BatchData, R: IntArray, L: int, M: BoolArray, start: IntArray,
                    policy: bool = True) -> Columns | None:
    """Pattern columns of the cand rows `R` (orders of L lines) for the line masks `M` (m, L) bool, or
    None. `policy=False`: keep-together and minimum value are not applied (an order's incumbent)."""
    o = d.cand_order[R]
    n = d.cand_node[R]
    LI = start[o][:, None] + np.arange(L)[None, :]  # (R, L)
    Q = d.line_qty[LI]
    stocked = d.stock[n[:, None], d.line_sku[LI]] >= Q  # (R, L)
    feas = ~np.any(M[None, :, :] & ~stocked[:, None, :], axis=2)  # (R, m)
    Mf = M.astype(np.int64)
    code = (Mf << np.arange(L)[None, :]).sum(axis=1)
    minval = d.order_minval[o]
    if policy and minval.any():
        feas &= (Q * d.line_v[LI]) @ Mf.T >= minval[:, None]
    ri, mi = np.nonzero(feas)
    G = d.order_groups[o[ri]] if d.order_groups.shape[1] and policy else None
    if G is not None and G.any():  # each keep-together group all in or all out
        cut = code[mi][:, None] & G
        ok = np.all((cut == 0) | (cut == G), axis=1)
        ri, mi = ri[ok], mi[ok]
    if len(ri) == 0:
        return None
    if d.cand_cost is not None:  # matrix mode
        cost = d.cand_cost[R][ri]
    else:
        lane = d.lane_arrays()
        W = (Q * d.line_w[LI]) @ Mf.T
        V = (Q * d.line_vol[LI]) @ Mf.T
        r = R[ri]
        billed = costs.billed_grams(W[ri, mi], V[ri, mi], lane.div[r])
        slabs = costs.slab_count(billed, lane.slab[r])
        cost = costs.carrier_charge(slabs, lane.first[r], lane.add[r])
        cod = d.order_cod[o[ri]]
        if cod.any():
            val = ((Q * d.line_v[LI]) @ Mf.T)[ri, mi]
            fee = costs.cod_fee(val, lane.cod_fixed[r], lane.cod_bp[r])
            cost = cost + np.where(cod, fee, 0)
        cost = cost + d.handling[n[ri]]
    cost = cost + d.cand_extra[R[ri]]
    sel = M[mi]  # (k, L)
    cnt = sel.sum(axis=1)
    lines = LI[ri][sel]  # row-major: each pattern's lines in order
    return (o[ri], n[ri], code[mi], cost.astype(np.int64), R[ri], cnt, lines)


def build_patterns(d: BatchData) -> Patterns:
    start = d.order_line_start()
    nlines = np.diff(start)
    parts: list[Columns] = []
    restricted = int(np.sum(nlines > MAX_LINES_FULL))
    cand_L = nlines[d.cand_order]
    for length in np.unique(nlines):
        L = int(length)
        if L == 0:
            continue
        R = np.flatnonzero(cand_L == L)
        if len(R) == 0:
            continue
        part = pattern_columns(d, R, L, _masks(L), start)
        if part is not None:
            parts.append(part)
        if L > MAX_LINES_FULL:  # and per node: every line that node stocks, in one shipment
            o, n = d.cand_order[R], d.cand_node[R]
            LI = start[o][:, None] + np.arange(L)[None, :]
            stocked = d.stock[n[:, None], d.line_sku[LI]] >= d.line_qty[LI]  # (R, L)
            code = (stocked.astype(np.int64) << np.arange(L)[None, :]).sum(axis=1)
            for c in np.unique(code).tolist():
                if c and c & (c - 1) and c != (1 << L) - 1:  # not empty, one line, or all: those exist
                    M = ((np.array([c]) >> np.arange(L)) & 1).astype(bool)[None, :]
                    part = pattern_columns(d, R[code == c], L, M, start)
                    if part is not None:
                        parts.append(part)
    # every order's incumbent shipments are columns (duplicates are merged below)
    for oi, inc in enumerate(d.incumbent):
        if not inc:
            continue
        L = int(nlines[oi])
        rows = np.flatnonzero(d.cand_order == oi)
        for ni, m in inc:
            R = rows[d.cand_node[rows] == ni]
            if len(R):
                M = ((np.array([m]) >> np.arange(L)) & 1).astype(bool)[None, :]
                part = pattern_columns(d, R, L, M, start, policy=False)
                if part is not None:
                    parts.append(part)
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return Patterns(z, z, z, z, z, np.zeros(1, dtype=np.int64), z, restricted)
    order = np.concatenate([p[0] for p in parts])
    node = np.concatenate([p[1] for p in parts])
    mask = np.concatenate([p[2] for p in parts])
    cost = np.concatenate([p[3] for p in parts])
    cand = np.concatenate([p[4] for p in parts])
    cnt = np.concatenate([p[5] for p in parts])
    lines_cat = np.concatenate([p[6] for p in parts])
    ptr0 = np.zeros(len(cnt) + 1, dtype=np.int64)
    np.cumsum(cnt, out=ptr0[1:])
    # One column per (order, node, mask): the cheapest lane; ties -> first lane.
    key_sort = np.lexsort((np.arange(len(cost)), cost, mask, node, order))
    o_s, n_s, m_s = order[key_sort], node[key_sort], mask[key_sort]
    first = np.ones(len(key_sort), dtype=bool)
    first[1:] = (o_s[1:] != o_s[:-1]) | (n_s[1:] != n_s[:-1]) | (m_s[1:] != m_s[:-1])
    keep = key_sort[first]
    cnt_k = cnt[keep]
    ptr = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(cnt_k, out=ptr[1:])
    idx = np.repeat(ptr0[keep], cnt_k) + (np.arange(int(ptr[-1])) - np.repeat(ptr[:-1], cnt_k))
    return Patterns(order[keep], node[keep], mask[keep], cost[keep], cand[keep], ptr,
                    lines_cat[idx], restricted)

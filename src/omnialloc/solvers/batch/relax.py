"""A valid bound for batches with orders of more than `patterns.MAX_LINES_FULL` lines.

Such orders get only some of their 2^L line subsets as columns, so the LP over
the columns is a bound on the *restricted* model, not on the batch: it can
sit above the true optimum. A valid bound splits the batch: the LP of the
other orders (on all the stock), plus, for each restricted order alone on all
the stock, a lower bound of its own cost. Any plan of the batch gives the
orders of each part a plan that fits all the stock, so the parts' minima add
up to at most its cost. Fixed node costs stay with the LP part (a restricted
order alone is bounded without them, which only lowers its part).

A restricted order of up to `EXACT_MAX_LINES` lines is bounded exactly
(alone, with every subset as a column, without the one-shipment-per-node
row): a subset DP over its lines, each block at its cheapest node that stocks
the whole block, or unfilled. Larger ones get min(all unfilled, the
cheapest single shipment any node could charge).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .lagrange import submasks
from .patterns import MAX_LINES_FULL, pattern_columns
from .problem import BatchData, IntArray

EXACT_MAX_LINES = 12


def order_lower_bound(d: BatchData, o: int) -> float:
    """A lower bound of order o's cost alone on all the stock (no fixed costs)."""
    start = d.order_line_start()
    s, L = int(start[o]), int(start[o + 1] - start[o])
    pen = d.line_penalty()[s:s + L].astype(float)
    rows = np.flatnonzero(d.cand_order == o)
    split = float(d.order_split[o])
    if not len(rows):
        return float(pen.sum())
    if L > EXACT_MAX_LINES:
        if d.cand_cost is not None:  # matrix mode
            cheapest = float((d.cand_cost[rows] + d.cand_extra[rows]).min())
        else:  # a shipment costs at least its node's handling, the first slab and the preference
            first = d.lane_arrays().first
            cheapest = float((d.handling[d.cand_node[rows]] + first[rows] + d.cand_extra[rows]).min())
        return min(float(pen.sum()), cheapest)
    codes = np.arange(1, 1 << L)
    M = ((codes[:, None] >> np.arange(L)[None, :]) & 1).astype(bool)
    part = pattern_columns(d, rows, L, M, start, policy=False)
    best = np.full(1 << L, np.inf)
    if part is not None:
        np.minimum.at(best, part[2], part[3].astype(float) + split)
    pen_m = (M.astype(float) @ pen)
    V = np.minimum(best[1:], pen_m)
    f = np.zeros(1 << L)
    for S, subs in submasks(L):
        f[S] = np.min(V[subs - 1] + f[S ^ subs])
    # one split penalty is given back: an order pays (shipments - 1) of them
    return float(f[-1] - split)


def restricted_orders(d: BatchData) -> IntArray:
    return np.flatnonzero(np.diff(d.order_line_start()) > MAX_LINES_FULL)


def valid_bound(d: BatchData, lp_bound_of: Callable[[BatchData], float | None]) -> float | None:
    """`lp_bound_of(sub)`: the LP bound of a sub-batch without restricted orders (None if unknown)."""
    r = restricted_orders(d)
    rest = np.setdiff1d(np.arange(d.n_orders), r)
    part = 0.0
    if len(rest):
        b = lp_bound_of(d.subset(rest))
        if b is None:
            return None
        part = b
    return part + sum(order_lower_bound(d, int(o)) for o in r)

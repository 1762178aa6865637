"""Which nodes with a fixed cost to open: a search over open sets, for batches too big for the exact MIP.

With the set of open nodes fixed, the batch has no fixed cost and the
order-by-order machinery is good at it. So candidate open sets are tried,
each solved with the nodes outside it closed and the fixed costs of those
inside taken as paid:

- the LP's own answer, rounded at several thresholds (a node is open when
  its y_n is at least t), the LP having the disaggregated linking rows;
- the plan's current set;

the best complete plan (true costs, fixed costs counted once per node used)
is then improved by dropping nodes (each node's orders moved elsewhere
while that lowers the total, pass after pass) and by adding one (the
closed nodes the LP opened most, each tried with the best open set plus it,
then drops).
Every step is counted work (thresholds, passes), never wall time.
"""

from __future__ import annotations

import numpy as np

from .assign import Index, State, close_nodes, improve, sequential, total_cost
from .problem import BatchStats, BoolArray, FloatArray

THRESHOLDS = (0.99, 0.75, 0.5, 0.25, 0.1, 0.01)
DROP_PASSES = 4
#: closed nodes tried as an addition to the best open set
ADD_CANDIDATES = 8
CLOSED = float(1 << 50)


def solve_open_set(ix: Index, open_mask: BoolArray, deadline: float | None = None) -> State:
    """Orders one by one with the nodes outside `open_mask` closed and open nodes' fixed costs paid,
    then per-order re-solves at true costs."""
    node = ix.node
    price = [0.0 if open_mask[n] else CLOSED for n in node]
    st = sequential(ix, price=lambda k: price[k], open_fixed=False)
    improve(ix, st, passes=1, deadline=deadline)
    return st


def search(ix: Index, best: State, open_frac: FloatArray | None, deadline: float | None = None,
           stats: BatchStats | None = None) -> State:
    d = ix.d
    stats = {} if stats is None else stats
    has_fixed = d.fixed > 0
    tried = {tuple(best.used > 0)}
    best_total = total_cost(ix, best)["total"]
    if open_frac is not None:
        for t in THRESHOLDS:
            mask = ~has_fixed | (open_frac >= t - 1e-9)
            if tuple(mask) in tried:
                continue
            tried.add(tuple(mask))
            st = solve_open_set(ix, mask, deadline)
            total = total_cost(ix, st)["total"]
            if total < best_total:
                best, best_total = st, total
                stats["open_set_threshold"] = t
    best = _drop(ix, best, deadline, stats)
    # adding a node: the closed ones the LP opened most (or, without an LP, the cheapest to open)
    score = open_frac if open_frac is not None else -d.fixed.astype(float)
    opened = 0
    for n in [int(n) for n in np.argsort(-score, kind="stable") if has_fixed[n]][:ADD_CANDIDATES]:
        if best.used[n] > 0:
            continue
        mask = (best.used > 0) | ~has_fixed
        mask[n] = True
        st = _drop(ix, solve_open_set(ix, mask, deadline), deadline, {})
        total = total_cost(ix, st)["total"]
        if total < total_cost(ix, best)["total"]:
            best = st
            opened += 1
    stats["opened_nodes"] = opened
    return best


def _drop(ix: Index, st: State, deadline: float | None, stats: BatchStats) -> State:
    closed = 0
    for _ in range(DROP_PASSES):
        c = close_nodes(ix, st)
        closed += c
        if not c:
            break
        improve(ix, st, passes=1, deadline=deadline)
    stats["closed_nodes"] = stats.get("closed_nodes", 0) + closed
    return st

"""Batches too big for one LP: Lagrangian bound + region chunks solved in parallel.

At 100,000 orders the binding-limit graph is one component (every busy
node shares scarce SKUs with its neighbours) and its LP (1.1M columns) does
not finish in ten minutes. So:

1. bound: the Lagrangian bound (`lagrange.py`), valid for any prices, so a
   bound is reported whatever the time limit;
2. a first plan: orders one by one at their exact optimum with the
   Lagrangian prices added (scarce stock goes where the prices say it is
   worth most), then exact per-order re-solves at true costs;
3. regions: the nodes are split by recursive spectral bisection of their
   "share an order" graph, each order goes to the region of its main node,
   and each region gets a stock and capacity *budget*: what its orders use
   in the current plan, plus the unused stock of its own nodes. Budgets add
   up to at most the real stock, so the regions are independent; each is
   an ordinary LP-guided batch solve, mapped over Dask workers (or run
   in-process), and a region's result replaces the current plan there only
   if cheaper (the current plan is feasible within the budget by
   construction, so nothing can get worse);
4. the regions' LP stock prices warm-start a second Lagrangian phase, and
   the merged plan gets global per-order re-solves across region borders.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

import numpy as np

from .assign import Index, State, Totals, improve, order_cost, sequential, total_cost
from .lagrange import lagrangian_bound
from .patterns import Patterns
from .priority import Plan
from .problem import BatchData, BatchStats, IntArray, Prices


class RegionPlan(Plan, Protocol):
    """What `solve_large` reads of a region's plan (a `solve.BatchPlan`: a protocol here, so that this module
    does not import `solve`, which imports it): its shipments (as `priority.Plan`), totals and prices."""

    @property
    def totals(self) -> Totals: ...
    @property
    def prices(self) -> Prices | None: ...


_R = TypeVar("_R")
#: progress(done, total), called as tasks finish
Progress = Callable[[int, int], None]


class Mapper(Protocol):
    """map(fn, [args...], progress): fn(*args) for each item, results in input order (`in_process`, or
    `decompose`'s Dask mapper)."""

    def __call__(self, fn: Callable[..., _R], items: Sequence[tuple[object, ...]],
                 progress: Progress | None = None) -> list[_R]: ...

#: orders per region task: the LP of ~12k orders solves in a few seconds here
REGION_ORDERS = 12_000
#: subgradient iterations of the first (prices) and second (bound) Lagrangian phases: work, not time
LAGRANGE1_ITERATIONS = 400
LAGRANGE2_ITERATIONS = 1_500


def _left(deadline: float) -> float:
    return max(deadline - time.perf_counter(), 1.0)


def in_process(fn: Callable[..., _R], items: Sequence[tuple[object, ...]],
               progress: Progress | None = None) -> list[_R]:
    """The mapper used without Dask: results in input order."""
    out: list[_R] = []
    for i, it in enumerate(items):
        out.append(fn(*it))
        if progress:
            progress(i + 1, len(items))
    return out


def _main_node(ix: Index, st: State) -> np.ndarray:
    """Per order: the node of its biggest shipment, else of its cheapest pattern."""
    d, p = ix.d, ix.p
    main = np.full(d.n_orders, -1, dtype=np.int64)
    cnt = np.diff(p.ptr)
    for o, ks in enumerate(st.chosen):
        if ks:
            main[o] = ix.node[max(ks, key=lambda k: cnt[k])]
    if (main < 0).any():
        cheap = np.lexsort((p.cost, p.order))
        first = np.ones(len(cheap), dtype=bool)
        first[1:] = p.order[cheap][1:] != p.order[cheap][:-1]
        best = np.full(d.n_orders, -1, dtype=np.int64)
        best[p.order[cheap][first]] = p.node[cheap][first]
        main = np.where(main < 0, best, main)
    main[main < 0] = 0
    return main


def regions(d: BatchData, p: Patterns, main: np.ndarray, n_regions: int) -> np.ndarray:
    """Region per node: recursive spectral bisection of the node graph
    (edge weight = orders that could ship from both), balanced by orders."""
    N = d.n_nodes
    B = np.zeros((d.n_orders, N), dtype=np.float32)
    B[p.order, p.node] = 1.0
    W = (B.T @ B).astype(float)
    np.fill_diagonal(W, 0.0)
    weight = np.bincount(main, minlength=N).astype(float)
    label = np.zeros(N, dtype=np.int64)

    def split(nodes: np.ndarray, k: int, first: int) -> None:
        if k <= 1 or len(nodes) <= 1:
            label[nodes] = first
            return
        w = W[np.ix_(nodes, nodes)]
        lap = np.diag(w.sum(axis=1)) - w
        _, vec = np.linalg.eigh(lap)
        fiedler = vec[:, 1] if len(nodes) > 1 else np.zeros(len(nodes))
        order = nodes[np.lexsort((nodes, fiedler))]
        k1 = k // 2
        cum = np.cumsum(weight[order])
        cut = int(np.searchsorted(cum, cum[-1] * k1 / k)) + 1
        cut = min(max(cut, 1), len(order) - 1)
        split(np.sort(order[:cut]), k1, first)
        split(np.sort(order[cut:]), k - k1, first + k1)

    split(np.arange(N), max(1, min(n_regions, N)), 0)
    return label


def _usage(ix: Index, st: State, orders: Iterable[int]) -> tuple[IntArray, IntArray]:
    stock = np.zeros_like(ix.d.stock)
    ships = np.zeros(ix.d.n_nodes, dtype=np.int64)
    for o in orders:
        for k in st.chosen[o]:
            n = ix.node[k]
            ships[n] += 1
            for s, q in ix.content[k]:
                stock[n, s] += q
    return stock, ships


def solve_large(d: BatchData, pats: Patterns, ix: Index, *, time_limit: float,
                solve_region: Callable[[BatchData, float], RegionPlan], mapper: Mapper = in_process,
                progress: Progress | None = None, region_orders: int = REGION_ORDERS,
                stats: BatchStats | None = None) -> tuple[State, float, float, BatchStats]:
    """Returns (state, bound, unfilled penalty in the bound's relaxed solution, stats).

    `solve_region(sub, time_limit)` solves one region's batch (the LP path of `solve.py`, which calls
    this module: passed in so the two do not import each other); `mapper` may send it to Dask workers,
    so it must be a module-level function."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    stats = {} if stats is None else stats
    st = sequential(ix)
    ub = total_cost(ix, st)["total"]
    stats["sequential_total"] = ub

    # 1. prices and a bound
    lag1 = lagrangian_bound(d, pats, target=ub, iterations=LAGRANGE1_ITERATIONS, time_limit=_left(deadline))
    stats.update({"lagrange1_bound": round(lag1.bound), "lagrange1_iterations": lag1.iterations,
                  "t_lagrange1": round(lag1.seconds, 2)})
    # 2. a priced plan
    pl = lag1.pattern_price.tolist()
    priced = sequential(ix, price=lambda k: pl[k])
    improve(ix, priced, passes=1, deadline=deadline)
    if total_cost(ix, priced)["total"] < ub:
        st, ub = priced, total_cost(ix, priced)["total"]
    stats["priced_total"] = ub

    # 3. regions with budgets, solved independently
    n_reg = max(1, int(round(d.n_orders / region_orders)))
    main = _main_node(ix, st)
    label = regions(d, pats, main, n_reg)
    order_region = label[main]
    used, ships = _usage(ix, st, range(d.n_orders))
    spare = d.stock - used
    spare_cap = np.where(d.cap >= 0, d.cap - ships, 0)
    subs, members = [], []
    for r in range(n_reg):
        orders = np.flatnonzero(order_region == r)
        if len(orders) == 0:
            continue
        u_stock, u_ships = _usage(ix, st, orders.tolist())
        own = label == r
        budget = u_stock + np.where(own[:, None], spare, 0)
        cap = np.where(d.cap >= 0, u_ships + np.where(own, spare_cap, 0), -1)
        subs.append(d.subset(orders, stock=budget, cap=cap))
        members.append(orders)
    per = _left(deadline)  # a safety net only: each region stops by its own work limits
    stats.update({"regions": len(subs), "region_orders": [len(m) for m in members]})
    t1 = time.perf_counter()
    results = mapper(solve_region, [(s, per) for s in subs], progress)
    stats["t_regions"] = round(time.perf_counter() - t1, 2)
    better = 0
    key = {(o, n, m): k for k, (o, n, m) in
           enumerate(zip(pats.order.tolist(), pats.node.tolist(), pats.mask.tolist()))}
    npos = {c: i for i, c in enumerate(d.node_codes)}
    start = ix.start
    lam_rows: dict[tuple[int, int], float] = {}
    for orders, sub, plan in zip(members, subs, results):
        old = sum(order_cost(ix, int(o), st.chosen[int(o)]) for o in orders)
        new_total = plan.totals["total"] - plan.totals.get("fixed", 0)
        if plan.prices is not None:
            for (n, s), v in zip(plan.prices["stock_rows"].tolist(), plan.prices["stock_dual"].tolist()):
                lam_rows[(n, s)] = max(lam_rows.get((n, s), 0.0), v)
        if new_total >= old:
            continue
        better += 1
        opos = {sub.order_ids[i]: int(o) for i, o in enumerate(orders)}
        chosen: dict[int, list[int]] = {int(o): [] for o in orders}
        for mv in plan.shipments:
            o = opos[mv.order_id]
            ids = d.line_ids[start[o]:start[o + 1]]
            m = sum(1 << ids.index(lid) for lid in mv.line_ids)
            chosen[o].append(key[(o, npos[mv.node], m)])
        for o in chosen:
            st.release(ix, o)
        for o, ks in chosen.items():
            st.take(ix, o, ks)
    stats["regions_improved"] = better
    stats["region_total"] = total_cost(ix, st)["total"]

    # 4. across region borders, then the bound again from the regions' prices
    t1 = time.perf_counter()
    stats["improved_orders"] = improve(ix, st, passes=2, deadline=deadline)
    stats["t_improve"] = round(time.perf_counter() - t1, 2)
    ub = total_cost(ix, st)["total"]
    lam0 = lag1.lam.copy()
    if lam_rows:
        S = d.stock.shape[1]
        pos = {int(n) * S + int(s): i for i, (n, s) in enumerate(lag1.stock_rows.tolist())}
        for (n, s), v in lam_rows.items():
            i = pos.get(n * S + s)
            if i is not None:
                lam0[i] = v
    lag2 = lagrangian_bound(d, pats, target=ub, iterations=LAGRANGE2_ITERATIONS, time_limit=_left(deadline), lam0=lam0,
                            theta0=0.1)
    best = lag2 if lag2.bound > lag1.bound else lag1
    stats.update({"lagrange2_bound": round(lag2.bound), "lagrange2_iterations": lag2.iterations,
                  "t_lagrange2": round(lag2.seconds, 2)})
    return st, best.bound, best.unfilled_paise, stats

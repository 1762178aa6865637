"""The clairvoyant lower bound: Lagrangian relaxation of the shared stock, one exact single-order solve per order.

A clairvoyant plan gives every order a plan the single-order solver could
give it (the online policies' rules: lines may split across nodes or be
part-filled, each shipment priced by the product's cost model) such that,
summed over all orders, no (node, SKU) ships more than its starting stock.
Price every stock row with lam[n, s] >= 0 (paise per unit) and drop it:

    L(lam) = sum_o LB_o(lam) - sum_{n,s} lam[n, s] * stock0[n, s]

where LB_o(lam) is a proven lower bound on min over the plans of order o
alone, against the starting stock (a valid cap on what any joint plan gives
o), of cost(plan) + sum of lam per unit taken. For any joint plan P and any
lam >= 0, cost(P) >= cost(P) + lam.(use(P) - stock0) >= L(lam), so L(lam) is
a lower bound on every clairvoyant plan, whatever lam is.

LB_o(lam) comes from the product's exact solver (`omnialloc.solvers.solve`,
strategy "optimal") on the very problem the runner builds for the order
(`runner.build_problem`), with lam as the lookahead prices: the objective of
an OPTIMAL plan, the proven `bound_paise` otherwise. The objective is the
cost the runner reports for a strategy (objective - lookahead term) plus the
lookahead term, which is exactly sum of lam per unit taken, so the price
terms enter L as the solver counts them. An order no node qualifies for is
backordered whole by the runner (its only plan): penalty x units. Node
capacities do not exist in the benchmark scenarios (the runner sets none).

Prices: integer paise (the solver's unit), starting from the stock duals of
the batch pattern model over the real orders (`start_prices`), then projected
subgradient steps (Polyak step towards the best known plan's cost) while the
time budget lasts; the best L is kept. Only orders that can take a unit
whose price changed are re-solved in a step; the solves are spread over
forked worker processes (the runner's pattern).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from omnialloc.solvers import PlanStatus, solve

from .runner import OrderContext, build_problem
from .scenarios import Scenario

LABEL = "Lagrangian bound (stock rows priced, exact single-order solver per order)"
#: per-order solve limit: an unfinished solve still gives its proven bound
SOLVE_LIMIT_MS = 1000.0
#: stop once the best L is within this share of the master's value (the most any prices could add)
GAP_STOP = 1e-4


@dataclass
class OrderAnswer:
    """One order's subproblem at some prices: a proven lower bound and the plan found."""

    value: float                      # proven lower bound on min(cost + prices x units taken)
    cost: int                         # the plan's cost without the price term (what the runner counts)
    use: list[tuple[int, int, int]]   # (node, sku, units) the plan takes
    proven: bool                      # the solver proved the value (OPTIMAL, or a whole backorder)
    plan: object = None               # the solver's Plan (None: the order is backordered whole)


def solve_order(sc: Scenario, ctx: OrderContext, lam: np.ndarray, time_limit_ms: float = SOLVE_LIMIT_MS) -> OrderAnswer:
    """LB_o(lam) for one order against the starting stock (see module docstring)."""
    plan = solve(build_problem(sc, ctx, sc.stock0, lam), "optimal", time_limit_ms=time_limit_ms, explain_plan=False)
    backorder = ctx.penalty * ctx.order.units
    if plan.status == PlanStatus.INFEASIBLE:
        if plan.method == "eligibility":
            # No node qualifies against the starting stock, so none does against less: the runner
            # backorders the order whole, its only plan.
            return OrderAnswer(float(backorder), backorder, [], True)
        return OrderAnswer(0.0, backorder, [], False)   # never seen with partial fill allowed; 0 is still a bound
    node_index = {n.code: i for i, n in enumerate(sc.nodes)}
    use = []
    for sh in plan.shipments:
        n = node_index[sh.node]
        for lid, q in sh.lines.items():
            if q > 0:
                use.append((n, ctx.order.skus[int(lid[1:])], int(q)))
    cost = int(plan.objective_paise - plan.costs.lookahead)
    if plan.status == PlanStatus.OPTIMAL:
        return OrderAnswer(float(plan.objective_paise), cost, use, True, plan)
    return OrderAnswer(float(plan.bound_paise or 0), cost, use, False, plan)


# Arguments of the worker processes, inherited by fork (a Scenario does not pickle cheaply).
_FORKED: dict = {}


def _solve_chunk(idx: list[int], lam: np.ndarray, time_limit_ms: float) -> list[OrderAnswer]:
    sc, ctxs = _FORKED["sc"], _FORKED["ctxs"]
    return [solve_order(sc, ctxs[i], lam, time_limit_ms) for i in idx]


class _Solver:
    """Solves a set of orders at given prices, in this process or in forked workers."""

    def __init__(self, sc: Scenario, ctxs: list[OrderContext], workers: int, time_limit_ms: float):
        self.sc, self.ctxs, self.time_limit_ms = sc, ctxs, time_limit_ms
        self.pool = None
        if workers > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            _FORKED.update(sc=sc, ctxs=ctxs)
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"))
            self.workers = workers

    def __call__(self, idx: np.ndarray, lam: np.ndarray) -> list[OrderAnswer]:
        idx = idx.tolist()
        if self.pool is None or len(idx) < 64:
            return [solve_order(self.sc, self.ctxs[i], lam, self.time_limit_ms) for i in idx]
        # interleaved chunks: big orders are spread over the workers, a few chunks each for balance
        k = 4 * self.workers
        chunks = [idx[j::k] for j in range(k)]
        parts = list(self.pool.map(_solve_chunk, chunks, [lam] * k, [self.time_limit_ms] * k))
        out: list[OrderAnswer | None] = [None] * len(idx)
        for j, part in enumerate(parts):
            out[j::k] = part
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            _FORKED.clear()


def start_prices(sc: Scenario, *, target: float, time_limit_s: float = 60.0,
                 lp_max_patterns: int = 150_000) -> tuple[np.ndarray, dict]:
    """(nodes x SKUs) paise per unit: the stock duals of the batch pattern model over the *real*
    orders against the starting stock. Its LP (HiGHS simplex) up to `lp_max_patterns` columns;
    beyond, the pattern model's own Lagrangian prices (`solvers.batch.lagrange`, vectorised over
    all orders, ~0.1 s an iteration), which approach the same duals. `target`: a known plan's
    cost, for the latter's Polyak steps. Either way the prices are only a starting point: the
    bound is valid for any."""
    from omnialloc.solvers.batch.lagrange import lagrangian_bound as pattern_lagrangian
    from omnialloc.solvers.batch.model import solve_model
    from omnialloc.solvers.batch.patterns import build_patterns

    from .lookahead import batch_problem

    t0 = time.perf_counter()
    d = batch_problem(sc, sc.orders(), sc.stock0).compile()
    pats = build_patterns(d)
    stats = {"patterns": pats.n, "build_s": round(time.perf_counter() - t0, 2)}
    rows = duals = None
    if pats.n <= lp_max_patterns:
        lp = solve_model(d, pats, time_limit=time_limit_s)
        stats.update(method="batch pattern LP duals", lp_status=lp.status)
        if lp.stock_dual is not None:
            rows, duals = lp.stock_rows, lp.stock_dual
    if rows is None:
        left = max(1.0, time_limit_s - (time.perf_counter() - t0))
        lag = pattern_lagrangian(d, pats, target=target, iterations=400, time_limit=left)
        rows, duals = lag.stock_rows, lag.lam
        stats.update(method="batch pattern-model Lagrangian prices", iterations=lag.iterations)
    sku_pos = {k.code: i for i, k in enumerate(sc.skus)}
    node_pos = {n.code: i for i, n in enumerate(sc.nodes)}
    lam = np.zeros(sc.stock0.shape)
    for (n, s), v in zip(rows.tolist(), np.asarray(duals).tolist()):
        lam[node_pos[d.node_codes[n]], sku_pos[d.skus[s]]] = max(0.0, v)
    stats["wall_s"] = round(time.perf_counter() - t0, 2)
    return lam, stats


class _Master:
    """The Dantzig-Wolfe master over the plans found so far: choose a convex combination of known
    plans per order (z >= 0, sum_k z[o, k] = 1) within the starting stock, at least cost. Every
    order always has its whole backorder (no stock used), so the master is always feasible. Its
    stock-row duals are the next prices to try; its value is an upper bound on max_lam L(lam) over
    these plans, so (master value - best L) says how far the prices may still be from the best."""

    def __init__(self, sc: Scenario, ctxs: list[OrderContext]):
        self.N, self.S = sc.stock0.shape
        self.stock = sc.stock0.reshape(-1).astype(float)
        self.n_orders = len(ctxs)
        self.order: list[int] = []
        self.cost: list[float] = []
        self.ent_col: list[int] = []
        self.ent_cell: list[int] = []
        self.ent_qty: list[float] = []
        self.seen: set = set()
        for i, ctx in enumerate(ctxs):
            self.add(i, ctx.penalty * ctx.order.units, [])

    def add(self, o: int, cost: int, use: list[tuple[int, int, int]]) -> None:
        key = (o, tuple(sorted(use)))
        if key in self.seen:
            return
        self.seen.add(key)
        k = len(self.order)
        self.order.append(o)
        self.cost.append(float(cost))
        for n, s, q in use:
            self.ent_col.append(k)
            self.ent_cell.append(n * self.S + s)
            self.ent_qty.append(float(q))

    def solve(self, time_limit_s: float) -> tuple[float | None, np.ndarray]:
        """(master value or None, stock prices (N x S) from its duals)."""
        from omnialloc.solvers.highs_quiet import quiet_highs

        cells, cell_row = np.unique(np.asarray(self.ent_cell, dtype=np.int64), return_inverse=True)
        ncol, nrow = len(self.order), self.n_orders + len(cells)
        rows = np.concatenate([np.asarray(self.order, dtype=np.int64), self.n_orders + cell_row])
        cols = np.concatenate([np.arange(ncol), np.asarray(self.ent_col, dtype=np.int64)])
        vals = np.concatenate([np.ones(ncol), np.asarray(self.ent_qty)])
        o = np.lexsort((rows, cols))
        rows, cols, vals = rows[o], cols[o], vals[o]
        start = np.zeros(ncol + 1, dtype=np.int32)
        np.cumsum(np.bincount(cols, minlength=ncol), out=start[1:])
        h = quiet_highs()
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("time_limit", float(max(time_limit_s, 0.5)))
        h.setOptionValue("solver", "simplex")
        rlo = np.concatenate([np.ones(self.n_orders), np.full(len(cells), -np.inf)])
        rhi = np.concatenate([np.ones(self.n_orders), self.stock[cells]])
        h.passModel(ncol, nrow, len(vals), 1, 1, 0.0, np.asarray(self.cost), np.zeros(ncol), np.full(ncol, np.inf),
                    rlo, rhi, start, rows.astype(np.int32), vals, np.zeros(ncol, dtype=np.int32))
        h.run()
        lam = np.zeros(self.N * self.S)
        if h.modelStatusToString(h.getModelStatus()) != "Optimal":
            return None, lam.reshape(self.N, self.S)
        dual = np.asarray(h.getSolution().row_dual)[self.n_orders:]
        lam[cells] = np.maximum(0.0, -dual)
        return float(h.getInfo().objective_function_value), lam.reshape(self.N, self.S)


@dataclass
class BoundResult:
    cost: float                  # the best L(lam) found: a lower bound on every clairvoyant plan
    lam: np.ndarray              # (nodes x SKUs) integer paise per unit where it was found
    start_cost: float            # L at the starting prices
    passes: int                  # evaluations of L (the first one solves every order)
    solves: int                  # single-order solves in all
    unproven: int                # orders whose LB_o came from an unproven bound (at the best prices)
    wall_s: float
    master: float | None = None  # the last master value: max L over the plans found is at most this
    history: list[dict] = field(default_factory=list)
    answers: list[OrderAnswer] = field(default_factory=list)   # per order, at the best prices

    def as_dict(self, label: str = LABEL, method: str = "") -> dict:
        return {"kind": "lagrangian", "label": label, "cost": self.cost, "start_cost": self.start_cost,
                "passes": self.passes, "solves": self.solves, "unproven": self.unproven, "master": self.master,
                "wall_s": self.wall_s, "method": method, "history": self.history}


def lagrangian_bound(sc: Scenario, lam0: np.ndarray, *, time_budget_s: float = 60.0, workers: int = 1,
                     max_passes: int = 50, smoothing: float = 0.5, time_limit_ms: float = SOLVE_LIMIT_MS,
                     ctxs: list[OrderContext] | None = None) -> BoundResult:
    """max over the prices tried of L(lam), starting from `lam0` (nodes x SKUs, >= 0).

    Prices come from column generation: every plan the subproblems return is a column of the
    Dantzig-Wolfe master (`_Master`), whose stock duals, smoothed towards the best prices so far
    (Wentges: smoothing x best + (1 - smoothing) x duals), are the next prices to evaluate. Only
    the orders that can take a unit whose price changed are re-solved. A pass is only started if
    the last one's speed says it ends within `time_budget_s` (counted from the start, first pass
    included)."""
    t0 = time.perf_counter()
    ctxs = ctxs if ctxs is not None else [OrderContext(sc, o) for o in sc.orders()]
    n_orders = len(ctxs)
    N, S = sc.stock0.shape
    # which (node, SKU) cells each order can take from: a price change there means a re-solve
    ent_o, ent_k = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for i, ctx in enumerate(ctxs):
        n_idx, c_idx = np.nonzero(sc.stock0[:, ctx.cols] > 0)
        ent_o.append(np.full(len(n_idx), i))
        ent_k.append(n_idx * S + ctx.cols[c_idx])
    ent_o, ent_k = np.concatenate(ent_o), np.concatenate(ent_k)
    # a unit is never worth more than the dearest unfilled penalty (any lam >= 0 is valid; this only
    # keeps the search where the optimum can be)
    lam_max = float(max(ctx.penalty for ctx in ctxs)) if ctxs else 0.0
    master = _Master(sc, ctxs)
    answers: list[OrderAnswer | None] = [None] * n_orders
    values = np.zeros(n_orders)
    lam_int = np.full((N, S), -1, dtype=np.int64)   # nothing evaluated yet: every order is "changed"
    best = best_lam = best_answers = None
    start = mval = None
    history: list[dict] = []
    solves, passes, per_solve = 0, 0, None
    nxt = np.clip(np.asarray(lam0, dtype=float), 0.0, lam_max)
    solver = _Solver(sc, ctxs, workers, time_limit_ms)
    try:
        while passes < max_passes:
            new_int = np.rint(nxt).astype(np.int64)
            changed = (new_int != lam_int).reshape(-1)
            todo = np.zeros(n_orders, dtype=bool)
            todo[ent_o[changed[ent_k]]] = True
            if passes == 0:
                todo[:] = True
            idx = np.flatnonzero(todo)
            left = time_budget_s - (time.perf_counter() - t0)
            if passes > 0 and len(idx) * per_solve * 1.15 > left:
                history.append({"pass": passes, "skipped": int(len(idx)), "left_s": round(left, 1)})
                break
            t1 = time.perf_counter()
            for i, a in zip(idx.tolist(), solver(idx, new_int)):
                answers[i] = a
                values[i] = a.value
                master.add(i, a.cost, a.use)
            solves += len(idx)
            if len(idx):
                per_solve = (time.perf_counter() - t1) / len(idx)
            lam_int = new_int
            L = float(values.sum() - (lam_int * sc.stock0).sum())
            passes += 1
            entry = {"pass": passes, "L": L, "resolved": int(len(idx)), "s": round(time.perf_counter() - t1, 2)}
            if best is None or L > best:
                best, best_lam, best_answers = L, lam_int.copy(), list(answers)
            if start is None:
                start = L
            t2 = time.perf_counter()
            mval, lam_m = master.solve(max(1.0, left / 4))
            entry.update(master=mval, columns=len(master.order), master_s=round(time.perf_counter() - t2, 2))
            history.append(entry)
            if mval is None or mval - best <= GAP_STOP * abs(mval):
                break   # the best prices are optimal for the plans known (or the master failed)
            nxt = np.clip(smoothing * best_lam + (1 - smoothing) * lam_m, 0.0, lam_max)
    finally:
        solver.close()
    unproven = sum(not a.proven for a in best_answers) if best_answers else 0
    return BoundResult(best, best_lam, start, passes, solves, unproven, time.perf_counter() - t0, mval, history,
                       best_answers)

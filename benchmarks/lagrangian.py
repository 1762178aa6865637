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
(`runner.build_problem`, compiled through the runner's per-order template),
with lam as the lookahead prices: the objective of
an OPTIMAL plan, the proven `bound_paise` otherwise. The objective is the
cost the runner reports for a strategy (objective - lookahead term) plus the
lookahead term, which is exactly sum of lam per unit taken, so the price
terms enter L as the solver counts them. An order no node qualifies for is
backordered whole by the runner (its only plan): penalty x units. Node
capacities do not exist in the benchmark scenarios (the runner sets none).

Prices: integer paise (the solver's unit), starting from the stock duals of
the batch pattern LP over the real orders (`start_prices`; in runs longer
than START_WINDOW orders, over the first of them against their share of the
stock; or the prices a certification run stored for the scenario,
certificate.py), then column
generation while the time budget lasts: every plan a subproblem returns is a
column of the Dantzig-Wolfe master (convex combinations of each order's
known plans within the starting stock), whose stock duals, smoothed towards
the best prices so far, are the next prices to evaluate; the best L is kept.
(Plain projected subgradient steps were tried first: with a pass over all
orders per step, too few steps fit the budget to beat the starting prices.)
Only orders that can take a unit whose price fell, or whose optimum takes
a unit whose price rose, are re-solved in a pass (the others keep their
proven optimum; an unproven order is re-solved when a price of its SKUs
changed). Each solve gets its limit as a deterministic work budget and ten
times it on the wall clock, so L at given prices does not depend on the
machine's load (unless that safety net fires). The solves go through the
runner's compiled per-order templates and are spread over forked worker
processes (the runner's pattern).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from omnialloc.solvers import PlanStatus, solve
from omnialloc.solvers.budget import UNITS_PER_MS, WORK_SHARE

from .runner import OrderContext, instance_for
from .scenarios import Scenario

LABEL = "Lagrangian bound (stock rows priced, exact single-order solver per order)"
#: per-order solve limit: an unfinished solve still gives its proven bound
SOLVE_LIMIT_MS = 1000.0
#: the wall clock a solve gets, as a multiple of its limit: the limit is given to the solver as its
#: (deterministic) work budget, so an order gets the same answer on an idle or a loaded machine; with the
#: wall clock at the limit itself, orders needing most of their budget stopped on the clock under load
#: (india-12, 150 orders, seed 6, load ~14: orders 24 and 140 unproven, each run with another bound)
WALL_SAFETY = 10.0
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
    # The order's compiled template cut to the starting stock (what the runner solves; the same
    # instance `build_problem` would compile, tests/unit/bench checks it): after the first pass,
    # a re-solve costs ~1.1 ms instead of ~3 ms of building and compiling the problem again.
    plan = solve(instance_for(sc, ctx, ctx.view(sc.stock0, capped=False), lam[:, ctx.cols]), "optimal",
                 time_limit_ms=WALL_SAFETY * time_limit_ms, work_limit=WORK_SHARE * time_limit_ms * UNITS_PER_MS,
                 explain_plan=False)
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


def _serve(conn, time_limit_ms: float) -> None:
    """A worker's loop: (order indices, prices) in, (answers, CPU seconds) out, until None."""
    sc, ctxs = _FORKED["sc"], _FORKED["ctxs"]
    while (msg := conn.recv()) is not None:
        idx, lam = msg
        cpu = time.process_time()
        try:
            conn.send(([solve_order(sc, ctxs[i], lam, time_limit_ms) for i in idx], time.process_time() - cpu))
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
            conn.send(exc)
    conn.close()


class _Solver:
    """Solves a set of orders at given prices, in this process or in forked workers. Order i always
    goes to worker i mod workers, so the compiled template a worker made for it in the first pass
    (`runner.instance_for`, kept on the order's context in that worker) serves every later pass:
    a pool handing chunks to whichever worker is free made them rebuild templates pass after pass."""

    def __init__(self, sc: Scenario, ctxs: list[OrderContext], workers: int, time_limit_ms: float):
        self.sc, self.ctxs, self.time_limit_ms = sc, ctxs, time_limit_ms
        self.conns, self.procs = [], []
        if workers > 1:
            import multiprocessing as mp

            fork = mp.get_context("fork")
            _FORKED.update(sc=sc, ctxs=ctxs)
            try:
                for _ in range(workers):
                    mine, theirs = fork.Pipe()
                    proc = fork.Process(target=_serve, args=(theirs, time_limit_ms), daemon=True)
                    proc.start()
                    theirs.close()
                    self.conns.append(mine)
                    self.procs.append(proc)
            finally:
                _FORKED.clear()   # the workers have their copy
        self.worker_cpu = 0.0   # CPU seconds spent in the workers (the parent's own are process_time())

    def __call__(self, idx: np.ndarray, lam: np.ndarray) -> list[OrderAnswer]:
        idx = idx.tolist()
        w = len(self.conns)
        if w == 0 or len(idx) < 64:
            return [solve_order(self.sc, self.ctxs[i], lam, self.time_limit_ms) for i in idx]
        mine = [[p for p, i in enumerate(idx) if i % w == k] for k in range(w)]
        for k, conn in enumerate(self.conns):
            conn.send(([idx[p] for p in mine[k]], lam))
        out: list[OrderAnswer | None] = [None] * len(idx)
        for k, conn in enumerate(self.conns):
            got = conn.recv()
            if isinstance(got, Exception):
                raise got
            part, cpu = got
            for p, a in zip(mine[k], part):
                out[p] = a
            self.worker_cpu += cpu
        return out

    def close(self) -> None:
        for conn in self.conns:
            conn.send(None)
            conn.close()
        for proc in self.procs:
            proc.join()
        self.conns, self.procs = [], []


#: runs longer than this many orders take their start prices from the batch LP over a window of them
#: (building the batch problem in Python takes ~3 s per 1,000 orders; the LP grows faster)
START_WINDOW = 2_000


def start_prices(sc: Scenario, *, time_limit_s: float = 60.0, window: int | None = None,
                 windows: int = 1, workers: int = 1) -> tuple[np.ndarray, dict]:
    """(nodes x SKUs) paise per unit: the stock duals of the batch pattern LP (the model
    `solvers.prices` prices with) over the *real* orders against the starting stock, or over the
    first `window` of them against the stock scaled to their share: unrounded in the LP's stock rows
    (`opportunity_prices(stock=...)`), the patterns generated from that share rounded *up* (the
    lookahead's forecast does the same). Rounded to the nearest unit, cells with 1-4 units became 0
    and were priced far too high (L fell to 2.6M Rs at 20,000 orders against 6.7M at zero prices);
    rounded up in the rows too, L was 7,327,884 Rs at 20,000 orders, seed 7; unrounded rows give
    7,505,186 Rs (LP 15 s against 6 s, load ~2.5; patterns from the whole stock made the LP take
    minutes). The bound is valid for any prices: these only start the search.

    `windows` > 1: the mean of the duals of that many consecutive windows of `window` orders (the
    first, the next, ...), each against its share of the stock: one window's duals carry the noise
    of which orders fell in it, and L is concave in the prices, so L at the mean is at least the
    mean of the windows' L (LPs of 2,000 orders stay fast where one LP over more orders does not).
    The windows' LPs run in up to `workers` forked processes."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    n = sc.n_orders if window is None else min(window, sc.n_orders)
    windows = max(1, min(windows, sc.n_orders // n))
    args = [(k, n, time_limit_s) for k in range(windows)]
    worker_cpu = 0.0
    if workers > 1 and windows > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        _FORKED.update(sc=sc)
        try:
            with ProcessPoolExecutor(max_workers=min(workers, windows), mp_context=mp.get_context("fork")) as pool:
                got = list(pool.map(_forked_window, *zip(*args)))
        finally:
            _FORKED.clear()
        worker_cpu = sum(g[2] for g in got)
    else:
        got = [_window_prices(sc, *a) for a in args]
    lam = np.mean([g[0] for g in got], axis=0)   # the search's prices are floats
    statuses = [g[1] for g in got]
    if n >= sc.n_orders:
        what = "the batch LP's stock duals over the real orders"
    elif windows == 1:
        what = f"the batch LP's stock duals over the first {n:,} real orders (stock scaled to their share, unrounded)"
    else:
        what = (f"the mean of the batch LP's stock duals over {windows} consecutive windows of {n:,} real orders "
                "(each against the stock scaled to its share, unrounded)")
    status = statuses[0] if len(set(statuses)) == 1 else ", ".join(statuses)
    return lam, {"method": what, "lp_status": status, "wall_s": time.perf_counter() - t0,
                 "cpu_s": time.process_time() - cpu0 + worker_cpu, "worker_cpu_s": worker_cpu}


def _window_prices(sc: Scenario, k: int, n: int, time_limit_s: float) -> tuple[np.ndarray, str, float]:
    """The LP stock duals over real orders k n .. (k + 1) n - 1 against their share of the stock,
    the LP's status and the CPU seconds spent."""
    import itertools

    from .lookahead import scaled_lp_prices

    cpu = time.process_time()
    lam, prices, _ = scaled_lp_prices(sc, itertools.islice(sc.orders(), k * n, (k + 1) * n), sc.stock0,
                                      n / sc.n_orders, time_limit_s)
    return lam.astype(float), prices.lp_status, time.process_time() - cpu


def _forked_window(k: int, n: int, time_limit_s: float) -> tuple[np.ndarray, str, float]:
    return _window_prices(_FORKED["sc"], k, n, time_limit_s)


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
        self.h = None
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
        """(master value or None, stock prices (N x S) from its duals). The HiGHS model grows by the
        rows and columns added since the last call, so the simplex starts from the last basis."""
        from omnialloc.solvers.highs_quiet import quiet_highs

        h = self.h
        if h is None:
            h = self.h = quiet_highs()
            h.setOptionValue("threads", 1)
            h.setOptionValue("random_seed", 0)
            h.setOptionValue("solver", "simplex")
            ones = np.ones(self.n_orders)
            h.addRows(self.n_orders, ones, ones, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
            self.row_of_cell: dict[int, int] = {}
            self.cols_in, self.ents_in = 0, 0
        new_cells = sorted({c for c in self.ent_cell[self.ents_in:] if c not in self.row_of_cell})
        if new_cells:
            base = self.n_orders + len(self.row_of_cell)
            for j, c in enumerate(new_cells):
                self.row_of_cell[c] = base + j
            k = len(new_cells)
            h.addRows(k, np.full(k, -np.inf), self.stock[new_cells], 0, np.zeros(0, np.int32),
                      np.zeros(0, np.int32), np.zeros(0))
        k0, k1 = self.cols_in, len(self.order)
        if k1 > k0:
            ent = range(self.ents_in, len(self.ent_col))
            per: list[list[tuple[int, float]]] = [[(self.order[k], 1.0)] for k in range(k0, k1)]
            for e in ent:
                per[self.ent_col[e] - k0].append((self.row_of_cell[self.ent_cell[e]], self.ent_qty[e]))
            starts = np.zeros(k1 - k0, dtype=np.int32)
            np.cumsum([len(x) for x in per[:-1]], out=starts[1:])
            idx = np.array([r for x in per for r, _ in x], dtype=np.int32)
            val = np.array([v for x in per for _, v in x])
            h.addCols(k1 - k0, np.asarray(self.cost[k0:k1]), np.zeros(k1 - k0), np.full(k1 - k0, np.inf),
                      len(idx), starts, idx, val)
            self.cols_in, self.ents_in = k1, len(self.ent_col)
        # HiGHS checks time_limit against the run time summed over every run() of this object
        # (ERGO-Code/HiGHS#1477): the limit must be that sum plus this solve's share, or the third
        # master at 20,000 orders stopped after 13 s of a 60-s limit.
        h.setOptionValue("time_limit", float(h.getRunTime() + max(time_limit_s, 0.5)))
        h.run()
        lam = np.zeros(self.N * self.S)
        if h.modelStatusToString(h.getModelStatus()) != "Optimal":
            return None, lam.reshape(self.N, self.S)
        dual = np.asarray(h.getSolution().row_dual)
        cells = np.fromiter(self.row_of_cell.keys(), dtype=np.int64, count=len(self.row_of_cell))
        rows = np.fromiter(self.row_of_cell.values(), dtype=np.int64, count=len(self.row_of_cell))
        lam[cells] = np.maximum(0.0, -dual[rows])
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
    master: float | None = None  # the least master value: no prices give an L above it
    cpu_s: float = 0.0           # CPU seconds, this process and the workers together
    worker_cpu_s: float = 0.0    # of which in the worker processes
    history: list[dict] = field(default_factory=list)
    answers: list[OrderAnswer] = field(default_factory=list)   # per order, at the best prices

    def as_dict(self, label: str = LABEL, method: str = "") -> dict:
        return {"kind": "lagrangian", "label": label, "cost": self.cost, "start_cost": self.start_cost,
                "passes": self.passes, "solves": self.solves, "unproven": self.unproven, "master": self.master,
                "wall_s": self.wall_s, "cpu_s": self.cpu_s, "worker_cpu_s": self.worker_cpu_s, "method": method, "history": self.history}


def lagrangian_bound(sc: Scenario, lam0: np.ndarray, *, time_budget_s: float = 60.0, workers: int = 1,
                     max_passes: int = 300, smoothing: float = 0.8, adapt: float = 0.1,
                     time_limit_ms: float = SOLVE_LIMIT_MS,
                     ctxs: list[OrderContext] | None = None) -> BoundResult:
    """max over the prices tried of L(lam), starting from `lam0` (nodes x SKUs, >= 0).

    Prices come from column generation: every plan the subproblems return is a column of the
    Dantzig-Wolfe master (`_Master`), whose stock duals, smoothed towards the best prices so far
    (Wentges: smoothing x best + (1 - smoothing) x duals; the weight drops by 0.1 after a step that
    raised L and grows by 0.1 after one that did not), are the next prices to evaluate. Only
    the orders that can take a unit whose price changed are re-solved. A pass is only started if
    the last one's speed says it ends within `time_budget_s` (counted from the start, first pass
    included)."""
    t0, cpu0 = time.perf_counter(), time.process_time()
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
    start = mval = ceiling = None
    history: list[dict] = []
    solves, passes, per_solve = 0, 0, None
    nxt = np.clip(np.asarray(lam0, dtype=float), 0.0, lam_max)
    solver = _Solver(sc, ctxs, workers, time_limit_ms)
    try:
        while passes < max_passes:
            new_int = np.rint(nxt).astype(np.int64)
            diff = (new_int - lam_int).reshape(-1)
            todo = np.zeros(n_orders, dtype=bool)
            # A unit that got cheaper may make another plan of the order best: re-solve. A unit that
            # got dearer changes nothing for an order whose *proven* optimum does not take it (that
            # plan's value stays, every other plan's can only rise), so only the orders taking it are
            # re-solved; the others keep their optimum. An unproven order is re-solved when any price
            # of its SKUs changed: its bound is where the search stopped on that instance, not the
            # minimum, so a kept bound is not what the order gives at the new prices (still a bound,
            # but then L at the best prices could not be evaluated again from scratch).
            todo[ent_o[diff[ent_k] < 0]] = True
            if passes == 0:
                todo[:] = True
            else:
                touched = np.zeros(n_orders, dtype=bool)
                touched[ent_o[diff[ent_k] != 0]] = True
                use_o = np.fromiter((i for i, a in enumerate(answers) for _ in a.use), np.int64)
                use_k = np.fromiter((n * S + s for a in answers for n, s, _ in a.use), np.int64)
                todo[use_o[diff[use_k] > 0]] = True
                changed = diff.reshape(N, S) != 0
                for i, a in enumerate(answers):
                    if not a.proven and changed[:, ctxs[i].cols].any():
                        todo[i] = True
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
            if passes > 1:
                entry["kept"] = int((touched & ~todo).sum())   # touched by a change, optimum kept
            if best is not None:   # trust the master's duals more after a step that paid, less after one that did not
                smoothing = max(0.3, smoothing - adapt) if L > best else min(0.9, smoothing + adapt)
            if best is None or L > best:
                best, best_lam, best_answers = L, lam_int.copy(), list(answers)
            if start is None:
                start = L
            t2 = time.perf_counter()
            mval, lam_m = master.solve(max(1.0, left / 4))
            if mval is not None:   # more columns only lower it: the least is the tightest ceiling
                ceiling = mval if ceiling is None else min(ceiling, mval)
            entry.update(master=mval, columns=len(master.order), master_s=round(time.perf_counter() - t2, 2))
            history.append(entry)
            if mval is None or mval - best <= GAP_STOP * abs(mval):
                break   # the best prices are optimal for the plans known (or the master failed)
            nxt = np.clip(smoothing * best_lam + (1 - smoothing) * lam_m, 0.0, lam_max)
    finally:
        solver.close()
    cpu = time.process_time() - cpu0 + solver.worker_cpu
    unproven = sum(not a.proven for a in best_answers) if best_answers else 0
    return BoundResult(best, best_lam, start, passes, solves, unproven, time.perf_counter() - t0, ceiling, cpu,
                       solver.worker_cpu, history, best_answers)

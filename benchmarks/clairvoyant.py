"""The clairvoyant references: what a policy knowing every order in advance could do.

- `priced_plan`: the clairvoyant *plan* on the online policies' rules (each
  order a plan the single-order solver allows, lines may split or part-fill),
  orders in arrival order at their exact optimum with stock prices computed
  from the real orders; feasible, so an upper estimate of the clairvoyant
  optimum.
- the clairvoyant *bound*: the Lagrangian bound in `lagrangian.py` (exact
  single-order solves, valid for every plan), and `lp_bound` below, the older
  and much weaker LP bound, still run on small benchmarks for comparison.
- `batch_optimum`: the batch solver's plan (solvers/batch), kept as a
  reference only: it sends every line whole to one node or leaves it whole
  unfilled, stricter rules than the online policies play by (so it fills
  less), and its pattern-LP bound holds for whole-line plans only.
- `references`: all of them for one benchmark run.

`lp_bound` is a *lower bound* on what any policy, online or not, can achieve
on the scenario: the LP relaxation of the all-orders allocation with every
cost replaced by a linear under-estimate. No plan is built from it.

Model (continuous, HiGHS):
- x[l, n] units of order line l shipped from node n (only nodes holding the
  SKU at the start), u[l] units left unfilled, y[o, n] in [0, 1] "a shipment
  from n for order o", e[o, n] >= 0 grams above the first slab;
- sum_n x[l, n] + u[l] = qty[l];  x[l, n] <= qty[l] * y[o, n];
  sum_l w[l] x[l, n] - slab * y[o, n] <= e[o, n], and the same with the
  volumetric grams vol[l] / divisor (billed weight is the larger of the two
  sums, so each is a valid under-estimate);  stock per (node, SKU);
- cost = F[o, n] y + B[o, n] e + penalty[o] u, where for the lanes j from n to
  o's PIN (COD-capable ones for a COD order) F = handling + min_j(first_j +
  cod_fixed_j) and B = min_j(additional_j / slab_j), slab = max_j slab_j.
  Every real shipment costs at least that (billed weight >= actual weight,
  charge_j(W) >= first_j + additional_j * max(0, W - slab_j) / slab_j, COD fee
  >= its fixed part), so the LP value is a valid lower bound.
- a one-unit, one-line order has one possible shipment content, so its x
  carries the exact cost of that parcel from n (cheapest lane), no y or e.
Under the Jasin & Sinha cost structure (linear costs) the under-estimates are
exact and the LP is the textbook fluid relaxation.
"""

from __future__ import annotations

import os
import time

import highspy
import numpy as np

from .runner import OrderContext
from .scenarios import Scenario

LABEL = "LP lower bound (own, not a plan)"


def _charge(lane: dict, weight_g: int, volume_mm3: int, value_paise: int, cod: bool) -> int:
    billed = max(weight_g, -(-volume_mm3 // lane.get("volumetric_divisor", 5000)))
    slab = lane.get("slab_g", 500)
    slabs = max(1, -(-billed // slab))
    c = lane["first_slab_paise"] + (slabs - 1) * lane["additional_slab_paise"]
    if cod:
        c += max(lane.get("cod_fixed_paise", 0), (value_paise * lane.get("cod_percent_bp", 0) + 5000) // 10000)
    return c


def lp_bound(sc: Scenario, time_limit_s: float = 600.0) -> dict:
    t0 = time.perf_counter()
    cost: list[float] = []
    upper: list[float] = []
    rows_i: list[np.ndarray] = []   # COO pieces
    cols_j: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    row_lo: list[float] = []
    row_hi: list[float] = []
    stock_rows: dict[tuple[int, int], int] = {}
    stock_entries: list[tuple[int, int]] = []   # (row key index, col)
    pen_cols: list[tuple[int, int]] = []         # (col, units multiplier) for the unfilled split
    n_orders = 0
    total_units = 0

    def new_col(c: float, ub: float) -> int:
        cost.append(float(c))
        upper.append(float(ub))
        return len(cost) - 1

    def new_row(lo: float, hi: float) -> int:
        row_lo.append(lo)
        row_hi.append(hi)
        return len(row_lo) - 1

    coo_r: list[int] = []
    coo_c: list[int] = []
    coo_v: list[float] = []

    for order in sc.orders():
        n_orders += 1
        total_units += order.units
        ctx = OrderContext(sc, order)
        cols = list(order.skus)
        held = np.flatnonzero(sc.stock0[:, cols].sum(axis=1) > 0)
        single = len(order.skus) == 1 and order.qty[0] == 1
        demand_rows = []
        for s, q in zip(order.skus, order.qty):
            r = new_row(q, q)
            u = new_col(ctx.penalty, q)
            pen_cols.append((u, 1))
            coo_r.append(r); coo_c.append(u); coo_v.append(1.0)
            demand_rows.append(r)
        for n in held:
            lanes = ctx.lanes_of(sc, int(n))
            if not lanes:
                continue
            handling = sc.nodes[n].handling_paise
            if single:
                s = order.skus[0]
                if sc.stock0[n, s] <= 0:
                    continue
                exact = handling + min(_charge(l, sc.line_weight(s), sc.line_volume(s), ctx.value, order.cod) for l in lanes)
                x = new_col(exact, 1)
                coo_r.append(demand_rows[0]); coo_c.append(x); coo_v.append(1.0)
                key = (int(n), s)
                stock_entries.append((key, x))
                continue
            F = handling + min(l["first_slab_paise"] + (l.get("cod_fixed_paise", 0) if order.cod else 0) for l in lanes)
            B = min(l["additional_slab_paise"] / l.get("slab_g", 500) for l in lanes)
            slab = max(l.get("slab_g", 500) for l in lanes)
            y = new_col(F, 1)
            e = new_col(B, highspy.kHighsInf)
            # Billed weight >= actual weight and >= volumetric weight: one excess row for each.
            excess = new_row(-highspy.kHighsInf, 0.0)
            excess_vol = new_row(-highspy.kHighsInf, 0.0)
            coo_r += [excess, excess, excess_vol, excess_vol]
            coo_c += [y, e, y, e]
            coo_v += [-float(slab), -1.0, -float(slab), -1.0]
            div = max(l.get("volumetric_divisor", 5000) for l in lanes)
            for k, (s, q) in enumerate(zip(order.skus, order.qty)):
                if sc.stock0[n, s] <= 0:
                    continue
                x = new_col(0.0, q)
                coo_r.append(demand_rows[k]); coo_c.append(x); coo_v.append(1.0)
                link = new_row(-highspy.kHighsInf, 0.0)
                coo_r += [link, link]; coo_c += [x, y]; coo_v += [1.0, -float(q)]
                coo_r.append(excess); coo_c.append(x); coo_v.append(float(sc.line_weight(s)))
                if sc.line_volume(s):
                    coo_r.append(excess_vol); coo_c.append(x); coo_v.append(sc.line_volume(s) / div)
                stock_entries.append(((int(n), s), x))
    for key, x in stock_entries:
        r = stock_rows.get(key)
        if r is None:
            r = stock_rows[key] = new_row(-highspy.kHighsInf, float(sc.stock0[key]))
        coo_r.append(r); coo_c.append(x); coo_v.append(1.0)
    t_build = time.perf_counter() - t0

    n_cols, n_rows = len(cost), len(row_lo)
    r = np.asarray(coo_r, dtype=np.int32)
    c = np.asarray(coo_c, dtype=np.int32)
    v = np.asarray(coo_v, dtype=np.float64)
    order_idx = np.lexsort((r, c))
    r, c, v = r[order_idx], c[order_idx], v[order_idx]
    start = np.zeros(n_cols + 1, dtype=np.int32)
    np.cumsum(np.bincount(c, minlength=n_cols), out=start[1:])

    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = np.asarray(cost)
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.asarray(upper)
    lp.row_lower_ = np.asarray(row_lo)
    lp.row_upper_ = np.asarray(row_hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = r
    lp.a_matrix_.value_ = v
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    # Interior point without crossover: the simplex did not finish 2,000 orders in 10 min; the
    # IPM's objective is within its relative duality-gap tolerance (1e-8, i.e. paise on the
    # whole run) of the LP optimum.
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    left = time_limit_s - (time.perf_counter() - t0)
    if status != "Optimal" and left > 1.0:
        # The IPM can stop short of a certified optimum (status Unknown, seen on the Jasin & Sinha
        # LP); the dual simplex then gets the time that is left.
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("time_limit", float(left))
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    sol = np.asarray(h.getSolution().col_value)
    if status != "Optimal":
        # A bound from an unfinished simplex is not a bound: report nothing rather than a wrong number.
        return {"kind": "lp", "label": f"{LABEL}: HiGHS stopped ({status})", "cost": None,
                "wall_s": time.perf_counter() - t0, "rows": n_rows, "cols": n_cols}
    unfilled = float(sum(sol[u] for u, _ in pen_cols))
    unfilled_cost = float(sum(sol[u] * cost[u] for u, _ in pen_cols))
    return {
        "kind": "lp",
        "label": LABEL,
        "cost": float(info.objective_function_value),
        "unfilled_units": unfilled,
        "unfilled_cost": unfilled_cost,
        "fill_rate": 1.0 - unfilled / total_units if total_units else float("nan"),
        "wall_s": time.perf_counter() - t0,
        "build_s": t_build,
        "rows": n_rows,
        "cols": n_cols,
    }


BATCH_LABEL = "batch solver plan (all orders known, whole lines)"


def batch_optimum(sc: Scenario, time_limit_s: float = 300.0) -> dict:
    """The batch solver's plan (solvers/batch) over every order at once, against the starting
    stock, with its own LP bound: a reference only.

    The batch model sends each line whole to one node or leaves it whole unfilled, where the
    online policies split a line across nodes or part-fill it: at 2,000 orders of india-100 it
    fills 80.7% against their ~85% and costs more than the lookahead policy. Its plan is still a
    feasible clairvoyant plan, and its pattern-LP bound is a bound for whole-line plans only.
    `priced_plan` is the clairvoyant plan on the online rules; the bounds valid for every plan
    are the Lagrangian bound (lagrangian.py) and `lp_bound`."""
    from omnialloc.solvers.batch import solve_batch

    from .lookahead import batch_problem

    t0 = time.perf_counter()
    data = batch_problem(sc, sc.orders(), sc.stock0).compile()
    t_build = time.perf_counter() - t0
    plan = solve_batch(data, time_limit=time_limit_s)
    units = int(data.line_qty.sum())
    per = {}
    for m in plan.shipments:
        per[m.order_id] = per.get(m.order_id, 0) + 1
    return {
        "kind": "batch",
        "label": BATCH_LABEL,
        "cost": float(plan.objective),
        "bound": plan.bound,
        "unfilled_units": int(plan.totals["unfilled_units"]),
        "unfilled_cost": float(plan.totals["unfilled_paise"]),
        "fill_rate": 1.0 - plan.totals["unfilled_units"] / units if units else float("nan"),
        "shipments": len(plan.shipments),
        "split_orders": sum(1 for v in per.values() if v > 1),
        "method": plan.method,
        "status": plan.status,
        "wall_s": time.perf_counter() - t0,
        "build_s": t_build,
        "stats": plan.stats,
    }


PLAN_LABEL = ("clairvoyant plan (orders in arrival order, each at its exact optimum with the clairvoyant "
              "stock prices: the online policies' rules)")


def priced_plan(sc: Scenario, bound, ctxs: list | None = None, time_limit_ms: float = 200) -> tuple[object, dict]:
    """A clairvoyant plan on the online policies' rules: the orders in arrival order against the
    depleting stock, each at the single-order solver's optimum with the prices where the
    Lagrangian bound `bound` (a `lagrangian.BoundResult`) was best as the lookahead term: the
    `optimal_lookahead` strategy with fixed prices computed from the *real* orders. It is feasible
    (the runner applies every plan to the stock and checks it), so its cost, counted as the runner
    counts it (without the price term), is an upper estimate of the clairvoyant optimum.

    The bound's pass at those prices already holds each order's optimum against the *starting*
    stock; where that plan still fits the remaining stock it is also the optimum against the
    remaining stock (the optimum of a larger feasible set that lies in the smaller one), so only
    the orders whose plan no longer fits are solved again. Returns the runner's log and stats."""
    from . import runner

    t0, cpu0 = time.perf_counter(), time.process_time()
    before = {k: list(v) for k, v in runner.SOLVER_ERRORS.items()}
    ctxs = ctxs if ctxs is not None else [OrderContext(sc, o) for o in sc.orders()]
    log = runner.StrategyLog(runner.CLAIRVOYANT, len(ctxs))
    stock = sc.stock0.copy()
    node_index = {n.code: i for i, n in enumerate(sc.nodes)}
    prices = np.asarray(bound.lam, dtype=np.int64)
    resolved = 0
    for ctx, ans in zip(ctxs, bound.answers):
        plan = ans.plan
        if plan is None or any(stock[n, s] < q for n, s, q in ans.use):
            plan = runner._plan_for(sc, ctx, stock, runner.MYOPIC, prices, time_limit_ms, runner.CLAIRVOYANT)
            resolved += 1
        runner._apply(sc, ctx, plan, stock, log, node_index)
        ctx.problems.clear()   # 20,000 orders' cached problems and plans would not fit in memory
        ctx.plans.clear()
        if hasattr(ctx, "template"):
            ctx.template = None
    log.stock = stock
    log.status_counts = dict(log.status_counts)
    log.flows = dict(log.flows)
    mine = runner.SOLVER_ERRORS.get(runner.CLAIRVOYANT, [])
    runner.SOLVER_ERRORS.clear()
    runner.SOLVER_ERRORS.update(before)
    if mine:
        runner.SOLVER_ERRORS[runner.CLAIRVOYANT] += mine
    return log, {"resolved": resolved, "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - cpu0}


#: seconds for the Lagrangian bound, start prices included (its first pass over the orders always
#: runs; further passes only if they fit). Override with BENCH_BOUND_BUDGET_S or `bench_run(bound_budget_s=)`.
BOUND_BUDGET_S = float(os.environ.get("BENCH_BOUND_BUDGET_S", "60"))


def references(sc: Scenario, *, bound_budget_s: float = BOUND_BUDGET_S, workers: int = 2,
               with_lp: bool = False, with_whole_lines: bool = False, lp_time_limit_s: float = 600.0,
               time_limit_ms: float = 200, use_stored_prices: bool = True) -> dict:
    """Everything the benchmark compares the online policies with, knowing all orders:
    - "bound": the Lagrangian bound (`lagrangian.py`) from the prices of this scenario's
      certification run (`certificate.py`, when one is stored and `use_stored_prices`) or else the
      batch model's stock prices over the real orders, improved by column generation within
      `bound_budget_s`;
    - "plan_log": `priced_plan` at the bound's best prices (a plan on the online rules);
    - optionally "lp_bound" (`lp_bound`, weaker, slow: only for small runs) and "whole_lines"
      (`batch_optimum`, the batch solver's plan, which sends every line whole: other rules).
    The bound reported ("bound") is the higher of the valid bounds computed."""
    from . import certificate, lagrangian

    t0, cpu0 = time.perf_counter(), time.process_time()
    ctxs = [OrderContext(sc, o) for o in sc.orders()]
    stored = certificate.stored_prices(sc, ctxs) if use_stored_prices else None
    if stored is not None:
        lam0, rec = stored
        start = {"method": f"those stored by the certification run `{rec['command']}` ({rec['date']}: "
                           f"{rec['steps']} column-generation step(s) from {rec['start']}, {rec['wall_s']:,.0f} s, "
                           f"{rec['cpu_s']:,.0f} CPU-s; L there {rec['L_paise'] / sc.money_divisor:,.0f} "
                           f"{sc.money_unit}), matched by the scenario's fingerprint and evaluated again here",
                 "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - cpu0, "stored": rec}
    else:
        lam0, start = lagrangian.start_prices(sc, window=lagrangian.START_WINDOW)
    res = lagrangian.lagrangian_bound(sc, lam0, time_budget_s=max(0.0, bound_budget_s - start["wall_s"]),
                                      workers=workers, ctxs=ctxs)
    bound = res.as_dict(method=f"prices from {start['method']} ({start['wall_s']:.1f} s) and {res.passes - 1} "
                               f"column-generation step(s): {res.passes} pass(es) over the orders, "
                               f"{res.solves:,} single-order solves in {workers} process(es)")
    bound["wall_s"] += start["wall_s"]
    bound["cpu_s"] += start["cpu_s"]
    if stored is not None:
        bound["stored"] = {k: v for k, v in stored[1].items() if k not in ("prices", "history")}
    elif use_stored_prices and certificate.path_for(sc).exists():
        bound["stale_certificate"] = certificate.path_for(sc).name   # said in the notes: re-run it
    plan_log, plan_stats = priced_plan(sc, res, ctxs, time_limit_ms=time_limit_ms)
    out = {"plan": None, "plan_log": plan_log, "plan_s": plan_stats["wall_s"], "plan_stats": plan_stats,
           "bound": bound, "lagrangian": bound}
    if with_lp:
        lp = lp_bound(sc, time_limit_s=lp_time_limit_s)
        out["lp_bound"] = lp
        if lp["cost"] is not None and lp["cost"] > bound["cost"]:
            out["bound"] = lp
    if with_whole_lines:
        out["whole_lines"] = batch_optimum(sc, time_limit_s=lp_time_limit_s)
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - cpu0 + res.worker_cpu_s
    return out

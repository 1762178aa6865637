"""The exact mixed-integer model, solved with HiGHS through highspy.

Used for orders the enumeration, the contents DP and colgen cannot settle (many lines, large
quantities, many nodes). Built straight into CSR arrays for one reused `Highs` object per
thread (no modelling layer: a few ms for 100 nodes).

Per candidate node c and each of its lanes j (an *arc*; lanes another lane at the same node
beats on every term were dropped when compiling):

  z[a]      binary: node c ships on lane j            (sum over c's arcs <= 1, sum of all <= K)
  x[l,a]    integer: units of line l in that parcel   (<= min(qty, stock) * z[a])
  g[G,a]    binary: keep-together group G travels whole in it (replaces its lines' x)
  s[a]      integer slabs billed: s >= z, s >= weight / slab, s >= volume / (divisor * slab)
  f[a]      integer COD fee (only where the percentage can exceed the fixed fee):
            f >= fixed * z and f >= value * bp / 10000 - 0.4999, the half-up rounding exactly
  u[l]      integer unfilled units (partial fill only; ug[G] binary for a whole group)
  e         >= shipments - 1, the split penalty (partial fill only; otherwise on z)

Each parcel's contents are copied per lane rather than carried in big-M weight variables: no
coefficient above the order's own numbers, which keeps HiGHS's cut loop fast. The per-parcel
constants (node handling/penalty/distance/priority minus bonuses, lane lateness minus bonus,
first slab minus additional slab, and the fixed COD fee where the percentage cannot bind) sit
on z, the additional slab price on s. Identical nodes are ordered (z of the later one <= z of
the earlier) and a node another node dominates may only ship when its dominator does
(`dominance.py`): both keep at least one optimal plan.

The incumbent is handed to HiGHS as a start solution, never as an objective cut-off row (a
cut-off row once made HiGHS 1.16's presolve declare a model with a cheaper plan infeasible).
A claim of infeasibility is verified by a second run with presolve off before it is believed.

Work and time: a callback charges the `Budget` for each HiGHS interrupt check (a deterministic
count on one thread with a fixed seed) and stops the run when the work or the wall clock is
spent; whatever HiGHS found by then (a plan, a dual bound) is still used. HiGHS runs on the
caller's thread and always to its end: between our checks its own time limit (the wall time
left) stops it, so no solve leaves a run behind.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import costs
from .assemble import Sol, sol_from_ships, violations
from .budget import Budget, OutOfBudget
from .costs import FloatArray, IntArray
from .highs_quiet import quiet_highs
from .instance import Instance

with contextlib.redirect_stdout(io.StringIO()):  # highspy may print a banner on import
    import highspy

_local = threading.local()

# Work units charged per model column (building it in Python) and per HiGHS interrupt check.
# HiGHS checks between root cut rounds and between branch-and-bound nodes; measured on the
# reference machine the root costs ~25 us per nonzero in all (median; ~8 checks) and a check
# after it ~0.03-0.1 us per nonzero. The MIP is not started unless the budget left covers
# `ROOT_UNITS_PER_NONZERO` per nonzero: a root it cannot finish would only waste the time.
UNITS_PER_COLUMN = 5.0
ROOT_UNITS_PER_NONZERO = 10.0
ROOT_CHECK_UNITS_PER_NONZERO = 2.0
NODE_CHECK_UNITS_PER_NONZERO = 0.1
MIN_UNITS_PER_CHECK = 100.0
# A root check of a small model costs more than its size says: HiGHS separates thousands of cuts
# on the slab rows of a 60-column model (measured ~1.5-3 ms per root check on the loaded box).
MIN_UNITS_PER_ROOT_CHECK = 1500.0


@dataclass
class _Box:
    """What the interrupt callback reads: the budget to charge (None between runs) and the model's nonzeros."""

    budget: Budget | None = None
    nnz: int = 0


def _interrupt(
    callback_type: highspy.cb.HighsCallbackType, message: str, data_out: highspy.cb.HighsCallbackOutput,
    data_in: highspy.cb.HighsCallbackInput, box: _Box,
) -> None:
    budget, nnz = box.budget, box.nnz
    if budget is None:
        return
    if data_out.mip_node_count == 0:
        units = max(MIN_UNITS_PER_ROOT_CHECK, ROOT_CHECK_UNITS_PER_NONZERO * nnz)
    else:
        units = max(MIN_UNITS_PER_CHECK, NODE_CHECK_UNITS_PER_NONZERO * nnz)
    try:
        budget.charge(units)
    except OutOfBudget:
        data_in.user_interrupt = True


def _highs() -> highspy.Highs:
    h: highspy.Highs | None = getattr(_local, "h", None)
    if h is None:
        h = quiet_highs()
        _local.box = _Box()
        h.setCallback(_interrupt, _local.box)
        h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
        h.setOptionValue("mip_rel_gap", 0.0)
        # The objective is integral (paise), so a gap below one paisa proves optimality.
        h.setOptionValue("mip_abs_gap", 0.99)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("threads", 1)
        _local.h = h
    return h


@dataclass
class MipResult:
    sol: Sol | None  # the best plan HiGHS found (None: none, or none cheaper than the start)
    proven: bool  # the search finished: no plan over these nodes is cheaper than sol / the start
    bound: float | None  # a lower bound on every plan over these nodes (when HiGHS gave one)
    status: str
    ms: float
    n_cols: int
    n_rows: int
    infeasible: bool = False  # HiGHS says no plan over these nodes exists
    verified: bool = False  # ... and said so again with presolve off


class _Model:
    """Columns and rows in flat lists (CSR by row at the end)."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integ: list[int] = []
        self.r_start: list[int] = [0]
        self.r_idx: list[int] = []
        self.r_val: list[float] = []
        self.r_lo: list[float] = []
        self.r_hi: list[float] = []

    def var(self, cost: float, lb: float, ub: float, integer: bool = True) -> int:
        self.cost.append(float(cost))
        self.lb.append(float(lb))
        self.ub.append(float(ub))
        self.integ.append(1 if integer else 0)
        return len(self.cost) - 1

    def row(self, idx: Iterable[int], val: Iterable[float], lo: float, hi: float) -> None:
        self.r_idx.extend(idx)
        self.r_val.extend(val)
        self.r_start.append(len(self.r_idx))
        self.r_lo.append(float(lo))
        self.r_hi.append(float(hi))


@dataclass
class _Built:
    model: _Model
    offset: float
    arcs: list[tuple[int, int]]  # (candidate, lane)
    z: list[int]
    x: list[dict[int, int]]  # per arc: line -> column
    g: list[dict[int, int]]  # per arc: group -> column
    s: list[int]
    fee: list[int | None]
    u: dict[int, int]
    ug: dict[int, int]
    e: int | None
    group_of: dict[int, int]
    exact: bool  # the model prices every parcel exactly (no relaxed COD fee in it)


def build(
    inst: Instance, nodes: Iterable[int], kmax: int, order_pairs: Iterable[tuple[int, int]] = (), exact_fee: bool = True,
    allowed: set[tuple[int, int]] | None = None,
) -> _Built:
    """The model over candidates `nodes` (only the arcs in `allowed`, when given); `order_pairs`
    (a, b): node b may ship only if a does.
    With `exact_fee` False the COD percentage fee is continuous (f >= value * bp / 10000 -
    0.4999 without rounding up): a relaxation, less than one paisa per parcel below the exact
    fee, which HiGHS solves several times faster."""
    inf = highspy.kHighsInf
    m = _Model()
    L = inst.n_lines
    group_of = {int(l): gi for gi, g in enumerate(inst.groups) for l in g}
    lists = inst.lists()
    w, vol, v = lists["w"], lists["vol"], lists["v"]
    q = [int(x) for x in inst.q]
    split = int(inst.split)
    fold_split = split > 0 and not inst.partial
    arcs: list[tuple[int, int]] = []
    zc: list[int] = []
    xc: list[dict[int, int]] = []
    gc: list[dict[int, int]] = []
    sc: list[int] = []
    fc: list[int | None] = []
    node_z: dict[int, list[int]] = {}
    demand: list[list[int]] = [[] for _ in range(L)]
    gdemand: list[list[int]] = [[] for _ in inst.groups]
    sku_lines = [np.flatnonzero(inst.line_sku == sk) for sk in range(len(inst.skus))]
    shared = [(sk, [int(l) for l in ls]) for sk, ls in enumerate(sku_lines) if len(ls) > 1]
    for c in (int(c) for c in nodes):
        cap = [int(x) for x in inst.cap_line[c]]
        price = lists["price"][c]
        free = [l for l in range(L) if l not in group_of and cap[l] > 0]
        whole = [gi for gi, g in enumerate(inst.groups) if all(cap[int(l)] == q[int(l)] for l in g)]
        if not free and not whole:
            continue
        # Contents' reach at this node: the most weight, volume and value one parcel can carry.
        top = [cap[l] if l in free else 0 for l in range(L)]
        for gi in whole:
            for l in inst.groups[gi]:
                top[int(l)] = q[int(l)]
        wmax = sum(a * b for a, b in zip(top, w))
        volmax = sum(a * b for a, b in zip(top, vol))
        valmax = sum(a * b for a, b in zip(top, v))
        zs = []
        stock_cols: dict[int, list[tuple[int, float]]] = {}
        for j in (int(j) for j in inst.node_lanes[c] if j >= 0):
            if allowed is not None and (c, j) not in allowed:
                continue
            slab, div, add = int(inst.slab[j]), int(inst.div[j]), int(inst.add[j])
            maxw = int(inst.maxw[j])
            billmax = max(min(wmax, maxw), int(costs.volumetric_grams(volmax, div)))
            smax = max(1, int(costs.ceil_div(billmax, slab)))
            fixed_cod, pct = 0, False
            if inst.is_cod:
                fixed, bp = int(inst.cod_fixed[j]), int(inst.cod_bp[j])
                if int(costs.cod_percent_fee(valmax, bp)) <= fixed:
                    fixed_cod = fixed
                else:
                    pct = True
            zcost = lists["handling"][c] + lists["penalty"][c] + lists["distance"][c] + lists["priority"][c] \
                - lists["bonus"][c] + lists["lateness"][j] - lists["lane_bonus"][j] + int(inst.first[j]) - add + fixed_cod
            z = m.var(zcost + (split if fold_split else 0), 0, 1)
            zs.append(z)
            arcs.append((c, j))
            zc.append(z)
            xs: dict[int, int] = {}
            content: list[tuple[int, list[int]]] = []  # (column, units per line)
            for l in free:
                col = m.var(price[l], 0, cap[l])
                xs[l] = col
                demand[l].append(col)
                m.row([col, z], [1.0, -float(cap[l])], -inf, 0)
                content.append((col, [1 if k == l else 0 for k in range(L)]))
            gs: dict[int, int] = {}
            for gi in whole:
                g = [int(l) for l in inst.groups[gi]]
                col = m.var(sum(q[l] * price[l] for l in g), 0, 1)
                gs[gi] = col
                gdemand[gi].append(col)
                m.row([col, z], [1.0, -1.0], -inf, 0)
                content.append((col, [q[k] if k in g else 0 for k in range(L)]))
            xc.append(xs)
            gc.append(gs)
            cols = [col for col, _ in content]
            units = [float(sum(vec)) for _, vec in content]
            wts = [float(sum(a * b for a, b in zip(vec, w))) for _, vec in content]
            # A parcel carries at least one unit.
            m.row(cols + [z], units + [-1.0], 0, inf)
            s = m.var(add, 0, smax)
            sc.append(s)
            m.row([s, z], [1.0, -1.0], 0, inf)
            m.row([s] + cols, [1.0] + [-a / slab for a in wts], 0, inf)
            if maxw < wmax:
                m.row(cols + [z], wts + [-float(maxw)], -inf, 0)
            if inst.has_volume and volmax:
                vols = [float(sum(a * b for a, b in zip(vec, vol))) for _, vec in content]
                m.row([s] + cols, [1.0] + [-a / (div * slab) for a in vols], 0, inf)
            vals = [float(sum(a * b for a, b in zip(vec, v))) for _, vec in content]
            if inst.minval > 0:
                m.row(cols + [z], [a / inst.minval for a in vals] + [-1.0], 0, inf)
            if pct:
                fixed, bp = int(inst.cod_fixed[j]), int(inst.cod_bp[j])
                f = m.var(1, 0, max(fixed, int(costs.cod_percent_fee(valmax, bp))), exact_fee)
                m.row([f, z], [1.0, -float(fixed)], 0, inf)
                m.row([f] + cols, [1.0] + [-a * bp / 10000.0 for a in vals], -0.4999, inf)
                fc.append(f)
            else:
                fc.append(None)
            for sk, ls in shared:
                for col, vec in content:
                    k = sum(vec[l] for l in ls)
                    if k:
                        stock_cols.setdefault(sk, []).append((col, float(k)))
        if len(zs) > 1:
            m.row(zs, [1.0] * len(zs), -inf, 1)
        for sk, pairs in stock_cols.items():
            m.row([p[0] for p in pairs], [p[1] for p in pairs], -inf, float(inst.stock[c, sk]))
        node_z[c] = zs
    u: dict[int, int] = {}
    ug: dict[int, int] = {}
    for l in range(L):
        if l in group_of:
            continue
        idx = list(demand[l])
        if inst.partial:
            u[l] = m.var(inst.pen, 0, q[l])
            idx.append(u[l])
        m.row(idx, [1.0] * len(idx), q[l], q[l])
    for gi, group in enumerate(inst.groups):
        idx = list(gdemand[gi])
        if inst.partial:
            ug[gi] = m.var(float(inst.pen * inst.q[group].sum()), 0, 1)
            idx.append(ug[gi])
        m.row(idx, [1.0] * len(idx), 1, 1)
    if zc and kmax < len(node_z):
        m.row(zc, [1.0] * len(zc), -inf, float(kmax))
    e = None
    offset = 0.0
    if split > 0 and zc:
        if inst.partial:
            # e = shipments - 1 in every plan: bounded by the arcs (a finite bound keeps the LP's
            # dual bound finite, lp.py).
            e = m.var(split, 0, float(len(zc)), False)
            m.row([e] + zc, [1.0] + [-1.0] * len(zc), -1, inf)
        else:
            offset = -float(split)
    for a, b in order_pairs:
        if a in node_z and b in node_z:
            m.row(node_z[a] + node_z[b], [1.0] * len(node_z[a]) + [-1.0] * len(node_z[b]), 0, inf)
    return _Built(m, offset, arcs, zc, xc, gc, sc, fc, u, ug, e, group_of, exact_fee or not any(f is not None for f in fc))


def estimated_root_units(
    inst: Instance, nodes: IntArray | Sequence[int], allowed: set[tuple[int, int]] | None = None
) -> float:
    """What HiGHS's root will roughly cost (work units) for the model over `nodes` (and only
    the arcs `allowed`, when given), from the model's size alone (about 7 nonzeros per content
    column, 10 per parcel): lets the portfolio decide, before building anything, whether the
    MIP can do its work in the budget."""
    nodes = np.asarray(nodes, dtype=np.int64)
    if len(nodes) == 0:
        return 0.0
    if allowed is None:
        arcs = (inst.node_lanes[nodes] >= 0).sum(axis=1)
    else:
        per: dict[int, int] = {}
        for c, _ in allowed:
            per[int(c)] = per.get(int(c), 0) + 1
        arcs = np.array([per.get(int(c), 0) for c in nodes])
    cols = (inst.cap_line[nodes] > 0).sum(axis=1)
    return ROOT_UNITS_PER_NONZERO * float(np.sum(arcs * (7 * cols + 10)))


def _start_values(inst: Instance, b: _Built, sol: Sol) -> tuple[npt.NDArray[np.int32], FloatArray] | None:
    """Column values of plan `sol` in model `b` (None if the model cannot express it)."""
    arc_of = {arc: k for k, arc in enumerate(b.arcs)}
    val: dict[int, float] = {}
    for c, j, qty in sol.ships:
        k = arc_of.get((int(c), int(j)))
        if k is None:
            return None
        val[b.z[k]] = 1.0
        t = inst.price_one(j, qty)
        val[b.s[k]] = float(t["slabs"])
        fee = b.fee[k]
        if fee is not None:
            val[fee] = float(t["cod"])
        for l, col in b.x[k].items():
            val[col] = float(qty[l])
        for gi, col in b.g[k].items():
            if qty[int(inst.groups[gi][0])]:
                val[col] = 1.0
        if any(qty[l] for l in range(inst.n_lines) if l not in b.x[k] and l not in b.group_of):
            return None
    for l, col in b.u.items():
        val[col] = float(sol.unfilled[l])
    for gi, col in b.ug.items():
        val[col] = 1.0 if sol.unfilled[int(inst.groups[gi][0])] else 0.0
    if b.e is not None:
        val[b.e] = float(max(len(sol.ships) - 1, 0))
    # Every column, zeros included: HiGHS treats a column left out as unknown and runs a
    # sub-MIP to complete the start.
    full = np.zeros(len(b.model.cost))
    for i, x in val.items():
        full[i] = x
    return np.arange(len(full), dtype=np.int32), full


def _extract(inst: Instance, b: _Built, col: FloatArray) -> Sol | None:
    ships = []
    unfilled = np.zeros(inst.n_lines, dtype=np.int64)
    for l, k in b.u.items():
        unfilled[l] = int(round(col[k]))
    for gi, k in b.ug.items():
        if round(col[k]) == 1:
            unfilled[inst.groups[gi]] = inst.q[inst.groups[gi]]
    for k, (c, j) in enumerate(b.arcs):
        if col[b.z[k]] < 0.5:
            continue
        qty = np.zeros(inst.n_lines, dtype=np.int64)
        for l, x in b.x[k].items():
            qty[l] = int(round(col[x]))
        for gi, x in b.g[k].items():
            if round(col[x]) == 1:
                qty[inst.groups[gi]] = inst.q[inst.groups[gi]]
        if qty.sum():
            ships.append((c, j, qty))
    sol = sol_from_ships(inst, ships, unfilled)
    # Re-priced exactly and checked against every hard constraint: a plan from the MIP is
    # only ever used as what it really is.
    return None if violations(inst, sol) else sol


def solve_mip(
    inst: Instance,
    nodes: IntArray,
    warm: Sol | None,
    kmax: int,
    budget: Budget | float,
    order_pairs: Iterable[tuple[int, int]] = (),
    allowed: set[tuple[int, int]] | None = None,
) -> MipResult:
    """Optimise over candidate nodes `nodes` only (the caller has shown the others cannot be in
    a plan cheaper than `warm`, the incumbent, which is passed to HiGHS as a start when the
    model can express it). `budget` (or a `time.perf_counter()` deadline) limits the run.
    `allowed` (a set of (candidate, lane) arcs) leaves the other arcs out of the model.

    Two phases when the order pays a COD percentage fee: first the model with that fee
    relaxed (fast; its dual bound is valid, its plans are re-priced exactly), then, only if
    rounding the fee could still matter (the bound rounded up is below the best plan), the
    exact model from the best plan found."""
    if not isinstance(budget, Budget):
        budget = Budget(float("inf"), float(budget))
    t0 = time.perf_counter()
    res = None
    for exact_fee in (False, True):
        b = build(inst, nodes, kmax, order_pairs, exact_fee, allowed)
        ncol = len(b.model.cost)
        try:
            budget.charge(UNITS_PER_COLUMN * ncol)
            enough = budget.left >= ROOT_UNITS_PER_NONZERO * len(b.model.r_idx)
        except OutOfBudget:
            enough = False
        if not enough:  # not enough left for even its root: do not start a run it cannot use
            if res is None:
                res = MipResult(None, False, None, "not started", 0.0, ncol, len(b.model.r_lo))
            break
        phase = _run(inst, b, warm, budget, presolve=True)
        if phase.infeasible:
            # Believe "no plan" only if HiGHS says so again without presolve.
            check = _run(inst, b, None, budget, presolve=False)
            phase.proven = phase.verified = check.infeasible
            phase.infeasible = check.infeasible
            if check.sol is not None:
                phase.sol, phase.bound = check.sol, check.bound
        finished = phase.proven  # HiGHS finished this phase's search (before the merge re-judges it)
        res = _merge(res, phase, warm)
        if b.exact or res.proven or res.infeasible or not finished:
            break
        warm = res.sol if res.sol is not None and (warm is None or res.sol.cost < warm.cost) else warm
    assert res is not None  # the first phase always sets it
    res.ms = (time.perf_counter() - t0) * 1000
    return res


def _merge(old: MipResult | None, new: MipResult, warm: Sol | None) -> MipResult:
    """Combine the phases: the cheaper plan, the higher bound, proven when the bound (rounded
    up: costs are whole paise) reaches the best plan known."""
    if old is None:
        out = new
    else:
        out = new
        if old.sol is not None and (out.sol is None or old.sol.cost < out.sol.cost):
            out.sol = old.sol
        if old.bound is not None:
            out.bound = old.bound if out.bound is None else max(old.bound, out.bound)
    best = [s.cost for s in (out.sol, warm) if s is not None]
    if not out.infeasible and out.bound is not None and best:
        out.proven = bool(np.ceil(out.bound - 1e-6) >= min(best))
    return out


def _run(inst: Instance, b: _Built, warm: Sol | None, budget: Budget, presolve: bool) -> MipResult:
    m = b.model
    h = _highs()
    h.clearModel()
    ncol, nrow = len(m.cost), len(m.r_lo)
    h.passModel(
        ncol, nrow, len(m.r_idx), 2, 1, b.offset,
        np.array(m.cost), np.array(m.lb), np.array(m.ub),
        np.array(m.r_lo), np.array(m.r_hi),
        np.array(m.r_start, dtype=np.int32), np.array(m.r_idx, dtype=np.int32), np.array(m.r_val),
        np.array(m.integ, dtype=np.int32),
    )
    h.setOptionValue("presolve", "on" if presolve else "off")
    # HiGHS's own clock as the wall-clock net between our callback's checks (the callback does
    # the deterministic stop): HiGHS checks its time limit inside its LP solves too, so a long
    # root cut round stops near the deadline instead of running on to the next callback.
    h.setOptionValue("time_limit", max(budget.wall_left(), 0.001))
    if warm is not None:
        start = _start_values(inst, b, warm)
        if start is not None:
            h.setSolution(len(start[0]), start[0], start[1])
    box: _Box = _local.box
    box.budget, box.nnz = budget, len(m.r_idx)
    # On the caller's thread, to the end: HiGHS stops at our callback (work or wall clock spent)
    # or at its own time limit, and nothing of this solve outlives it (a run left behind on a
    # worker thread would keep a core busy on a loaded server after its answer was given).
    try:
        h.run()
    finally:
        box.budget = None
    status = h.getModelStatus()
    info = h.getInfo()
    MS = highspy.HighsModelStatus
    if status == MS.kInterrupt:
        # highspy 1.16: once our callback has interrupted a run, every later run of the same
        # Highs object stops at its first callback; the next solve builds a fresh one.
        _local.h = None
    if status == MS.kTimeLimit:
        budget.mark_wall()
    sol = None
    if info.primal_solution_status == 2:
        sol = _extract(inst, b, np.asarray(h.getSolution().col_value))
    # Every variable is bounded (e has a non-negative cost), so "unbounded or infeasible"
    # can only mean infeasible.
    infeasible = status in (MS.kInfeasible, MS.kUnboundedOrInfeasible)
    proven = infeasible or status in (MS.kOptimal, MS.kModelEmpty)
    if status == MS.kOptimal and b.exact and (sol is None or abs(sol.cost - info.objective_function_value) > 0.5):
        proven = False  # HiGHS's answer did not survive exact re-pricing: no claim from it
    bound = info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else None
    if status == MS.kOptimal and b.exact and sol is not None:
        bound = float(sol.cost) if bound is None else min(bound, float(sol.cost))
    return MipResult(sol, proven, bound, h.modelStatusToString(status), 0.0, ncol, nrow, infeasible)

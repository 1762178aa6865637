"""The exact mixed-integer model, solved with HiGHS through highspy.

Used for orders the enumeration cannot cover (many lines or large
quantities). The model is built straight into CSR arrays and passed to one
reused `Highs` object per thread, which avoids the per-variable Python
overhead of modelling layers (a few ms per solve on small models).

Variables, per candidate node c, line l and lane j (a lane belongs to one node):
  x[l,c]  integer units of line l shipped from c (0..min(qty, stock))
  g[G,c]  binary: keep-together group G ships whole from c (replaces its x)
  u[l]    integer unfilled units (only when partial fulfilment is allowed)
  z[j]    binary: node c ships, on lane j (sum over c's lanes <= 1)
  s[j]    integer slabs billed on lane j; W[j], V[j], Val[j] continuous:
          the weight, volume and value carried on lane j
  fee[j]  integer COD fee on lane j (only when the percentage can bind)
  e       continuous extra shipments beyond the first (only if partial)
Slab count is exact: slab_g * s[j] >= W[j] and div*slab_g * s[j] >= V[j]
with s integer; the minimiser picks the least s, i.e. the ceiling. The COD
fee is exact too: 10000*fee >= bp*Val - 4999 with fee integer is the
half-up rounded percentage, and fee >= fixed*z[j].
Cost on z[j]: node fixed + lane fixed + first - additional slab price;
cost on s[j]: additional slab price. Charge = first + (s-1)*additional.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from . import costs
from .assemble import Sol, sol_from_ships
from .highs_quiet import quiet_highs
from .instance import Instance

try:  # highspy prints a banner on import; keep it out of service logs
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        import highspy
except ImportError:  # pragma: no cover - highspy is a hard dependency
    highspy = None

_local = threading.local()


def _interrupt(callback_type, message, data_out, data_in, deadline_box):
    # HiGHS checks its own time limit too rarely on a loaded machine (seen:
    # 1 s for a 150 ms limit, inside root cuts and sub-MIPs); this callback
    # stops the search at our deadline.
    if time.perf_counter() > deadline_box[0]:
        data_in.user_interrupt = True


def _highs():
    h = getattr(_local, "h", None)
    if h is None:
        h = quiet_highs()
        _local.deadline = [float("inf")]
        h.setCallback(_interrupt, _local.deadline)
        h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
        h.startCallback(highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt)
        h.setOptionValue("mip_rel_gap", 0.0)
        # The objective is integral (paise), so a gap below one paisa
        # already proves optimality.
        h.setOptionValue("mip_abs_gap", 0.99)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("threads", 1)
        _local.h = h
    return h


@dataclass
class MipResult:
    sol: Sol | None
    proven: bool  # search finished: sol is optimal (or nothing beats the incumbent)
    bound: float | None
    status: str
    ms: float
    n_cols: int
    n_rows: int


class _Model:
    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integ: list[int] = []
        self.r_idx: list[list[int]] = []
        self.r_val: list[list[float]] = []
        self.r_lo: list[float] = []
        self.r_hi: list[float] = []

    def var(self, cost: float, lb: float, ub: float, integer: bool) -> int:
        self.cost.append(float(cost))
        self.lb.append(float(lb))
        self.ub.append(float(ub))
        self.integ.append(1 if integer else 0)
        return len(self.cost) - 1

    def row(self, idx: list[int], val: list[float], lo: float, hi: float) -> None:
        self.r_idx.append(idx)
        self.r_val.append(val)
        self.r_lo.append(float(lo))
        self.r_hi.append(float(hi))


def solve_mip(
    inst: Instance,
    nodes: np.ndarray,
    warm: Sol | None,
    kmax: int,
    deadline: float,
) -> MipResult:
    """Optimise over candidate nodes `nodes` only (the caller has proven the
    others cannot be in a plan cheaper than the incumbent `warm`); with an
    incumbent, only strictly cheaper plans are searched, so "infeasible"
    proves the incumbent optimal. `deadline` is a `time.perf_counter()`
    instant: HiGHS gets whatever is left after the model is built."""
    t0 = time.perf_counter()
    inf = highspy.kHighsInf
    m = _Model()
    L = inst.n_lines
    nodes = [int(c) for c in nodes]
    group_of = {}
    for gi, g in enumerate(inst.groups):
        for l in g:
            group_of[int(l)] = gi
    x: dict[tuple[int, int], int] = {}
    gv: dict[tuple[int, int], int] = {}
    z: dict[int, int] = {}
    s: dict[int, int] = {}
    W: dict[int, int] = {}
    V: dict[int, int] = {}
    Val: dict[int, int] = {}
    fee: dict[int, int] = {}

    for c in nodes:
        cap = inst.cap_line[c]
        # Node c's content columns: (column, units of each line per unit of it).
        cols: list[tuple[int, np.ndarray]] = []
        for l in range(L):
            if l in group_of or cap[l] == 0:
                continue
            x[(l, c)] = m.var(inst.price[c, l], 0, cap[l], True)
            vec = np.zeros(L, dtype=np.int64)
            vec[l] = 1
            cols.append((x[(l, c)], vec))
        for gi, g in enumerate(inst.groups):
            if np.all(cap[g] == inst.q[g]):
                vec = np.zeros(L, dtype=np.int64)
                vec[g] = inst.q[g]
                gv[(gi, c)] = m.var(float(vec @ inst.price[c]), 0, 1, True)
                cols.append((gv[(gi, c)], vec))
        if not cols:
            continue
        max_vec = np.zeros(L, dtype=np.int64)
        for col, vec in cols:
            max_vec += vec * int(m.ub[col])
        max_vec = np.minimum(max_vec, inst.q)
        wmax = int(max_vec @ inst.w)
        volmax = int(max_vec @ inst.vol)
        valmax = int(max_vec @ inst.v)
        lanes = [int(j) for j in inst.node_lanes[c] if j >= 0]
        # With one lane the node's weight/volume/value need no per-lane copy:
        # the content expression is used directly (smaller model).
        single = len(lanes) == 1
        w_terms = [(col, float(vec @ inst.w)) for col, vec in cols]
        # Volume in cm^3 and value in rupees keep coefficients near 1e0..1e5
        # (mm^3 and paise give 1e8 and bad LP scaling).
        v_terms = [(col, float(vec @ inst.vol) / 1000.0) for col, vec in cols]
        val_terms = [(col, float(vec @ inst.v) / 100.0) for col, vec in cols]
        zs = []
        for j in lanes:
            wcap = min(wmax, int(inst.maxw[j]))
            billmax = max(wcap, int(costs.volumetric_grams(volmax, int(inst.div[j]))))
            smax = max(1, int(costs.ceil_div(billmax, int(inst.slab[j]))))
            cod_const = 0
            cod_var = False
            if inst.is_cod:
                fixed, bp = int(inst.cod_fixed[j]), int(inst.cod_bp[j])
                if int(costs.cod_percent_fee(valmax, bp)) <= fixed:
                    cod_const = fixed
                else:
                    cod_var = True
            zc = float(inst.node_fixed[c] + inst.lane_fixed[j] + inst.first[j] - inst.add[j] + cod_const)
            z[j] = m.var(zc, 0, 1, True)
            s[j] = m.var(float(inst.add[j]), 0, smax, True)
            zs.append(z[j])
            slab = float(inst.slab[j])
            m.row([s[j], z[j]], [1, -1], 0, inf)
            m.row([s[j], z[j]], [1, -smax], -inf, 0)
            if single:
                m.row([s[j]] + [col for col, _ in w_terms], [slab] + [-a for _, a in w_terms], 0, inf)
                if wcap < wmax:
                    m.row([col for col, _ in w_terms] + [z[j]], [a for _, a in w_terms] + [-float(wcap)], -inf, 0)
            else:
                W[j] = m.var(0, 0, wcap, False)
                m.row([W[j], z[j]], [1, -wcap], -inf, 0)
                m.row([s[j], W[j]], [slab, -1], 0, inf)
            if inst.has_volume:
                dslab = float(inst.div[j] * inst.slab[j]) / 1000.0
                if single:
                    m.row([s[j]] + [col for col, _ in v_terms], [dslab] + [-a for _, a in v_terms], 0, inf)
                else:
                    V[j] = m.var(0, 0, volmax / 1000.0, False)
                    m.row([V[j], z[j]], [1, -volmax / 1000.0], -inf, 0)
                    m.row([s[j], V[j]], [dslab, -1], 0, inf)
            if cod_var:
                bp = float(inst.cod_bp[j])
                top = max(int(inst.cod_fixed[j]), int(costs.cod_percent_fee(valmax, int(inst.cod_bp[j]))))
                fee[j] = m.var(1, 0, top, True)
                m.row([fee[j], z[j]], [1, -float(inst.cod_fixed[j])], 0, inf)
                # 10000*fee >= bp*value_paise - 4999, written with value in
                # rupees and divided by 100.
                if single:
                    m.row([fee[j]] + [col for col, _ in val_terms], [100.0] + [-bp * a for _, a in val_terms], -49.99, inf)
                else:
                    Val[j] = m.var(0, 0, valmax / 100.0, False)
                    m.row([Val[j], z[j]], [1, -valmax / 100.0], -inf, 0)
                    m.row([fee[j], Val[j]], [100.0, -bp], -49.99, inf)
        m.row(zs, [1.0] * len(zs), -inf, 1)
        # Link content to "node ships", and at least one unit per shipment.
        for col, vec in cols:
            m.row([col] + zs, [1.0] + [-m.ub[col]] * len(zs), -inf, 0)
        m.row([col for col, _ in cols] + zs, [1.0] * len(cols) + [-1.0] * len(zs), 0, inf)
        if not single:
            m.row([W[j] for j in lanes] + [col for col, _ in w_terms], [1.0] * len(lanes) + [-a for _, a in w_terms], 0, 0)
            if inst.has_volume:
                m.row([V[j] for j in lanes] + [col for col, _ in v_terms], [1.0] * len(lanes) + [-a for _, a in v_terms], 0, 0)
            vlanes = [j for j in lanes if j in Val]
            if vlanes:
                # Val exists on COD-percent lanes only and must carry the value
                # only when one of them is chosen; Val[j] <= cap*z[j] forces zero
                # otherwise, so ">=" with slack on the other lanes is right.
                other = [z[j] for j in lanes if j not in Val]
                m.row(
                    [Val[j] for j in vlanes] + [col for col, _ in val_terms] + other,
                    [1.0] * len(vlanes) + [-a for _, a in val_terms] + [valmax / 100.0] * len(other),
                    0, inf,
                )
        if inst.minval > 0:
            m.row([col for col, _ in cols] + zs, [float(vec @ inst.v) for _, vec in cols] + [-float(inst.minval)] * len(zs), 0, inf)
        for sk in range(len(inst.skus)):
            lines_s = np.flatnonzero(inst.line_sku == sk)
            if len(lines_s) < 2:
                continue
            idx = [col for col, vec in cols if vec[lines_s].sum() > 0]
            if idx:
                val = [float(vec[lines_s].sum()) for col, vec in cols if vec[lines_s].sum() > 0]
                m.row(idx, val, -inf, float(inst.stock[c, sk]))

    all_z = [z[j] for j in z]
    # demand per line (groups: one row per group)
    u: dict[int, int] = {}
    ug: dict[int, int] = {}
    for l in range(L):
        if l in group_of:
            continue
        idx = [x[(l, c)] for c in nodes if (l, c) in x]
        val = [1.0] * len(idx)
        if inst.partial:
            u[l] = m.var(inst.pen, 0, inst.q[l], True)
            idx.append(u[l])
            val.append(1.0)
        m.row(idx, val, float(inst.q[l]), float(inst.q[l]))
    for gi, g in enumerate(inst.groups):
        idx = [gv[(gi, c)] for c in nodes if (gi, c) in gv]
        val = [1.0] * len(idx)
        if inst.partial:
            ug[gi] = m.var(float(inst.pen * inst.q[g].sum()), 0, 1, True)
            idx.append(ug[gi])
            val.append(1.0)
        m.row(idx, val, 1, 1)
    if all_z:
        m.row(all_z, [1.0] * len(all_z), -inf, float(kmax))
    offset = 0.0
    e = None
    if inst.split > 0 and all_z:
        if inst.partial:
            e = m.var(inst.split, 0, inf, False)
            m.row([e] + all_z, [1.0] + [-1.0] * len(all_z), -1, inf)
        else:
            for j in z:
                m.cost[z[j]] += inst.split
            offset = -float(inst.split)
    if warm is not None:
        # Only strictly better plans are wanted: cut off at the incumbent
        # with an explicit objective row (integral objective, so "< ub" is
        # "<= ub - 1"). We do not pass the incumbent as a MIP start: HiGHS
        # 1.16 can map a start through presolve wrongly ("feasible in the
        # reduced space" at a lower objective) and then stop early with a
        # false optimum; an explicit row keeps the proof sound.
        cols = [i for i, c in enumerate(m.cost) if c != 0]
        m.row(cols, [m.cost[i] for i in cols], -inf, float(warm.cost) - offset - 0.5)

    h = _highs()
    h.clearModel()
    ncol, nrow = len(m.cost), len(m.r_lo)
    start = np.zeros(nrow + 1, dtype=np.int32)
    if nrow:
        start[1:] = np.cumsum([len(r) for r in m.r_idx])
    index = np.fromiter((i for r in m.r_idx for i in r), dtype=np.int32, count=int(start[-1]))
    value = np.fromiter((v for r in m.r_val for v in r), dtype=np.float64, count=int(start[-1]))
    h.passModel(
        ncol, nrow, int(start[-1]), 2, 1, offset,
        np.array(m.cost), np.array(m.lb), np.array(m.ub),
        np.array(m.r_lo), np.array(m.r_hi),
        start, index, value, np.array(m.integ, dtype=np.int32),
    )
    h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.001))
    _local.deadline[0] = deadline
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    MS = highspy.HighsModelStatus
    if status == MS.kInterrupt:
        # highspy 1.16: once our callback has interrupted a run, every later
        # run of the same Highs object stops at its first callback ("Interrupted
        # by user" after ~15 ms, with no bound), even after clearModel or
        # clearSolver. A fresh object costs ~0.2 ms; the next solve builds one.
        _local.h = None
    sol = None
    if info.primal_solution_status == 2:  # feasible
        col = np.asarray(h.getSolution().col_value)
        sol = _extract(inst, col, nodes, x, gv, z, u, ug, group_of)
        if warm is not None and sol is not None and sol.cost >= warm.cost:
            sol = None
    # Every variable is bounded (e has a non-negative cost), so "unbounded
    # or infeasible" can only mean infeasible.
    proven = status in (MS.kOptimal, MS.kInfeasible, MS.kUnboundedOrInfeasible, MS.kModelEmpty)
    bound = info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else None
    return MipResult(
        sol=sol,
        proven=proven,
        bound=bound,
        status=h.modelStatusToString(status),
        ms=(time.perf_counter() - t0) * 1000,
        n_cols=ncol,
        n_rows=nrow,
    )


def _extract(inst, col, nodes, x, gv, z, u, ug, group_of) -> Sol | None:
    ships = []
    unfilled = np.zeros(inst.n_lines, dtype=np.int64)
    for l, cidx in u.items():
        unfilled[l] = int(round(col[cidx]))
    for gi, cidx in ug.items():
        if round(col[cidx]) == 1:
            unfilled[inst.groups[gi]] = inst.q[inst.groups[gi]]
    for c in nodes:
        lanes = [int(j) for j in inst.node_lanes[c] if j >= 0 and int(j) in z]
        chosen = [j for j in lanes if col[z[j]] > 0.5]
        if not chosen:
            continue
        qty = np.zeros(inst.n_lines, dtype=np.int64)
        for l in range(inst.n_lines):
            if (l, c) in x:
                qty[l] = int(round(col[x[(l, c)]]))
        for gi, g in enumerate(inst.groups):
            if (gi, c) in gv and round(col[gv[(gi, c)]]) == 1:
                qty[g] = inst.q[g]
        if qty.sum() == 0:
            continue
        ships.append((c, chosen[0], qty))
    return sol_from_ships(inst, ships, unfilled)


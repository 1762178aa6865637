"""The exact optimum from a textbook MIP, built directly on highspy from the documented cost model.

For orders too big for the exhaustive search. No pruning, bounds, warm starts or formulation
tricks of the solver's: one copy of the contents per (node, carrier) and

  y[n,j]    binary   node n ships on carrier j        (sum over j <= 1 per node, sum <= K)
  x[l,n,j]  integer  units of line l in that shipment (<= min(qty, stock) * y[n,j])
  s[n,j]    integer  slabs billed:  s >= y,  slab * s >= weight,  divisor * slab * s >= volume
  f[n,j]    integer  COD fee:       f >= fixed * y,  f >= value * bp / 10000 - 0.4999 (half up)
  g[G,n,j]  binary   keep-together group G travels whole in that shipment
  u[l]      integer  unfilled units (partial fill only; gu[G] binary for a whole group)
  e         >= number of shipments - 1  (the split penalty)

and every per-shipment constant (first slab - additional slab, handling, distance, priority,
penalty, lateness, minus bonuses) on y. The answer is re-priced with `model.price_on_lane`
(exact integers) and must equal the MIP's objective: the reference refuses to answer otherwise
(a tolerance problem would show up as an error, never as a wrong optimum).
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass

import numpy as np

from omnialloc.solvers import AllocationProblem

from .model import keep_together_groups, node_eligible, price_on_lane, shipment_limit, usable_lanes

with contextlib.redirect_stdout(io.StringIO()):
    import highspy


class ReferenceError_(RuntimeError):
    """The reference MIP did not reach a proven, exactly priced answer (time limit or numerics)."""


@dataclass(frozen=True)
class MipOptimum:
    cost: int
    shipments: tuple[tuple[str, str, tuple[int, ...]], ...]  # (node code, carrier, units per line)
    unfilled: tuple[int, ...]
    seconds: float


def optimum(p: AllocationProblem, forced: str | None = None, time_limit: float = 60.0) -> MipOptimum | None:
    """The cheapest valid plan (None if there is none); with `forced`, the cheapest one in which
    node `forced` ships. Raises `ReferenceError_` if HiGHS does not prove it in `time_limit`."""
    p.validate()
    lines = p.lines
    L = len(lines)
    q = [ln.qty for ln in lines]
    groups = keep_together_groups(p)
    in_group = {i: gi for gi, g in enumerate(groups) for i in g}
    nodes = [n for n in p.nodes if node_eligible(p, n) and usable_lanes(p, n)]
    if forced is not None and forced not in {n.code for n in nodes}:
        return None
    cod = p.payment_mode == "COD"

    cost: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    integer: list[int] = []
    rows: list[tuple[dict[int, float], float, float]] = []
    inf = highspy.kHighsInf

    def var(c, lb, ub, is_int=True):
        cost.append(float(c))
        lo.append(float(lb))
        hi.append(float(ub))
        integer.append(1 if is_int else 0)
        return len(cost) - 1

    def row(coefs: dict[int, float], lb, ub):
        rows.append((coefs, float(lb), float(ub)))

    demand: list[dict[int, float]] = [dict() for _ in range(L)]
    ys: list[int] = []
    y_of: dict[str, list[int]] = {}
    x_index: dict[tuple[int, int], dict[int, int]] = {}  # (node pos, lane pos) -> line -> column
    lane_of: dict[tuple[int, int], object] = {}
    for a, n in enumerate(nodes):
        node_y = []
        stock_rows: dict[str, dict[int, float]] = {}
        for b, lane in enumerate(usable_lanes(p, n)):
            late = max(0, lane.sla_days - p.promised_days) * p.lateness_penalty_paise_per_day if p.promised_days is not None else 0
            late += lane.sla_days * p.speed_paise_per_day  # the value of a day (docs/solver.md)
            fixed = (lane.first_slab_paise - lane.additional_slab_paise + n.handling_cost_paise + n.penalty_paise
                     + math.floor(n.distance_km * p.distance_weight_paise_per_km + 0.5)
                     + n.priority * p.priority_weight_paise - n.bonus_paise - lane.bonus_paise + late)
            y = var(fixed, 0, 1)
            node_y.append(y)
            ys.append(y)
            lane_of[(a, b)] = lane
            cap = [min(q[i], n.stock.get(lines[i].sku, 0)) for i in range(L)]
            xs: dict[int, int] = {}
            for i in range(L):
                xs[i] = var(n.unit_prices_paise.get(lines[i].sku, 0), 0, cap[i])
                row({xs[i]: 1.0, y: -float(cap[i])}, -inf, 0)
                demand[i][xs[i]] = 1.0
                stock_rows.setdefault(lines[i].sku, {})[xs[i]] = 1.0
            x_index[(a, b)] = xs
            for gi, g in enumerate(groups):
                gv = var(0, 0, 1)
                for i in g:  # the group's lines all whole, or none of them
                    row({xs[i]: 1.0, gv: -float(q[i])}, 0, 0)
                row({gv: 1.0, y: -1.0}, -inf, 0)
            row({**{xs[i]: 1.0 for i in range(L)}, y: -1.0}, 0, inf)  # no empty parcel
            weight = {xs[i]: float(lines[i].unit_weight_g) for i in range(L)}
            max_w = lane.max_weight_g if lane.max_weight_g is not None else sum(ln.unit_weight_g * k for ln, k in zip(lines, cap))
            row({**weight, y: -float(max_w)}, -inf, 0)
            s_max = max(1, -(-max(sum(ln.unit_weight_g * k for ln, k in zip(lines, cap)),
                                  -(-sum(ln.unit_volume_mm3 * k for ln, k in zip(lines, cap)) // lane.volumetric_divisor))
                             // lane.slab_g))
            s = var(lane.additional_slab_paise, 0, s_max)
            row({s: 1.0, y: -1.0}, 0, inf)
            row({s: float(lane.slab_g), **{c: -w for c, w in weight.items()}}, 0, inf)
            vol_scale = float(lane.volumetric_divisor * lane.slab_g)
            row({s: 1.0, **{xs[i]: -lines[i].unit_volume_mm3 / vol_scale for i in range(L)}}, 0, inf)
            if p.min_shipment_value_paise:
                row({**{xs[i]: float(lines[i].unit_value_paise) for i in range(L)}, y: -float(p.min_shipment_value_paise)}, 0, inf)
            if cod:
                value_max = sum(ln.unit_value_paise * k for ln, k in zip(lines, cap))
                f = var(1, 0, max(lane.cod_fixed_paise, (value_max * lane.cod_percent_bp + 5000) // 10000))
                row({f: 1.0, y: -float(lane.cod_fixed_paise)}, 0, inf)
                if lane.cod_percent_bp:
                    row({f: 1.0, **{xs[i]: -lines[i].unit_value_paise * lane.cod_percent_bp / 10000.0 for i in range(L)}},
                        -0.4999, inf)
        row({y: 1.0 for y in node_y}, -inf, 1)
        if n.code == forced:
            row({y: 1.0 for y in node_y}, 1, 1)
        y_of[n.code] = node_y
        for sku, coefs in stock_rows.items():
            row(coefs, -inf, n.stock.get(sku, 0))
    unfilled: dict[int, int] = {}
    group_unfilled: dict[int, int] = {}
    for i in range(L):
        if p.allow_partial:
            unfilled[i] = var(p.unfilled_penalty_paise_per_unit, 0, q[i])
            demand[i][unfilled[i]] = 1.0
            if i in in_group:
                gi = in_group[i]
                if gi not in group_unfilled:
                    group_unfilled[gi] = var(0, 0, 1)
                row({unfilled[i]: 1.0, group_unfilled[gi]: -float(q[i])}, 0, 0)
        row(demand[i], q[i], q[i])
    if ys:
        row({y: 1.0 for y in ys}, -inf, shipment_limit(p))
        e = var(p.split_penalty_paise, 0, inf, False)
        row({e: 1.0, **{y: -1.0 for y in ys}}, -1, inf)
    if not ys and not p.allow_partial:
        return None

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.5)
    h.setOptionValue("mip_feasibility_tolerance", 1e-9)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    ncol, nrow = len(cost), len(rows)
    starts, index, value = [0], [], []
    for coefs, _, _ in rows:
        for c, v in coefs.items():
            index.append(c)
            value.append(v)
        starts.append(len(index))
    h.passModel(ncol, nrow, len(index), 2, 1, 0.0,
                np.array(cost), np.array(lo), np.array(hi),
                np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32), np.array(value),
                np.array(integer, dtype=np.int32))
    h.run()
    status = h.getModelStatus()
    MS = highspy.HighsModelStatus
    seconds = h.getRunTime()
    if status == MS.kInfeasible:
        return None
    if status != MS.kOptimal:
        raise ReferenceError_(f"reference MIP: {h.modelStatusToString(status)} after {seconds:.1f} s")
    col = np.asarray(h.getSolution().col_value)
    ships = []
    priced = []
    left = list(q)
    for a, n in enumerate(nodes):
        for b, y in enumerate(y_of[n.code]):
            if col[y] > 0.5:
                content = tuple(int(round(col[x_index[(a, b)][i]])) for i in range(L))
                lane = lane_of[(a, b)]
                pr = price_on_lane(p, n, lane, content)
                if pr is None:
                    raise ReferenceError_(f"reference MIP shipment {n.code}/{lane.carrier} {content} is not allowed")
                ships.append((n.code, lane.carrier, content))
                priced.append(pr.total)
                left = [u - c for u, c in zip(left, content)]
    if any(u < 0 for u in left) or (any(left) and not p.allow_partial):
        raise ReferenceError_("reference MIP plan does not add up to the order")
    total = sum(priced) + p.split_penalty_paise * max(len(ships) - 1, 0) + p.unfilled_penalty_paise_per_unit * sum(left)
    objective = h.getInfo().objective_function_value
    if abs(total - objective) > 0.5:
        raise ReferenceError_(f"reference MIP objective {objective} but its plan costs {total}")
    return MipOptimum(int(total), tuple(ships), tuple(left), seconds)

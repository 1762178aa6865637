"""Lower bounds on plan cost, used to prove optimality and to prune nodes (docs/solver.md).

Every shipment on lane j from node n with contents b costs at least

    floor[n] + (unit part of b),  floor[n] = min over n's lanes j of
        node fixed[n] + lane fixed[j] + (first[j] - additional[j]) + COD fixed fee[j],

because charge = first + (slabs - 1) * additional = (first - additional) + additional * slabs
and slabs >= billed / slab_g >= actual grams / slab_g; the COD fee is at least its fixed part
and the lookahead price is linear in units. The unit part is at least the cheapest
additional-slab price per gram anywhere times the grams, plus the cheapest lookahead price of
the unit anywhere. Floors can be negative (node and lane bonuses, a negative node priority, an
additional slab dearer than the first slab plus handling), so nothing below assumes they are
not: a plan with k >= 1 shipments from k distinct nodes costs at least

    LB_k = (sum of the k smallest floors) + (k - 1) * split + units,

where `units` prices every unit at its cheapest per-unit floor (shipped or, with partial fill,
left unfilled at the unfilled penalty). Without partial fill a one-shipment plan carries the
whole order and is priced exactly instead (`single_costs`); with partial fill the plan that
ships nothing costs the unfilled penalty for every unit. A bound on every plan is the minimum
over the shipment counts the order allows; a node can only be in a plan cheaper than the
incumbent `ub` if, for some k, its own floor plus the k - 1 smallest other floors (+ split and
units) is below `ub`.
"""

from __future__ import annotations

import numpy as np

from .instance import Instance


def shipment_floor(inst: Instance) -> np.ndarray:
    """(Nc,) the least any one shipment from each candidate costs before its units' share."""
    per_lane = inst.lane_fixed + inst.first - inst.add
    if inst.is_cod:
        per_lane = per_lane + inst.cod_fixed
    padded = np.where(inst.node_lanes >= 0, inst.node_lanes, 0)
    per = np.where(inst.node_lanes >= 0, per_lane[padded], np.iinfo(np.int64).max)
    out: np.ndarray = inst.node_fixed + per.min(axis=1)
    return out


def unit_floor(inst: Instance) -> float:
    """The least the order's units can add to any plan beyond the shipments' floors."""
    rate = float(np.min(inst.add / inst.slab)) if len(inst.add) else 0.0
    price = inst.price.min(axis=0) if inst.n_cand else np.zeros(inst.n_lines)
    per_unit = rate * inst.w + price
    if inst.partial:
        per_unit = np.minimum(per_unit, inst.pen)
    return float(np.sum(inst.q * per_unit))


def k_bounds(inst: Instance, floor: np.ndarray, var: float, kmax: int) -> np.ndarray:
    """LB_k for k = 0..kmax shipments (inf where no such plan exists): see the module doc.
    Entry 1 is the floor bound; `lower_bound` replaces it by the exact single shipment price
    when partial fill is off."""
    n = len(floor)
    out = np.full(kmax + 1, np.inf)
    if inst.partial:
        out[0] = float(inst.pen * inst.q.sum())
    if n == 0:
        return out
    fs = np.sort(floor.astype(float))
    top = min(kmax, n)
    k = np.arange(1, top + 1)
    out[1: top + 1] = np.cumsum(fs[:top]) + (k - 1) * inst.split + var
    return out


def prune(inst: Instance, ub: float, single_exact: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Nodes that can appear in a plan cheaper than `ub` other than a whole-order single
    shipment (priced exactly in `single_exact`), the most shipments such a plan can have, and a
    lower bound on every plan."""
    floor = shipment_floor(inst).astype(float)
    var = unit_floor(inst)
    n = inst.n_cand
    kcap = min(int(inst.kmax), n)
    lbk = k_bounds(inst, floor, var, kcap)
    if not inst.partial and n:
        lbk[1] = float(single_exact.min()) if len(single_exact) else np.inf
    lb_any = float(lbk.min()) if len(lbk) else float("inf")
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return np.flatnonzero(keep), 1, lb_any
    order = np.argsort(floor, kind="stable")
    fs = floor[order]
    prefix = np.concatenate([[0.0], np.cumsum(fs)])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    kmin = 1 if inst.partial else 2
    for k in range(kmin, kcap + 1):
        # The k - 1 smallest floors among the other nodes.
        others = np.where(rank >= k - 1, prefix[k - 1], prefix[k] - floor)
        keep |= floor + others + (k - 1) * inst.split + var < ub - 1e-9
    improving = [k for k in range(1, kcap + 1) if lbk[k] < ub - 1e-9]
    kmax = max(improving) if improving else 1
    return np.flatnonzero(keep), kmax, lb_any


def lower_bound(inst: Instance) -> float:
    """A lower bound on every plan of the order (inf if no plan can exist by counting alone)."""
    single = inst.single_costs()[0] if inst.n_cand else np.zeros(0)
    return prune(inst, float("-inf"), single)[2]

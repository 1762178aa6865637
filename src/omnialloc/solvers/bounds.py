"""Lower bounds on plan cost, used to prove optimality and to prune nodes.

A plan with k >= 2 shipments costs at least
    (k-1) * split  +  sum of its nodes' per-shipment floors  +  unit floor,
where a node's per-shipment floor is what any shipment from it pays before
weight (handling, node and lane fixed terms, first-minus-additional slab
price, the COD fixed fee) and the unit floor charges every unit the cheapest
per-gram additional-slab rate and cheapest lookahead price anywhere (or the
unfilled penalty if that is lower and partial fill is allowed). It follows
from charge = (first - add) + add * slabs and slabs >= grams / slab_g.

Without partial fill, single-shipment plans are priced exactly (the whole
order from one node), so a node can only be part of a *cheaper* plan than
the incumbent `ub` if
    floor[n] + min other floor + split + unit floor < ub;
with partial fill a single shipment may carry part of the order, so a node
also survives if floor[n] + unit floor < ub. The others are dropped before
the MIP, and if no node survives the incumbent is proven optimal without any
MIP at all.
"""

from __future__ import annotations

import numpy as np

from .instance import Instance


def shipment_floor(inst: Instance) -> np.ndarray:
    per_lane = inst.lane_fixed + inst.first - inst.add
    if inst.is_cod:
        per_lane = per_lane + inst.cod_fixed
    padded = np.where(inst.node_lanes >= 0, inst.node_lanes, 0)
    per = np.where(inst.node_lanes >= 0, per_lane[padded], np.iinfo(np.int64).max)
    return inst.node_fixed + per.min(axis=1)


def unit_floor(inst: Instance) -> float:
    rate = float(np.min(inst.add / inst.slab)) if len(inst.add) else 0.0
    price = inst.price.min(axis=0) if inst.n_cand else np.zeros(inst.n_lines)
    per_unit = rate * inst.w + price
    if inst.partial:
        per_unit = np.minimum(per_unit, inst.pen)
    return float(np.sum(inst.q * per_unit))


def multi_shipment_lb(inst: Instance, floor: np.ndarray, var: float, nodes: np.ndarray) -> float:
    """Lower bound on any plan with >= 2 shipments drawn from `nodes`."""
    if len(nodes) < 2:
        return float("inf")
    two = np.sort(floor[nodes])[:2]
    return float(two.sum() + inst.split + var)


def prune(inst: Instance, ub: float, single_exact: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Nodes that can appear in a plan cheaper than `ub` other than a
    whole-order single shipment (priced exactly in `single_exact`), the most
    shipments such a plan can have, and a lower bound on every plan."""
    floor = shipment_floor(inst).astype(float)
    var = unit_floor(inst)
    lb2 = multi_shipment_lb(inst, floor, var, np.arange(inst.n_cand))
    lb_any = min(lb2, float(single_exact.min()) if len(single_exact) else float("inf"))
    keep = np.zeros(inst.n_cand, dtype=bool)
    if inst.partial:
        lb_any = min(lb_any, float(inst.pen * inst.q.sum()), float(floor.min()) + var if inst.n_cand else float("inf"))
        keep |= floor + var < ub - 1e-9  # a single part-shipment
    if inst.n_cand >= 2:
        order = np.sort(floor)
        second_best_other = np.where(floor == order[0], order[1], order[0])
        keep |= floor + second_best_other + inst.split + var < ub - 1e-9
    nodes = np.flatnonzero(keep)
    kmax = 1
    if len(nodes) >= 2:
        fs = np.sort(floor[nodes])
        cum = np.cumsum(fs) + inst.split * np.arange(len(fs)) + var
        kmax = int(np.sum(cum < ub - 1e-9))
    return nodes, max(kmax, 1), lb_any

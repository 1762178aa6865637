"""Baseline sourcing strategies, as other OMSs do it.

Each baseline decides only *where* units come from, the way a sorting-based
OMS does, then ships each node's units on the cheapest serviceable carrier,
so cost differences against `optimal` come from the sourcing decision alone.

- nearest: the nearest node that can ship the whole order, else fill line by
  line from the nearest node outward (Magento MSI distance-based).
- priority: fill line by line in node priority order (MSI default source
  priority; Saleor warehouse sorting order).
- max_stock: per line, the node with the most stock of that SKU first
  (Saleor "prioritize high stock").
- cost_greedy: the cheapest node that can ship everything alone, else per
  line the node with the cheapest marginal cost per unit.

A baseline does not know the split policy; when its plan breaks a hard
constraint (max shipments, keep-together, minimum value, carrier weight) it
is reported INFEASIBLE with the violation, which is what such an OMS would
hit in practice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .assemble import Sol, make_sol, violations
from .costs import INF
from .instance import Instance


def _whole_order_costs(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    return inst.single_costs()


def _greedy(inst: Instance, order_for_line: Callable[[int], np.ndarray]) -> tuple[dict[int, np.ndarray], np.ndarray] | str:
    contents: dict[int, np.ndarray] = {}
    taken = np.zeros_like(inst.stock)  # per node and SKU, across lines sharing a SKU
    unfilled = np.zeros(inst.n_lines, dtype=np.int64)
    for l in range(inst.n_lines):
        need = int(inst.q[l])
        sk = int(inst.line_sku[l])
        for c in order_for_line(l):
            if need == 0:
                break
            take = min(need, int(inst.stock[c, sk] - taken[c, sk]))
            if take <= 0:
                continue
            contents.setdefault(int(c), np.zeros(inst.n_lines, dtype=np.int64))[l] += take
            taken[c, sk] += take
            need -= take
        if need:
            if not inst.partial:
                return f"not enough stock of SKU {inst.skus[sk]}"
            unfilled[l] = need
    return contents, unfilled


def _finish(inst: Instance, name: str, contents: dict[int, np.ndarray], unfilled: np.ndarray) -> Sol | str:
    if not contents and not (inst.partial and unfilled.sum() == inst.q.sum()):
        return f"{name}: nothing to ship"
    sol = make_sol(inst, contents, unfilled)
    if sol is None:
        return f"{name}: a shipment it chose has no carrier that can take it (weight or stock)"
    bad = violations(inst, sol)
    if bad:
        return f"{name}: its plan breaks the order's policy ({'; '.join(bad)})"
    return sol


def _single(inst: Instance, c: int) -> Sol:
    """The whole order from node c on its cheapest lane. `single_costs`
    already checked stock, policy and weight, so no re-pricing is needed."""
    cost, lane = _whole_order_costs(inst)
    return Sol(((int(c), int(lane[c]), tuple(int(x) for x in inst.q)),), (0,) * inst.n_lines, int(cost[c]))


def _single_or_greedy(
    inst: Instance, name: str, single_order: Iterable[int], line_order: Callable[[int], np.ndarray]
) -> Sol | str:
    cost, _ = _whole_order_costs(inst)
    for c in single_order:
        if cost[c] < INF:
            return _single(inst, int(c))
    g = _greedy(inst, line_order)
    if isinstance(g, str):
        return f"{name}: {g}"
    return _finish(inst, name, *g)


def nearest(inst: Instance) -> Sol | str:
    dist = np.array([inst.problem.nodes[int(i)].distance_km for i in inst.cand])
    by_dist = np.argsort(dist, kind="stable")
    return _single_or_greedy(inst, "nearest", by_dist, lambda l: by_dist)


def priority(inst: Instance) -> Sol | str:
    # Candidates are already ordered by (priority, distance, insertion).
    order = np.arange(inst.n_cand)
    g = _greedy(inst, lambda l: order)
    if isinstance(g, str):
        return f"priority: {g}"
    return _finish(inst, "priority", *g)


def max_stock(inst: Instance) -> Sol | str:
    def order(l: int) -> np.ndarray:
        return np.argsort(-inst.stock[:, inst.line_sku[l]], kind="stable")

    g = _greedy(inst, order)
    if isinstance(g, str):
        return f"max_stock: {g}"
    return _finish(inst, "max_stock", *g)


def best_single(inst: Instance) -> Sol | None:
    """The cheapest plan that ships the whole order from one node (ties: the preferred node)."""
    cost, _ = _whole_order_costs(inst)
    if inst.n_cand and cost.min() < INF:
        return _single(inst, int(np.argmin(cost)))
    return None


def cost_greedy(inst: Instance) -> Sol | str:
    single = best_single(inst)
    if single is not None:
        return single
    res = greedy_fill(inst, np.zeros((inst.n_cand, inst.n_lines), dtype=np.int64))
    if isinstance(res, str):
        return f"cost_greedy: {res}"
    return _finish(inst, "cost_greedy", *res)


def greedy_fill(inst: Instance, Qn: np.ndarray, allowed: np.ndarray | None = None) -> tuple[dict[int, np.ndarray], np.ndarray] | str:
    """Complete per-node contents `Qn` (a start, possibly empty) line by line, heaviest first,
    taking each time the node whose cost rises least per unit added (a node opened beyond the
    first pays the split penalty; only `allowed` nodes, if given): (contents, unfilled) or why
    it failed."""
    Qn = Qn.copy()
    taken = Qn @ inst.sku_onehot
    current, _ = inst.own_node_costs(Qn)
    current = np.where(Qn.sum(axis=1) > 0, current, 0)
    unfilled = np.zeros(inst.n_lines, dtype=np.int64)
    left = inst.q - Qn.sum(axis=0)
    # Heaviest lines first: they drive the slab charges.
    for l in np.argsort(-(inst.q * inst.w), kind="stable"):
        sk = int(inst.line_sku[l])
        need = int(left[l])
        while need:
            avail = np.minimum(inst.stock[:, sk] - taken[:, sk], need)
            trial = Qn.copy()
            trial[:, l] += avail
            new, _ = inst.own_node_costs(trial)
            opened = (Qn.sum(axis=1) == 0) & (Qn.sum() > 0)
            marginal = new - current + np.where(opened, inst.split, 0)
            usable = (avail > 0) & (new < INF) if allowed is None else (avail > 0) & (new < INF) & allowed
            per_unit = np.where(usable, marginal / np.maximum(avail, 1), np.inf)
            c = int(np.argmin(per_unit))
            if not np.isfinite(per_unit[c]):
                break
            Qn[c, l] += avail[c]
            taken[c, sk] += avail[c]
            current[c] = new[c]
            need -= int(avail[c])
        if need:
            if not inst.partial:
                return f"not enough stock of SKU {inst.skus[sk]} that a carrier can take"
            unfilled[l] = need
    contents = {c: Qn[c] for c in range(inst.n_cand) if Qn[c].sum() > 0}
    return contents, unfilled


BASELINES = {
    "nearest": nearest,
    "priority": priority,
    "max_stock": max_stock,
    "cost_greedy": cost_greedy,
}

"""Why each candidate node is (not) in the plan, and reference alternatives.

Every node the caller added gets one entry, in the order added, with one of these codes:

- used: the plan ships from it;
- forbidden, over_capacity, no_stock, no_serviceable_carrier, misses_sla: the eligibility
  verdicts of `instance.py` (no plan can use such a node);
- costlier: the best plan using the node costs more than the chosen plan. When `exact` is
  True, `extra_cost_paise` is exactly (cost of the cheapest valid plan in which the node
  ships) - (cost of the chosen plan); otherwise it is a positive lower bound on that
  difference ("at least"), or, for orders too big to price every alternative, the extra cost
  of one concrete plan using the node (shipping everything from it: an upper bound on the
  difference, said in those words);
- cheaper: a valid plan using the node costs less than the chosen one (only for a baseline's
  plan or a search cut short); `extra_cost_paise` is that (negative) difference;
- unusable: no valid plan can use the node (e.g. it cannot ship the whole order alone and the
  order allows one shipment);
- not_priced: plans using it were not priced (the order is too big, or the explanation's
  share of the budget ran out); nothing is claimed about them.

Orders of up to `enumerate.MAX_CONTENTS` contents are priced exactly, every node at once
(`enumerate.forced_all`: the node DP's product of per-node tables, each node's complement from
a tree over the nodes, ~0.1-1 ms on typical orders). When that does not fit in the budget
(many contents over many nodes), each node is priced on its own: the partitions of the order
in increasing order of a lower bound on the plans that put one of their blocks on that node,
each assigned to distinct nodes exactly with that block forced onto the node, until the bound
reaches the best plan found.
Alternatives: the best single-shipment plan and the nearest-node plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

from . import dp
from . import enumerate as enum_mod
from .assemble import Sol
from .budget import Budget, OutOfBudget
from .costs import INF, IntArray
from .instance import Instance
from .plan import Alternative, NodeExplanation, Plan, PlanStatus

# Above this many (partition block x node) pairs the exact per-node pricing is not attempted.
MAX_FORCED_PAIRS = 300_000


def rupees(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    paise = abs(int(paise))
    return f"{sign}Rs {paise // 100}.{paise % 100:02d}"


def _relaxed(inst: Instance) -> tuple[IntArray, IntArray, IntArray, IntArray] | None:
    """(Q, cost_cn, parts, val) where val[(P, i), c] is a lower bound on every plan with
    partition P whose block i ships from node c; None if the order is too big."""
    if not enum_mod.applicable(inst):
        return None
    q = tuple(int(x) for x in inst.q)
    parts = enum_mod._partitions(q)
    assert parts is not None  # `applicable` said so
    P, k = parts.shape
    if P * k * inst.n_cand > MAX_FORCED_PAIRS:
        return None
    if "contents" in inst.memo:
        Q, cost_cn, _ = cast("tuple[IntArray, IntArray, IntArray]", inst.memo["contents"])
    else:
        Q = enum_mod._contents(q)
        cost_cn, _ = inst.node_costs(Q)
    split = inst.split
    ship_best = cost_cn.min(axis=1)
    unf = _unfilled_costs(inst, Q)
    block = np.minimum(np.where(ship_best < INF, ship_best + split, INF), unf)
    block[0] = 0
    rel = block[parts].sum(axis=1)  # (P,)
    base = rel[:, None] - block[parts] - split  # (P, k): the other blocks at their cheapest
    val = base[:, :, None] + cost_cn[parts] + split  # (P, k, Nc)
    ok = (parts > 0)[:, :, None] & (cost_cn[parts] < INF) & (base < INF // 2)[:, :, None]
    return Q, cost_cn, parts, np.where(ok, val, INF).reshape(P * k, -1)


def _unfilled_costs(inst: Instance, Q: IntArray) -> IntArray:
    if inst.partial:
        return np.where(inst.group_ok(Q), inst.pen * Q.sum(axis=1), INF)
    return np.full(len(Q), INF, dtype=np.int64)


def forced_costs(inst: Instance, nodes: Sequence[int], budget: Budget) -> dict[int, tuple[int | None, bool]] | None:
    """For each candidate c in `nodes`: (cost of the cheapest valid plan in which c ships, or
    None if there is none; True) when settled exactly, or (a lower bound on it, False) when
    the budget ran out first. None when the order is too big to price this way.

    Most nodes settle at once: the smallest relaxed value of "block i of partition P on c, the
    other blocks each at their cheapest" bounds every such plan, and when those cheapest
    choices use distinct nodes other than c within the shipment limit, that bound is a valid
    plan's cost. Only the others need the forced assignment search."""
    if not inst.partial and inst.kmax == 1:
        # One shipment of the whole order is the only plan: each node's is priced exactly.
        single = inst.single_costs()[0]
        return {int(c): (int(single[c]) if single[c] < INF else None, True) for c in nodes}
    every = _forced_all(inst, budget) if nodes else None
    if every is not None:
        return {int(c): (int(every[c]) if every[c] < INF else None, True) for c in nodes}
    rel = _relaxed(inst)
    if rel is None:
        return None
    Q, cost_cn, parts, val = rel
    k = parts.shape[1]
    unf = _unfilled_costs(inst, Q)
    ship_best = cost_cn.min(axis=1)
    cheapest = np.where(np.minimum(ship_best + inst.split, INF) <= unf, np.argmin(cost_cn, axis=1), -1)
    ranked = None
    out: dict[int, tuple[int | None, bool]] = {}
    for c in nodes:
        column = val[:, c]
        flat = int(np.argmin(column))
        lb = int(column[flat])
        if lb >= INF // 2:
            out[int(c)] = (None, True)  # no partition can put any block on c
            continue
        pi, i = divmod(flat, k)
        others = [int(cheapest[b]) for t, b in enumerate(parts[pi]) if t != i and b > 0]
        used = [n for n in others if n >= 0]
        if c not in used and len(set(used)) == len(used) and len(used) + 1 <= inst.kmax:
            out[int(c)] = (lb, True)
            continue
        if ranked is None:
            ranked = enum_mod.rank_nodes(cost_cn)
        out[int(c)] = _forced_search(inst, int(c), column, parts, cost_cn, unf, ranked, budget)
        if not out[int(c)][1]:
            break
    return out


def _forced_all(inst: Instance, budget: Budget) -> IntArray | None:
    """Every candidate's forced value at once (`enumerate.forced_all`, exact), when the order's
    contents are few enough to price and its work fits in what is left of the budget; None
    otherwise (the partition search below then prices node by node)."""
    q = tuple(int(x) for x in inst.q)
    if int(np.prod(inst.q + 1)) > enum_mod.MAX_CONTENTS:
        return None
    if "contents" in inst.memo:
        Q, cost_cn, _ = cast("tuple[IntArray, IntArray, IntArray]", inst.memo["contents"])
        price = 0.0
    else:
        Q = enum_mod._contents(q)
        price = enum_mod._UNITS_TO_PRICE + len(Q) * len(inst.lane_src) * dp.US_PER_PRICE
        if price > budget.left:
            return None
        cost_cn, lane_cn = inst.node_costs(Q)
        inst.memo["contents"] = (Q, cost_cn, lane_cn)
        budget.used += price
    try:
        return enum_mod.forced_all(inst, cost_cn, _unfilled_costs(inst, Q), budget)
    except OutOfBudget:
        return None  # the wall clock (the work was checked first)


def _forced_search(
    inst: Instance, c: int, column: IntArray, parts: IntArray, cost_cn: IntArray, unf: IntArray, ranked: IntArray,
    budget: Budget,
) -> tuple[int | None, bool]:
    """(partition, block) pairs in increasing order of their relaxed value with that block on
    c, each assigned exactly with the block forced onto c, until the value reaches the best
    plan found. When the pairs assigned so far have cost as much as the node DP with c forced
    (`enumerate.forced_node_dp`, exact over every plan in which c ships), it settles the rest."""
    k = parts.shape[1]
    best: int | None = None
    spent, node_units = 0.0, enum_mod.node_dp_units(inst, tuple(int(x) for x in inst.q))
    for flat in np.argsort(column, kind="stable"):
        lb = int(column[flat])
        if lb >= INF // 2 or (best is not None and lb >= best):
            break
        pi, i = divmod(int(flat), k)
        blocks = [int(b) for b in parts[pi] if b > 0]
        if spent >= node_units:
            try:
                budget.charge(node_units)
            except OutOfBudget:
                return (lb if best is None else min(best, lb)), False
            value = enum_mod.forced_node_dp(inst, cost_cn, unf, c)
            return (value if best is None or (value is not None and value < best) else best), True
        spent += enum_mod._UNITS_PER_PARTITION + len(blocks) * enum_mod._UNITS_PER_BLOCK
        try:
            budget.charge(enum_mod._UNITS_PER_PARTITION)
            found = enum_mod._assign(blocks, cost_cn, unf, inst.split, inst.kmax,
                                     best if best is not None else int(INF), budget, forced=(i, c), ranked=ranked)
        except OutOfBudget:
            return (lb if best is None else min(best, lb)), False
        if found is not None:
            best = found[0]
    return best, True


def annotate(inst: Instance, plan: Plan, nearest_sol: Sol | str | None, budget: Budget | None = None) -> None:
    p = inst.problem
    budget = budget or Budget.unlimited()
    used_codes = {s.node for s in plan.shipments}
    cand_pos = {int(i): c for c, i in enumerate(inst.cand)}
    single_cost = inst.single_costs()[0] if inst.n_cand else np.zeros(0, dtype=np.int64)
    obj = plan.objective_paise
    forced = None
    if obj is not None and inst.n_cand:
        others = [cand_pos[i] for i, n in enumerate(p.nodes) if i in cand_pos and n.code not in used_codes]
        forced = forced_costs(inst, others, budget)
    one_shipment = not inst.partial and inst.kmax == 1
    out = []
    for i, node in enumerate(p.nodes):
        if node.code in used_codes:
            s = next(s for s in plan.shipments if s.node == node.code)
            units = sum(s.lines.values())
            out.append(NodeExplanation(node.code, "used", f"ships {units} unit(s) via {s.carrier}, {rupees(s.total_paise)}"))
            continue
        if i in inst.verdicts:
            v = inst.verdicts[i]
            out.append(NodeExplanation(node.code, v.code, v.text))
            continue
        c = cand_pos[i]
        if obj is None:
            if plan.status == PlanStatus.INFEASIBLE:
                out.append(NodeExplanation(node.code, "unusable", "eligible, but no valid plan exists for the order", None, True))
            else:
                out.append(NodeExplanation(node.code, "not_priced", "eligible; no plan was found within the limit", None, False))
            continue
        if forced is not None and c in forced:
            out.append(_from_forced(node.code, forced[c], obj, one_shipment))
        elif single_cost[c] < INF:
            extra = int(single_cost[c]) - obj
            if extra >= 0:
                out.append(NodeExplanation(node.code, "costlier", f"shipping everything from here costs {rupees(extra)} more", extra, False))
            else:
                out.append(NodeExplanation(node.code, "cheaper", f"shipping everything from here costs {rupees(-extra)} less", extra, False))
        elif one_shipment:
            out.append(NodeExplanation(node.code, "unusable",
                                       "no valid plan can use it: it cannot ship the whole order alone and the order allows one shipment",
                                       None, True))
        else:
            out.append(NodeExplanation(node.code, "not_priced",
                                       "cannot ship the whole order alone; plans splitting the order over it were not priced (too many to price)",
                                       None, False))
    plan.explanation = out

    alts = []
    if inst.n_cand and single_cost.min() < INF:
        c = int(np.argmin(single_cost))
        alts.append(Alternative("best_single_shipment", [inst.node_code(c)], int(single_cost[c]),
                                f"everything from {inst.node_code(c)}"))
    else:
        alts.append(Alternative("best_single_shipment", [], None, "no node can ship the whole order alone"))
    if isinstance(nearest_sol, Sol):
        codes = [inst.node_code(c) for c in nearest_sol.nodes]
        alts.append(Alternative("nearest", codes, nearest_sol.cost, "nearest-node sourcing: " + ", ".join(codes)))
    elif isinstance(nearest_sol, str):
        alts.append(Alternative("nearest", [], None, nearest_sol))
    plan.alternatives = alts


def _from_forced(code: str, res: tuple[int | None, bool], obj: int, one_shipment: bool) -> NodeExplanation:
    value, exact = res
    if value is None:
        why = " (it cannot ship the whole order alone and the order allows one shipment)" if one_shipment else ""
        return NodeExplanation(code, "unusable", "no valid plan can use it" + why, None, True)
    extra = int(value) - obj
    if exact:
        if extra > 0:
            return NodeExplanation(code, "costlier", f"best plan using it costs {rupees(extra)} more", extra, True)
        if extra == 0:
            return NodeExplanation(code, "costlier", "a plan using it costs the same; the tie went to the preferred node", 0, True)
        return NodeExplanation(code, "cheaper", f"a plan using it costs {rupees(-extra)} less", extra, True)
    if extra > 0:
        return NodeExplanation(code, "costlier", f"any plan using it costs at least {rupees(extra)} more (not priced further)", extra, False)
    return NodeExplanation(code, "not_priced", "not priced exactly: the explanation's share of the budget ran out", None, False)

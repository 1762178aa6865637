"""Why each candidate node is (not) in the plan, and reference alternatives.

Every node the caller added gets one entry, in the order added:
used, forbidden, over_capacity, no_stock, no_serviceable_carrier,
misses_sla (verdicts from `instance.py`) or costlier. For costlier nodes we
report the cost of the best plan using that node that the solver can vouch
for, minus the chosen plan's cost:
- small orders (enumeration): the best plan that puts one shipment on the
  node, from the same partition enumeration; `exact` when that plan is valid
  as is (distinct nodes, max shipments), otherwise the number is a lower
  bound ("at least").
- large orders: the cost of shipping everything from that node, when it can
  (an upper bound on the best plan using it, so `exact` is False).
Alternatives: the best single-shipment plan and the nearest-node plan.
"""

from __future__ import annotations

import numpy as np

from . import enumerate as enum_mod
from .assemble import Sol
from .costs import INF
from .instance import Instance
from .plan import Alternative, NodeExplanation, Plan


def rupees(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    paise = abs(int(paise))
    return f"{sign}Rs {paise // 100}.{paise % 100:02d}"


def using_node_costs(inst: Instance) -> tuple[np.ndarray, np.ndarray] | None:
    """(Nc,) lower bound on the best plan that ships from each candidate and
    (Nc,) whether it is attained by a valid plan; None if too big to do."""
    q = tuple(int(x) for x in inst.q)
    if not enum_mod.applicable(inst):
        return None
    parts = enum_mod._partitions(q)
    P, k = parts.shape
    if P * k * inst.n_cand > 300_000:
        return None
    if "contents" in inst.memo:
        Q, cost_cn, _ = inst.memo["contents"]
    else:
        Q = enum_mod._contents(q)
        cost_cn, _ = inst.node_costs(Q)
    split = inst.split
    best_node = np.argmin(cost_cn, axis=1)
    ship_best = cost_cn[np.arange(len(Q)), best_node]
    if inst.partial:
        unf = np.where(inst.group_ok(Q), inst.pen * Q.sum(axis=1), INF)
    else:
        unf = np.full(len(Q), INF, dtype=np.int64)
    block = np.minimum(np.where(ship_best < INF, ship_best + split, INF), unf)
    block[0] = 0
    rel = block[parts].sum(axis=1)  # (P,)
    # Put block i of partition P on node c; others at their relaxed best.
    base = rel[:, None] - block[parts] - split  # (P, k): others' cost - split
    at_c = cost_cn[parts] + split  # (P, k, Nc)
    val = base[:, :, None] + at_c
    valid_block = (parts > 0)[:, :, None] & (cost_cn[parts] < INF) & (base < INF // 2)[:, :, None]
    val = np.where(valid_block, val, INF)
    flat = val.reshape(P * k, -1)
    arg = np.argmin(flat, axis=0)
    lb = flat[arg, np.arange(inst.n_cand)]
    exact = np.zeros(inst.n_cand, dtype=bool)
    ship_choice = np.where(ship_best + split <= unf, best_node, -1)
    for c in range(inst.n_cand):
        if lb[c] >= INF // 2:
            continue
        pi, i = divmod(int(arg[c]), k)
        others = [int(ship_choice[b]) for t, b in enumerate(parts[pi]) if t != i and b > 0]
        used = [n for n in others if n >= 0]
        exact[c] = c not in used and len(set(used)) == len(used) and len(used) + 1 <= inst.kmax
    return lb, exact


def annotate(inst: Instance, plan: Plan, nearest_sol: Sol | str | None) -> None:
    p = inst.problem
    used_codes = {s.node for s in plan.shipments}
    cand_pos = {int(i): c for c, i in enumerate(inst.cand)}
    single_cost = inst.single_costs()[0] if inst.n_cand else np.zeros(0, dtype=np.int64)
    using = None
    if plan.objective_paise is not None and inst.n_cand:
        using = using_node_costs(inst)
    obj = plan.objective_paise
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
            out.append(NodeExplanation(node.code, "costlier", "eligible, but no valid plan was found", None, False))
            continue
        if using is not None and using[0][c] < INF // 2:
            extra = int(using[0][c]) - obj
            exact = bool(using[1][c])
            word = "" if exact else "at least "
            text = f"best plan using it costs {word}{rupees(extra)} more"
            if extra <= 0 and exact:
                text = "a plan using it costs the same; the tie went to the preferred node"
            out.append(NodeExplanation(node.code, "costlier", text, max(extra, 0), exact))
        elif single_cost[c] < INF:
            extra = int(single_cost[c]) - obj
            out.append(
                NodeExplanation(node.code, "costlier", f"shipping everything from here costs {rupees(extra)} more", extra, False)
            )
        else:
            out.append(
                NodeExplanation(
                    node.code, "costlier", "cannot ship the whole order alone; the chosen plan is cheaper than any plan found using it", None, False
                )
            )
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

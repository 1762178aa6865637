"""Brute-force reference for tiny orders, written from the spec and sharing
no code with the solver: try every split of every line's units over the
eligible nodes (and unfilled), price each node's content on its cheapest
carrier, keep the cheapest valid plan. Exponential; only for tests."""

from __future__ import annotations

import itertools
import math

from omnialloc.solvers import AllocationProblem


def _compositions(total: int, parts: int):
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first,) + rest


def _shipment_cost(p: AllocationProblem, node, lanes, content: dict[int, int]) -> int | None:
    lines = p.lines
    weight = sum(lines[i].unit_weight_g * k for i, k in content.items())
    volume = sum(lines[i].unit_volume_mm3 * k for i, k in content.items())
    value = sum(lines[i].unit_value_paise * k for i, k in content.items())
    best = None
    for ln in lanes:
        if ln.max_weight_g is not None and weight > ln.max_weight_g:
            continue
        billed = max(weight, math.ceil(volume / ln.volumetric_divisor))
        slabs = max(1, math.ceil(billed / ln.slab_g))
        cost = ln.first_slab_paise + (slabs - 1) * ln.additional_slab_paise
        if p.payment_mode == "COD":
            cost += max(ln.cod_fixed_paise, math.floor(value * ln.cod_percent_bp / 10000 + 0.5))
        if p.promised_days is not None and ln.sla_days > p.promised_days:
            cost += (ln.sla_days - p.promised_days) * p.lateness_penalty_paise_per_day
        cost -= ln.bonus_paise
        if best is None or cost < best:
            best = cost
    if best is None:
        return None
    best += node.handling_cost_paise + node.penalty_paise - node.bonus_paise
    best += math.floor(node.distance_km * p.distance_weight_paise_per_km + 0.5)
    best += node.priority * p.priority_weight_paise
    best += sum(node.unit_prices_paise.get(lines[i].sku, 0) * k for i, k in content.items())
    return best


def brute_force_cost(p: AllocationProblem) -> int | None:
    nodes = []
    for n in p.nodes:
        if n.forbidden_reason or (n.capacity_shipments is not None and n.capacity_shipments <= 0):
            continue
        lanes = [
            ln for ln in p.lanes
            if ln.node == n.code and not ln.forbidden_reason
            and (p.payment_mode != "COD" or ln.cod_allowed)
            and not (p.sla_policy == "hard" and p.promised_days is not None and ln.sla_days > p.promised_days)
        ]
        if lanes:
            nodes.append((n, lanes))
    slots = len(nodes) + (1 if p.allow_partial else 0)  # last slot = unfilled
    if slots == 0:
        return None
    per_line = [list(_compositions(ln.qty, slots)) for ln in p.lines]
    groups = [set(g) for g in p.keep_together]
    best = None
    for choice in itertools.product(*per_line):
        contents = [dict() for _ in nodes]
        unfilled = 0
        for i, dist in enumerate(choice):
            for s, k in enumerate(dist):
                if k == 0:
                    continue
                if s < len(nodes):
                    contents[s][i] = k
                else:
                    unfilled += k
        if not _groups_ok(p, groups, choice, len(nodes)):
            continue
        used = [(nodes[s], c) for s, c in enumerate(contents) if c]
        if p.max_shipments is not None and len(used) > p.max_shipments:
            continue
        total = p.split_penalty_paise * max(len(used) - 1, 0) + unfilled * p.unfilled_penalty_paise_per_unit
        ok = True
        for (n, lanes), c in used:
            need: dict[str, int] = {}
            for i, k in c.items():
                need[p.lines[i].sku] = need.get(p.lines[i].sku, 0) + k
            if any(n.stock.get(s, 0) < k for s, k in need.items()):
                ok = False
                break
            if sum(p.lines[i].unit_value_paise * k for i, k in c.items()) < p.min_shipment_value_paise:
                ok = False
                break
            cost = _shipment_cost(p, n, lanes, c)
            if cost is None:
                ok = False
                break
            total += cost
        if ok and (best is None or total < best):
            best = total
    return best


def _groups_ok(p, groups, choice, n_nodes) -> bool:
    ids = [ln.line_id for ln in p.lines]
    for g in groups:
        idx = [ids.index(x) for x in g]
        # every line of the group entirely in one and the same slot
        slot = None
        for i in idx:
            full = [s for s, k in enumerate(choice[i]) if k == p.lines[i].qty]
            if not full:
                return False
            if slot is None:
                slot = full[0]
            elif full[0] != slot:
                return False
    return True

"""The documented cost model (docs/solver.md, "Cost model"), in plain Python integers.

Written from the documentation, not from the solver: which nodes and carriers may ship, what
one shipment of given contents costs on one carrier, and what a whole plan costs. Everything
here takes the public `AllocationProblem` and returns ints (paise) or None (not allowed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from omnialloc.solvers import AllocationProblem


def node_eligible(p: AllocationProblem, node) -> bool:
    """A node may ship unless a routing rule forbids it or it has no shipment capacity left."""
    return not node.forbidden_reason and (node.capacity_shipments is None or node.capacity_shipments > 0)


def lane_usable(p: AllocationProblem, lane) -> bool:
    """A carrier lane may carry the order unless a shipping rule forbids it, the order is COD and
    the lane takes no COD, or the SLA is hard and the lane is slower than the promise."""
    if lane.forbidden_reason:
        return False
    if p.payment_mode == "COD" and not lane.cod_allowed:
        return False
    if p.sla_policy == "hard" and p.promised_days is not None and lane.sla_days > p.promised_days:
        return False
    return True


def usable_lanes(p: AllocationProblem, node) -> list:
    return [ln for ln in p.lanes if ln.node == node.code and lane_usable(p, ln)]


def keep_together_groups(p: AllocationProblem) -> list[set[int]]:
    """Keep-together groups as sets of line positions, overlapping groups merged (transitively)."""
    pos = {ln.line_id: i for i, ln in enumerate(p.lines)}
    groups = [set(pos[x] for x in g) for g in p.keep_together]
    merged = True
    while merged:
        merged = False
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                if groups[a] & groups[b]:
                    groups[a] |= groups.pop(b)
                    merged = True
                    break
            if merged:
                break
    return groups


def groups_whole(p: AllocationProblem, groups, content) -> bool:
    """Each keep-together group is either entirely in `content` or entirely absent."""
    for g in groups:
        full = all(content[i] == p.lines[i].qty for i in g)
        none = all(content[i] == 0 for i in g)
        if not (full or none):
            return False
    return True


@dataclass(frozen=True)
class Priced:
    """One shipment's cost terms on one carrier (paise) and its measures."""

    carrier: str
    shipping: int
    cod: int
    handling: int
    lateness: int
    preference: int
    lookahead: int
    distance: int
    penalty: int
    actual_g: int
    billed_g: int
    slabs: int
    value: int

    @property
    def total(self) -> int:
        return (self.shipping + self.cod + self.handling + self.lateness + self.preference
                + self.lookahead + self.distance + self.penalty)


def price_on_lane(p: AllocationProblem, node, lane, content) -> Priced | None:
    """Every term of shipping `content` (units per line, in line order) from `node` on `lane`,
    or None when that shipment is not allowed (empty, stock, weight limit, minimum value,
    keep-together)."""
    lines = p.lines
    if sum(content) == 0:
        return None
    need: dict[str, int] = {}
    for ln, k in zip(lines, content):
        need[ln.sku] = need.get(ln.sku, 0) + k
    if any(k > node.stock.get(sku, 0) for sku, k in need.items()):
        return None
    weight = sum(ln.unit_weight_g * k for ln, k in zip(lines, content))
    volume = sum(ln.unit_volume_mm3 * k for ln, k in zip(lines, content))
    value = sum(ln.unit_value_paise * k for ln, k in zip(lines, content))
    if lane.max_weight_g is not None and weight > lane.max_weight_g:
        return None
    if value < p.min_shipment_value_paise:
        return None
    if not groups_whole(p, keep_together_groups(p), content):
        return None
    billed = max(weight, -(-volume // lane.volumetric_divisor))
    slabs = max(1, -(-billed // lane.slab_g))
    shipping = lane.first_slab_paise + (slabs - 1) * lane.additional_slab_paise
    cod = 0
    if p.payment_mode == "COD":
        cod = max(lane.cod_fixed_paise, (value * lane.cod_percent_bp + 5000) // 10000)
    late = 0
    if p.promised_days is not None:
        late = max(0, lane.sla_days - p.promised_days) * p.lateness_penalty_paise_per_day
    late += lane.sla_days * p.speed_paise_per_day  # the value of a day, reported with lateness
    return Priced(
        carrier=lane.carrier,
        shipping=shipping,
        cod=cod,
        handling=node.handling_cost_paise,
        lateness=late,
        preference=node.priority * p.priority_weight_paise - node.bonus_paise - lane.bonus_paise,
        lookahead=sum(node.unit_prices_paise.get(ln.sku, 0) * k for ln, k in zip(lines, content)),
        distance=int(math.floor(node.distance_km * p.distance_weight_paise_per_km + 0.5)),
        penalty=node.penalty_paise,
        actual_g=weight,
        billed_g=billed,
        slabs=slabs,
        value=value,
    )


def shipment_cost(p: AllocationProblem, node, content) -> int | None:
    """The cheapest way to ship `content` from `node` (its best usable carrier), or None."""
    if not node_eligible(p, node):
        return None
    best = None
    for lane in usable_lanes(p, node):
        priced = price_on_lane(p, node, lane, content)
        if priced is not None and (best is None or priced.total < best):
            best = priced.total
    return best


def plan_cost(p: AllocationProblem, shipment_costs: list[int], unfilled_units: int) -> int:
    """Total of a plan: its shipments, the split penalty per shipment beyond the first and the
    unfilled penalty per unit left unfilled."""
    k = len(shipment_costs)
    return sum(shipment_costs) + p.split_penalty_paise * max(k - 1, 0) + p.unfilled_penalty_paise_per_unit * unfilled_units


def shipment_limit(p: AllocationProblem) -> int:
    eligible = sum(1 for n in p.nodes if node_eligible(p, n))
    return eligible if p.max_shipments is None else min(p.max_shipments, eligible)

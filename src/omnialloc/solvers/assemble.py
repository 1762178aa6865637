"""Solutions in array form (`Sol`) and their conversion into priced `Plan`s.

Every strategy produces a `Sol`: a tuple of shipments (candidate node index,
lane index, units per line) and the unfilled units per line. Pricing goes
through `Instance.price_one`, the same `costs` formulas the enumeration uses
vectorised, so a plan's reported cost is exactly the objective minimised
(`to_plan` asserts it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .costs import INF
from .instance import Instance
from .plan import COST_TERMS, Costs, Plan, PlanStatus, PlannedShipment


@dataclass(frozen=True)
class Sol:
    ships: tuple[tuple[int, int, tuple[int, ...]], ...]  # (cand, lane, qty per line)
    unfilled: tuple[int, ...]
    cost: int

    @property
    def nodes(self) -> list[int]:
        return [s[0] for s in self.ships]


def best_lane(inst: Instance, c: int, qty: np.ndarray) -> tuple[int, int]:
    """Cheapest lane at candidate `c` for content `qty`: (lane, cost) or (-1, INF)."""
    lanes = inst.node_lanes[c]
    lanes = lanes[lanes >= 0]
    tot = inst.content_costs(np.asarray(qty, dtype=np.int64)[None, :], lanes)[0]
    k = int(np.argmin(tot))
    if tot[k] >= INF:
        return -1, int(INF)
    return int(lanes[k]), int(tot[k])


def shipment_total(terms: dict[str, int]) -> int:
    return sum(terms[t] for t in COST_TERMS if t in terms)


def make_sol(inst: Instance, contents: dict[int, np.ndarray], unfilled: np.ndarray | None = None) -> Sol | None:
    """Price per-node contents with each node's cheapest lane; None if some
    content cannot ship from its node at all."""
    ships = []
    total = 0
    for c in sorted(contents):
        qty = np.asarray(contents[c], dtype=np.int64)
        if qty.sum() == 0:
            continue
        j, cost = best_lane(inst, c, qty)
        if j < 0:
            return None
        ships.append((int(c), j, tuple(int(x) for x in qty)))
        total += cost
    if unfilled is None:
        unfilled = np.zeros(inst.n_lines, dtype=np.int64)
    total += inst.split * max(len(ships) - 1, 0) + inst.pen * int(np.sum(unfilled))
    return Sol(tuple(ships), tuple(int(x) for x in unfilled), int(total))


def sol_from_ships(inst: Instance, ships: Iterable[tuple[Any, Any, Any]], unfilled: Iterable[Any]) -> Sol:
    """Build a Sol for fixed (node, lane, qty) shipments, recomputing cost."""
    fixed = tuple(sorted((int(c), int(j), tuple(int(x) for x in qty)) for c, j, qty in ships))
    left = tuple(int(x) for x in unfilled)
    total = 0
    for c, j, qty in fixed:
        total += shipment_total(inst.price_one(j, qty))
    total += inst.split * max(len(fixed) - 1, 0) + inst.pen * sum(left)
    return Sol(fixed, left, int(total))


def violations(inst: Instance, sol: Sol) -> list[str]:
    """Hard constraints `sol` breaks (empty list = valid plan)."""
    out = []
    p = inst.problem
    shipped = np.zeros(inst.n_lines, dtype=np.int64)
    seen = set()
    for c, j, ship_qty in sol.ships:
        qty = np.array(ship_qty, dtype=np.int64)
        shipped += qty
        code = inst.node_code(c)
        if c in seen:
            out.append(f"node {code} ships twice")
        seen.add(c)
        if inst.lane_node[j] != c:
            out.append(f"lane {j} is not at node {code}")
        if np.any(qty @ inst.sku_onehot > inst.stock[c]):
            out.append(f"node {code} lacks stock")
        if qty @ inst.w > inst.maxw[j]:
            out.append(f"shipment from {code} exceeds the carrier's max weight")
        if qty @ inst.v < inst.minval:
            out.append(f"shipment from {code} is below the minimum shipment value")
        if not inst.group_ok(qty[None, :])[0]:
            out.append(f"shipment from {code} splits a keep-together group")
    if not np.array_equal(shipped + np.array(sol.unfilled), inst.q):
        out.append("shipped + unfilled does not match the order")
    if not inst.partial and sum(sol.unfilled) > 0:
        out.append("partial fulfilment is not allowed")
    if inst.partial and not inst.group_ok(np.array(sol.unfilled)[None, :])[0]:
        out.append("a keep-together group is partly unfilled")
    if len(sol.ships) > inst.kmax:
        out.append(f"more than {inst.kmax} shipment(s)")
    return out


def to_plan(
    inst: Instance,
    sol: Sol,
    strategy: str,
    status: PlanStatus,
    bound: int | None,
    method: str,
) -> Plan:
    p = inst.problem
    shipments = []
    priced = []
    for c, j, qty in sol.ships:
        t = inst.price_one(j, qty)
        terms = {k: t[k] for k in COST_TERMS if k in t}
        priced.append((inst.node_code(c), c, j, qty, t, terms))
    # Stable output order: by node code. The split penalty is booked on every
    # shipment but the first, so the shipment totals add up to the objective.
    priced.sort(key=lambda r: r[0])
    for k, (code, c, j, qv, t, terms) in enumerate(priced):
        lane = p.lanes[int(inst.lane_src[j])]
        terms["split"] = inst.split if k > 0 else 0
        shipments.append(
            PlannedShipment(
                node=code,
                carrier=lane.carrier,
                zone=lane.zone,
                lines={inst.line_ids[i]: int(qv[i]) for i in range(inst.n_lines) if qv[i] > 0},
                actual_weight_g=t["actual_g"],
                billed_weight_g=t["billed_g"],
                slabs=t["slabs"],
                sla_days=lane.sla_days,
                value_paise=t["value"],
                costs=Costs(**terms),
            )
        )
    unfilled = {inst.line_ids[i]: int(u) for i, u in enumerate(sol.unfilled) if u > 0}
    plan = Plan(
        order_id=p.order_id,
        strategy=strategy,
        status=status,
        shipments=shipments,
        unfilled=unfilled,
        unfilled_paise=inst.pen * sum(unfilled.values()),
        objective_paise=sol.cost,
        bound_paise=bound,
        method=method,
    )
    check = plan.costs.total + plan.unfilled_paise
    if check != sol.cost:  # pricing drift would be a bug, never a user error
        raise AssertionError(f"plan cost {check} != solution cost {sol.cost}")
    return plan


def infeasible_plan(inst: Instance | None, order_id: str, strategy: str, reason: str, method: str = "") -> Plan:
    return Plan(order_id=order_id, strategy=strategy, status=PlanStatus.INFEASIBLE, reason=reason, method=method)

"""Every claim a plan makes, checked against the reference.

`plan_problems` returns a list of human-readable problems (empty = the plan is right):
- status: OPTIMAL only at the reference optimum (and then bound = cost); never INFEASIBLE when
  the reference finds a plan, never a plan when it finds none; the cost is never below the
  optimum and the bound never above it (UNSOLVED, "the limit was hit before any plan was
  found", claims nothing and is no error here: the tests that need a plan assert it);
- validity: eligible nodes and usable carriers only, each node once, stock (SKUs shared by
  lines included), carrier max weight, minimum shipment value, keep-together, at most K
  shipments, shipped + unfilled = ordered, unfilled only with partial fill;
- money: every term of every shipment re-priced from the cost model, the split penalty, the
  unfilled penalty, and the objective as their sum;
- explanation: one entry per node in the order added; "used" exactly for the plan's nodes;
  every eligibility verdict and "unusable" for nodes no valid plan can use; an exact
  "costlier"/"cheaper" amount equal to (cheapest plan forced to use the node) - (plan cost);
  an "at least" amount positive and no more than that; a "shipping everything from here"
  amount equal to that single shipment's price; never a negative "at least".
"""

from __future__ import annotations

from omnialloc.solvers import AllocationProblem, Plan, PlanStatus

from . import exhaustive
from .model import groups_whole, keep_together_groups, node_eligible, price_on_lane, shipment_cost, usable_lanes

VERDICTS = {"forbidden", "over_capacity", "no_stock", "no_serviceable_carrier", "misses_sla", "unusable"}
PLAN_STATUSES = {PlanStatus.OPTIMAL, PlanStatus.FEASIBLE, PlanStatus.HEURISTIC_FALLBACK}


def status_problems(plan: Plan, optimum: int | None) -> list[str]:
    out = []
    if optimum is None:
        if plan.status != PlanStatus.INFEASIBLE:
            out.append(f"reference finds no plan but status is {plan.status.value} at {plan.objective_paise}")
        return out
    if plan.status == PlanStatus.UNSOLVED and plan.reason and "limit" in plan.reason:
        return out  # no plan found in time, and no claim made (the benchmark counts these apart)
    if plan.status not in PLAN_STATUSES:
        out.append(f"reference optimum {optimum} exists but status is {plan.status.value} ({plan.reason})")
        return out
    if plan.objective_paise < optimum:
        out.append(f"cost {plan.objective_paise} below the reference optimum {optimum}")
    if plan.status == PlanStatus.OPTIMAL and plan.objective_paise != optimum:
        out.append(f"OPTIMAL at {plan.objective_paise} but the optimum is {optimum} (method {plan.method})")
    if plan.status == PlanStatus.OPTIMAL and plan.bound_paise != plan.objective_paise:
        out.append(f"OPTIMAL with bound {plan.bound_paise} != cost {plan.objective_paise}")
    if plan.bound_paise is not None and plan.bound_paise > optimum:
        out.append(f"bound {plan.bound_paise} above the optimum {optimum}")
    return out


def validity_problems(p: AllocationProblem, plan: Plan) -> list[str]:
    """Hard constraints and exact money of a plan that claims to be one."""
    out = []
    nodes = {n.code: n for n in p.nodes}
    lines = {ln.line_id: i for i, ln in enumerate(p.lines)}
    groups = keep_together_groups(p)
    shipped = [0] * len(p.lines)
    seen = set()
    total = 0
    for k, s in enumerate(sorted(plan.shipments, key=lambda s: s.node)):
        node = nodes.get(s.node)
        if node is None or not node_eligible(p, node):
            out.append(f"shipment from ineligible node {s.node}")
            continue
        if s.node in seen:
            out.append(f"node {s.node} ships twice")
        seen.add(s.node)
        lane = next((ln for ln in usable_lanes(p, node) if ln.carrier == s.carrier), None)
        if lane is None:
            out.append(f"{s.node} ships on carrier {s.carrier}, not a usable lane of it")
            continue
        content = [0] * len(p.lines)
        for lid, units in s.lines.items():
            if lid not in lines or units <= 0:
                out.append(f"{s.node} ships {units} of unknown or empty line {lid}")
                continue
            content[lines[lid]] = units
        for i, u in enumerate(content):
            shipped[i] += u
        priced = price_on_lane(p, node, lane, tuple(content))
        if priced is None:
            out.append(f"{s.node} via {s.carrier} cannot carry {s.lines} (stock, weight, value or keep-together)")
            continue
        expect = {
            "shipping": priced.shipping, "cod": priced.cod, "handling": priced.handling,
            "lateness": priced.lateness, "preference": priced.preference, "lookahead": priced.lookahead,
            "distance": priced.distance, "penalty": priced.penalty,
            "split": p.split_penalty_paise if k > 0 else 0,
        }
        for term, value in expect.items():
            if getattr(s.costs, term) != value:
                out.append(f"{s.node} {term} {getattr(s.costs, term)} != {value}")
        for attr, value in (("actual_weight_g", priced.actual_g), ("billed_weight_g", priced.billed_g),
                            ("slabs", priced.slabs), ("value_paise", priced.value), ("sla_days", lane.sla_days)):
            if getattr(s, attr) != value:
                out.append(f"{s.node} {attr} {getattr(s, attr)} != {value}")
        total += priced.total + expect["split"]
    if p.max_shipments is not None and len(plan.shipments) > p.max_shipments:
        out.append(f"{len(plan.shipments)} shipments, at most {p.max_shipments} allowed")
    unfilled = [plan.unfilled.get(ln.line_id, 0) for ln in p.lines]
    for i, ln in enumerate(p.lines):
        if shipped[i] + unfilled[i] != ln.qty:
            out.append(f"line {ln.line_id}: shipped {shipped[i]} + unfilled {unfilled[i]} != {ln.qty}")
    if any(unfilled) and not p.allow_partial:
        out.append("units unfilled without partial fill")
    if any(unfilled) and not groups_whole(p, groups, unfilled):
        out.append("a keep-together group is partly unfilled")
    pen = p.unfilled_penalty_paise_per_unit * sum(unfilled)
    if plan.unfilled_paise != pen:
        out.append(f"unfilled penalty {plan.unfilled_paise} != {pen}")
    if plan.objective_paise != total + pen:
        out.append(f"objective {plan.objective_paise} != shipments {total} + unfilled {pen}")
    if not plan.shipments and not p.allow_partial:
        out.append("a plan with no shipment for an order that must ship whole")
    return out


def explanation_problems(p: AllocationProblem, plan: Plan, forced_optimum) -> list[str]:
    """`forced_optimum(code)` -> cost of the cheapest valid plan in which that node ships, or None."""
    out = []
    codes = [e.node for e in plan.explanation]
    if codes != [n.code for n in p.nodes]:
        out.append(f"explanation lists {codes}, nodes are {[n.code for n in p.nodes]}")
    used = {s.node for s in plan.shipments}
    nodes = {n.code: n for n in p.nodes}
    obj = plan.objective_paise
    for e in plan.explanation:
        if "at least -" in e.text or "at least Rs 0.00" in e.text:
            out.append(f"{e.node}: vacuous or negative claim {e.text!r}")
        if (e.code == "used") != (e.node in used):
            out.append(f"{e.node}: code {e.code} but {'in' if e.node in used else 'not in'} the plan")
            continue
        if e.code == "used":
            continue
        if e.code in VERDICTS:
            f = forced_optimum(e.node)
            if f is not None:
                out.append(f"{e.node}: {e.code} ({e.text!r}) but a plan using it costs {f}")
            continue
        if e.code == "not_priced":
            continue
        if e.code not in ("costlier", "cheaper"):
            out.append(f"{e.node}: unknown code {e.code}")
            continue
        if e.extra_cost_paise is None:
            out.append(f"{e.node}: {e.code} without an amount")
            continue
        if e.code == "costlier" and e.extra_cost_paise < 0 or e.code == "cheaper" and e.extra_cost_paise >= 0:
            out.append(f"{e.node}: {e.code} with extra {e.extra_cost_paise}")
        if "shipping everything from here" in e.text:
            single = shipment_cost(p, nodes[e.node], tuple(ln.qty for ln in p.lines))
            if single is None or single - obj != e.extra_cost_paise:
                out.append(f"{e.node}: single-shipment claim {e.extra_cost_paise}, reference {None if single is None else single - obj}")
            continue
        f = forced_optimum(e.node)
        if f is None:
            # Only "any plan using it costs at least ..." holds (vacuously) of a node no plan uses.
            if e.exact or "any plan using it" not in e.text:
                out.append(f"{e.node}: {e.code} ({e.text!r}) but no valid plan uses it")
            continue
        truth = f - obj
        if e.exact and e.extra_cost_paise != truth:
            out.append(f"{e.node}: exact extra {e.extra_cost_paise}, the best plan using it costs {truth} more")
        if not e.exact and not (0 < e.extra_cost_paise <= truth):
            out.append(f"{e.node}: 'at least' {e.extra_cost_paise}, the truth is {truth}")
    return out


def plan_problems(p: AllocationProblem, plan: Plan, optimum: int | None, forced_optimum=None) -> list[str]:
    out = status_problems(plan, optimum)
    if plan.status in PLAN_STATUSES:
        out += validity_problems(p, plan)
    if forced_optimum is not None and plan.explanation:
        out += explanation_problems(p, plan, forced_optimum)
    return out


def exhaustive_forced(p: AllocationProblem):
    """A memoised `forced_optimum` from the exhaustive reference."""
    memo: dict[str, int | None] = {}

    def forced(code: str) -> int | None:
        if code not in memo:
            r = exhaustive.optimum(p, forced=code)
            memo[code] = None if r is None else r.cost
        return memo[code]

    return forced

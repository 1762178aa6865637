"""Baseline strategies source the way sorting-based OMSs do, then ship on the
cheapest serviceable carrier."""

from omnialloc.solvers import STRATEGIES, PlanStatus, solve

from .builders import lane, node, node_with_lane, order


def shipped(plan):
    return {s.node: dict(s.lines) for s in plan.shipments}


def test_strategies_are_the_five_documented_ones():
    assert STRATEGIES == ("optimal", "nearest", "priority", "max_stock", "cost_greedy")


def two_lines():
    p = order()
    p.add_line("L1", "A", 1, 400, 1000)
    p.add_line("L2", "B", 1, 400, 1000)
    return p


def test_nearest_takes_the_nearest_node_that_has_every_line():
    p = two_lines()
    node_with_lane(p, "NEAR_PART", {"A": 1}, distance=1.0)
    node_with_lane(p, "MID_ALL", {"A": 1, "B": 1}, distance=20.0, first=500)
    node_with_lane(p, "FAR_ALL", {"A": 1, "B": 1}, distance=90.0)
    assert shipped(solve(p, "nearest")) == {"MID_ALL": {"L1": 1, "L2": 1}}


def test_nearest_fills_line_by_line_from_the_nearest_when_no_node_has_all():
    p = two_lines()
    node_with_lane(p, "NEAR_A", {"A": 1}, distance=1.0)
    node_with_lane(p, "MID_B", {"B": 1}, distance=20.0)
    node_with_lane(p, "FAR_B", {"B": 5}, distance=30.0)
    assert shipped(solve(p, "nearest")) == {"NEAR_A": {"L1": 1}, "MID_B": {"L2": 1}}


def test_priority_fills_in_node_priority_order():
    p = two_lines()
    node_with_lane(p, "P2", {"A": 1, "B": 1}, priority=2)
    node_with_lane(p, "P1", {"A": 1}, priority=1, first=900)
    assert shipped(solve(p, "priority")) == {"P1": {"L1": 1}, "P2": {"L2": 1}}


def test_max_stock_takes_each_line_from_the_node_with_most_of_it():
    p = order()
    p.add_line("L1", "A", 2, 400, 1000)
    node_with_lane(p, "FEW", {"A": 2}, distance=1.0)
    node_with_lane(p, "MANY", {"A": 40}, distance=99.0, first=700)
    assert shipped(solve(p, "max_stock")) == {"MANY": {"L1": 2}}


def test_cost_greedy_takes_the_cheapest_node_that_has_everything():
    p = two_lines()
    node_with_lane(p, "DEAR", {"A": 1, "B": 1}, first=300)
    node_with_lane(p, "CHEAP", {"A": 1, "B": 1}, first=120)
    assert shipped(solve(p, "cost_greedy")) == {"CHEAP": {"L1": 1, "L2": 1}}


def test_a_baseline_ships_on_the_cheapest_serviceable_carrier():
    p = order(payment_mode="COD")
    p.add_line("L1", "A", 1, 400, 1000)
    node(p, "N1", {"A": 1})
    lane(p, "N1", "NOCOD", first=10, cod_allowed=False)
    lane(p, "N1", "DEAR", first=300)
    lane(p, "N1", "CHEAP", first=200)
    plan = solve(p, "nearest")
    assert plan.shipments[0].carrier == "CHEAP"


def test_baselines_report_feasible_not_optimal():
    p = two_lines()
    node_with_lane(p, "N1", {"A": 1, "B": 1})
    for s in STRATEGIES[1:]:
        assert solve(p, s).status == PlanStatus.FEASIBLE


def test_a_baseline_that_breaks_the_split_policy_is_infeasible_with_why():
    p = order(max_shipments=1)
    p.add_line("L1", "A", 1, 400, 1000)
    p.add_line("L2", "B", 1, 400, 1000)
    node_with_lane(p, "P1", {"A": 1}, priority=1)
    node_with_lane(p, "P2", {"A": 1, "B": 1}, priority=2)
    plan = solve(p, "priority")
    assert plan.status == PlanStatus.INFEASIBLE
    assert plan.reason.startswith("priority:")
    assert solve(p, "optimal").status == PlanStatus.OPTIMAL

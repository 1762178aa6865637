"""Orders that cannot be served return INFEASIBLE with a reason, never raise."""

import json

from omnialloc.solvers import PlanStatus, solve

from .builders import lane, node, node_with_lane, order


def one_line(**kw):
    p = order(**kw)
    p.add_line("L1", "SKU-A", 1, 400, 1000)
    return p


def assert_infeasible(plan, fragment):
    assert plan.status == PlanStatus.INFEASIBLE
    assert fragment in plan.reason
    assert plan.shipments == []
    json.dumps(plan.to_dict())  # still renders


def test_no_stock_anywhere_names_the_sku():
    p = one_line()
    node_with_lane(p, "N1", {"SKU-B": 5})
    assert_infeasible(solve(p), "no stock for SKU SKU-A at any eligible node")


def test_stock_only_at_a_forbidden_node_counts_as_no_stock():
    p = order()
    p.add_line("L1", "SKU-A", 1, 400, 1000)
    p.add_line("L2", "SKU-B", 1, 400, 1000)
    node_with_lane(p, "N1", {"SKU-A": 1}, forbidden_reason="blocked")
    node_with_lane(p, "N2", {"SKU-B": 1})
    assert_infeasible(solve(p), "no stock for SKU SKU-A at any eligible node")


def test_too_few_units_in_total_says_how_many():
    p = order()
    p.add_line("L1", "SKU-A", 3, 400, 1000)
    node_with_lane(p, "N1", {"SKU-A": 1})
    node_with_lane(p, "N2", {"SKU-A": 1})
    assert_infeasible(solve(p), "only 2 of 3 units of SKU SKU-A")


def test_no_carrier_serving_the_pin():
    p = one_line()
    node(p, "N1", {"SKU-A": 1})  # no lane at all
    assert_infeasible(solve(p), "no carrier serves the destination")


def test_no_carrier_offering_cod_on_a_cod_order():
    p = one_line(payment_mode="COD")
    node(p, "N1", {"SKU-A": 1})
    lane(p, "N1", cod_allowed=False)
    assert_infeasible(solve(p), "no carrier serves the destination with COD")


def test_sla_that_no_node_can_meet():
    p = one_line(promised_days=2, sla_policy="hard")
    node_with_lane(p, "N1", {"SKU-A": 1}, sla=4)
    node_with_lane(p, "N2", {"SKU-A": 1}, sla=3)
    assert_infeasible(solve(p), "no node can meet the promised 2 days")


def test_every_node_excluded_by_rules():
    p = one_line()
    node_with_lane(p, "N1", {"SKU-A": 1}, forbidden_reason="blocked")
    assert_infeasible(solve(p), "excluded by routing rules")


def test_keep_together_impossible_names_the_policy():
    p = order(keep_together=[{"L1", "L2"}])
    p.add_line("L1", "SKU-A", 1, 400, 1000)
    p.add_line("L2", "SKU-B", 1, 400, 1000)
    node_with_lane(p, "N1", {"SKU-A": 1})
    node_with_lane(p, "N2", {"SKU-B": 1})
    assert_infeasible(solve(p), "keep-together")


def test_infeasible_with_every_strategy():
    p = one_line()
    node_with_lane(p, "N1", {"SKU-B": 5})
    for strategy in ("optimal", "nearest", "priority", "max_stock", "cost_greedy"):
        assert solve(p, strategy).status == PlanStatus.INFEASIBLE

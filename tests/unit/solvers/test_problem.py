"""Malformed input raises ValueError at once; the API contract holds."""

import json

import pytest

from omnialloc.solvers import AllocationProblem, Plan, solve

from .builders import node_with_lane, order


def test_quantities_must_be_positive_integers():
    p = order()
    with pytest.raises(ValueError):
        p.add_line("L1", "A", 0, 100, 100)
    with pytest.raises(ValueError):
        p.add_line("L1", "A", 1.0, 100, 100)


def test_money_must_be_integer_paise():
    p = order()
    with pytest.raises(ValueError):
        p.add_line("L1", "A", 1, 100, 99.5)
    with pytest.raises(ValueError):
        p.add_line("L1", "A", 1, 100, True)


def test_line_ids_and_node_codes_are_unique():
    p = order()
    p.add_line("L1", "A", 1, 100, 100)
    with pytest.raises(ValueError):
        p.add_line("L1", "B", 1, 100, 100)
    node_with_lane(p, "N1", {"A": 1})
    with pytest.raises(ValueError):
        node_with_lane(p, "N1", {"A": 1})


def test_a_lane_for_an_unknown_node_is_rejected_at_solve():
    p = order()
    p.add_line("L1", "A", 1, 100, 100)
    p.add_lane("GHOST", "C1", "A", 100, 50)
    with pytest.raises(ValueError, match="unknown node"):
        solve(p)


def test_unknown_payment_mode_and_strategy_are_rejected():
    with pytest.raises(ValueError):
        AllocationProblem("O", payment_mode="CARD")
    p = order()
    p.add_line("L1", "A", 1, 100, 100)
    with pytest.raises(ValueError):
        solve(p, "cheapest")


def test_an_order_without_lines_is_rejected():
    with pytest.raises(ValueError):
        solve(order())


def test_plan_to_dict_is_plain_json():
    p = order()
    p.add_line("L1", "A", 1, 100, 100)
    node_with_lane(p, "N1", {"A": 1})
    plan = solve(p)
    assert isinstance(plan, Plan)
    d = json.loads(json.dumps(plan.to_dict(include_timing=True)))
    assert d["status"] == "OPTIMAL"
    assert d["shipments"][0]["costs"]["total"] == 100
    assert "solve_ms" in d and "solve_ms" not in plan.to_dict()
    assert str(plan.status) == "OPTIMAL"


def test_add_lane_takes_make_lanes_parameters():
    """add_lane spells out make_lane's parameters (for the type checker): same names, order and defaults."""
    import inspect

    from omnialloc.solvers.problem import make_lane

    added = list(inspect.signature(AllocationProblem.add_lane).parameters.values())[1:]  # without self
    made = list(inspect.signature(make_lane).parameters.values())
    assert [(p.name, p.default, p.kind) for p in added] == [(p.name, p.default, p.kind) for p in made]

"""Every bound the batch reports is valid, for orders of any number of lines, and no line is left
unfilled while a node it may use has the stock and a shipment slot (issue 22)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnialloc.solvers.batch import BatchProblem, solve_batch
from omnialloc.solvers.batch.patterns import MAX_LINES_FULL

from .helpers import brute_force, random_batch, shipment_cost


def _seven_lines() -> BatchProblem:
    """The issue's case: 7 lines, A stocks lines 0-3, B lines 4-6; one shipment costs 1,000 (a cost
    matrix), at most 2 shipments; unfilled 50,000 per unit."""
    bp = BatchProblem()
    skus = [f"S{i}" for i in range(7)]
    bp.add_node("A", {s: 1 for s in skus[:4]})
    bp.add_node("B", {s: 1 for s in skus[4:]})
    bp.add_order("O", [(f"L{i}", s, 1, 100, 1000) for i, s in enumerate(skus)], max_shipments=2)
    for n in "AB":
        bp.set_cost("O", n, 1000)
    return bp


@pytest.mark.parametrize("kw", [{}, {"method": "mip"}, {"lp_max_patterns": 0}], ids=["auto", "mip", "large"])
def test_the_seven_line_order_ships_whole_in_two_shipments(kw):
    d = _seven_lines().compile()
    assert len(d.line_ids) > MAX_LINES_FULL
    plan = solve_batch(d, **kw)
    assert plan.objective == 2000 and not plan.unfilled
    assert sorted(m.node for m in plan.shipments) == ["A", "B"]
    assert plan.bound is not None and plan.bound <= 2000 + 1e-6
    assert plan.status != "OPTIMAL" or plan.objective == 2000


def _exact_alone(d) -> int:
    """One order's optimum by enumerating every line -> node assignment (the brute force)."""
    return brute_force(d)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(7, 8))
def test_bounds_of_orders_beyond_six_lines_are_valid(seed, lines):
    d = random_batch(seed, n_orders=1, n_nodes=2, n_skus=8, max_lines=lines, cap=False).compile()
    opt = _exact_alone(d)
    for kw in ({}, {"method": "mip"}, {"lp_max_patterns": 0}):
        plan = solve_batch(d, **kw)
        assert plan.bound is None or plan.bound <= opt + 1e-6
        assert plan.objective >= opt


def _open_slot(d, plan) -> list[str]:
    """Unfilled lines that a node the order may use could ship alone, from stock and a shipment slot
    left, for less than the line's penalty (orders without policy, one line each here)."""
    npos = {n: i for i, n in enumerate(d.node_codes)}
    opos = {o: i for i, o in enumerate(d.order_ids)}
    stock = d.stock.copy()
    ships = [0] * d.n_nodes
    start = d.order_line_start()
    for m in plan.shipments:
        o, n = opos[m.order_id], npos[m.node]
        ids = d.line_ids[start[o]:start[o + 1]]
        for lid in m.line_ids:
            i = int(start[o]) + ids.index(lid)
            stock[n, d.line_sku[i]] -= d.line_qty[i]
        ships[n] += 1
    bad = []
    for oid, lids in plan.unfilled.items():
        o = opos[oid]
        ids = d.line_ids[start[o]:start[o + 1]]
        for lid in lids:
            i = int(start[o]) + ids.index(lid)
            for n in range(d.n_nodes):
                c = shipment_cost(d, o, n, [i])
                if c is None or stock[n, d.line_sku[i]] < d.line_qty[i]:
                    continue
                if d.cap[n] >= 0 and ships[n] >= d.cap[n]:
                    continue
                if c < d.order_pen[o] * d.line_qty[i]:
                    bad.append(f"{oid}/{lid} could ship from {d.node_codes[n]} for {c}")
    return bad


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6))
def test_no_line_is_left_unfilled_while_a_node_has_stock_and_a_slot(seed):
    d = random_batch(seed, n_orders=40, n_nodes=4, n_skus=5, max_lines=1, cap=True).compile()
    for kw in ({}, {"lp_max_patterns": 0}):
        plan = solve_batch(d, **kw)
        assert _open_slot(d, plan) == []


def test_brute_force_agrees_on_a_tiny_seven_line_batch():
    d = _seven_lines().compile()
    assert _exact_alone(d) == 2000

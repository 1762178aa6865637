"""The LP relaxation's claims (lp.py) against the independent exhaustive reference: its bound is
at most the optimum and each arc's bound at most the best plan that uses the arc's node, on
random orders with every feature (negative floors, partial fill, COD fees, policies); and the
portfolio's LP step (the path of 100-node orders) on mid-sized orders checked claim by claim
against the plain MIP reference."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from omnialloc.solvers import lp, solve
from omnialloc.solvers.budget import Budget
from omnialloc.solvers.instance import compile_problem

from benchmarks.reference import checks, exhaustive, plain_mip
from benchmarks.reference.generator import problems, random_problem
from .test_soundness import four_single_unit_nodes

CASES = settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def relaxation(p, check=assume):
    inst = compile_problem(p)
    check(not inst.infeasible_reason and inst.n_cand > 0)
    rel = lp.relax(inst, np.arange(inst.n_cand), int(inst.kmax), [], float("inf"), Budget.unlimited())
    check(rel is not None)
    return inst, rel


def require(condition):
    assert condition


def assert_bounds_hold(p, check=assume):
    inst, rel = relaxation(p, check)
    best = exhaustive.optimum(p)
    if best is not None:
        assert rel.bound <= best.cost
    for c in range(inst.n_cand):
        forced = exhaustive.optimum(p, forced=inst.node_code(c))
        arcs = [b for (cand, _), b in rel.arc_bound.items() if cand == c]
        if forced is not None:
            # A plan using the node uses one of its arcs (or a lane one of them beats).
            assert arcs and min(arcs) <= forced.cost, inst.node_code(c)


@CASES
@given(problems("small"))
def test_the_lp_bound_and_arc_bounds_never_exceed_the_reference(p):
    assert_bounds_hold(p)


@CASES
@given(problems("deep"))
def test_the_lp_bounds_hold_with_deeper_quantities(p):
    assert_bounds_hold(p)


def test_the_lp_bound_counts_negative_floors():
    # Four 1-unit parcels cost 400 in all, fewer parcels far more: a bound must allow for them.
    assert_bounds_hold(four_single_unit_nodes(), require)


def test_arcs_below_keeps_every_arc_of_a_cheaper_plan():
    p = four_single_unit_nodes()
    inst, rel = relaxation(p, require)
    keep = rel.arcs_below(5300)
    used = {inst.node_code(c) for c, _ in keep}
    assert used >= {"S-A", "S-B", "S-C", "S-D"}


@pytest.mark.parametrize("seed", range(6))
def test_the_lp_step_of_mid_orders_makes_only_true_claims(seed):
    # Mid orders (3-8 lines, 10-40 nodes, up to 60 units a line) reach the LP step; every claim
    # of the answer is checked against the plain MIP reference.
    p = random_problem(seed, "mid")
    ref = plain_mip.optimum(p, time_limit=120)
    plan = solve(p, time_limit_ms=120_000, work_limit=170_000, explain_plan=False)
    found = checks.plan_problems(p, plan, None if ref is None else ref.cost)
    assert not found, found

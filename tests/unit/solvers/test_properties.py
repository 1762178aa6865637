"""Every solver path against the independent reference (benchmarks/reference) on
random orders covering every feature (hypothesis, derandomised, bounded): the optimal
strategy's every claim - status, cost, bound, constraints, money, explanation - and each exact
method's path (issue 31 item 5: an INFEASIBLE answer is checked too, never skipped)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from omnialloc.solvers import STRATEGIES, PlanStatus, solve
from omnialloc.solvers.budget import Budget
from omnialloc.solvers.instance import compile_problem
from omnialloc.solvers.mip import solve_mip

from benchmarks.reference import checks, exhaustive
from benchmarks.reference.generator import problems

# Generous wall clock: these assert exact answers and determinism, which hold whenever the
# wall-clock safety net does not fire (a CI box can be very busy).
WALL_MS = 120_000
CASES = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
PATHS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def optimum(p):
    r = exhaustive.optimum(p)
    return None if r is None else r.cost


def assert_right(p, plan, expected, forced=None):
    problems_found = checks.plan_problems(p, plan, expected, forced)
    assert not problems_found, problems_found


@CASES
@given(problems("tiny"))
def test_every_claim_of_the_optimal_plan_holds(p):
    assert_right(p, solve(p, time_limit_ms=WALL_MS), optimum(p), checks.exhaustive_forced(p))


@CASES
@given(problems("small"))
def test_every_claim_holds_on_more_lines_and_nodes(p):
    assert_right(p, solve(p, time_limit_ms=WALL_MS), optimum(p), checks.exhaustive_forced(p))


@PATHS
@given(problems("deep"))
def test_every_claim_holds_with_deeper_quantities(p):
    assert_right(p, solve(p, time_limit_ms=WALL_MS), optimum(p), checks.exhaustive_forced(p))


@pytest.mark.parametrize("method", ["dp", "colgen", "mip"])
@PATHS
@given(p=problems("small"))
def test_each_exact_path_equals_the_reference(method, p):
    plan = solve(p, method=method, time_limit_ms=WALL_MS, explain_plan=False)
    expected = optimum(p)
    assert_right(p, plan, expected)
    if expected is not None:
        assert plan.status == PlanStatus.OPTIMAL, (method, plan.status, plan.reason)


@PATHS
@given(problems("small"))
def test_the_mip_model_alone_finds_the_reference_optimum(p):
    inst = compile_problem(p)
    expected = optimum(p)
    if inst.infeasible_reason or inst.n_cand == 0:
        # Nothing can ship: no model to solve; the reference agrees that only the plan that
        # ships nothing (partial fill) or none at all is left.
        assert expected in (None, p.unfilled_penalty_paise_per_unit * sum(ln.qty for ln in p.lines))
        return
    res = solve_mip(inst, np.arange(inst.n_cand), None, inst.kmax, Budget.unlimited())
    assert res.proven
    got = None if res.sol is None else res.sol.cost
    if inst.partial:
        nothing = inst.pen * int(inst.q.sum())
        got = nothing if got is None else min(got, nothing)
    assert got == expected


@CASES
@given(problems("small"))
def test_the_optimal_plan_is_never_costlier_than_any_baseline_and_baselines_are_valid(p):
    best = solve(p, time_limit_ms=WALL_MS, explain_plan=False)
    for s in STRATEGIES[1:]:
        other = solve(p, s, explain_plan=False)
        if other.status != PlanStatus.INFEASIBLE:
            assert not checks.validity_problems(p, other), (s, checks.validity_problems(p, other))
            assert best.status != PlanStatus.INFEASIBLE and best.objective_paise <= other.objective_paise, s


@PATHS
@given(problems("small"))
def test_same_input_gives_an_identical_plan(p):
    for s in STRATEGIES:
        assert solve(p, s, time_limit_ms=WALL_MS).to_dict() == solve(p, s, time_limit_ms=WALL_MS).to_dict()


def test_the_reference_methods_agree_with_each_other():
    # The exhaustive search and the plain MIP are written independently of each other too.
    from benchmarks.reference import plain_mip
    from benchmarks.reference.generator import random_problem

    for seed in range(40):
        p = random_problem(seed, "small")
        a, b = exhaustive.optimum(p), plain_mip.optimum(p)
        assert (None if a is None else a.cost) == (None if b is None else b.cost), seed
        code = p.nodes[seed % len(p.nodes)].code
        a, b = exhaustive.optimum(p, forced=code), plain_mip.optimum(p, forced=code)
        assert (None if a is None else a.cost) == (None if b is None else b.cost), (seed, code)

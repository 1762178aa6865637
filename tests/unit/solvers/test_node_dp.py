"""The enumeration's node DP (issue 21, typical orders' slow tail): exact over every plan, and
with a node forced, over every plan in which that node ships (node by node, and for every node
at once: `forced_all`, the explanation's pricing); checked against the exhaustive search of
benchmarks/reference on random orders of every feature (bonuses, partial fill, shipment caps,
keep-together, minimum value), with the partition search's answer beside it."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from omnialloc.solvers import enumerate as enum_mod
from omnialloc.solvers import solve
from omnialloc.solvers.budget import Budget
from omnialloc.solvers.costs import INF
from omnialloc.solvers.instance import Instance, compile_problem

from benchmarks.reference import exhaustive
from benchmarks.reference.generator import problems, random_problem

CASES = settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _tables(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    Q = enum_mod._contents(tuple(int(x) for x in inst.q))
    cost_cn, lane_cn = inst.node_costs(Q)
    if inst.partial:
        unf = np.where(inst.group_ok(Q), inst.pen * Q.sum(axis=1), INF)
    else:
        unf = np.full(len(Q), INF, dtype=np.int64)
    return Q, cost_cn, lane_cn, unf


def _check(p) -> None:
    inst = compile_problem(p)
    if inst.infeasible_reason or not enum_mod.applicable(inst):
        return
    ref = exhaustive.optimum(p)
    Q, cost_cn, lane_cn, unf = _tables(inst)
    sol = enum_mod._node_dp(inst, Q, cost_cn, lane_cn, unf)
    nothing = int(inst.pen * inst.q.sum()) if inst.partial else None
    costs = [c for c in (None if sol is None else sol.cost, nothing) if c is not None]
    assert (min(costs) if costs else None) == (None if ref is None else ref.cost)
    if sol is not None:
        assert sol.ships, "the node DP's plan ships"
    every = enum_mod.forced_all(inst, cost_cn, unf, Budget.unlimited())
    assert every is not None
    for c in range(inst.n_cand):
        forced = exhaustive.optimum(p, forced=inst.node_code(c))
        want = None if forced is None else forced.cost
        got = enum_mod.forced_node_dp(inst, cost_cn, unf, c)
        assert got == want, inst.node_code(c)
        assert (None if every[c] >= INF else int(every[c])) == want, ("all nodes at once", inst.node_code(c))


@given(p=problems("tiny"))
@CASES
def test_node_dp_is_exact_tiny(p):
    _check(p)


@given(p=problems("small"))
@CASES
def test_node_dp_is_exact_small(p):
    _check(p)


@given(p=problems("deep"))
@CASES
def test_node_dp_is_exact_deep(p):
    _check(p)


@pytest.mark.parametrize("shape,seed", [(s, i) for s in ("typical",) for i in (402, 476, 862, 543, 713, 840)])
def test_node_dp_on_slow_typical_orders(shape, seed):
    """The orders whose partitions took 3-20 ms: the enumeration (node DP behind it) and the
    exhaustive search agree."""
    p = random_problem(seed, shape)
    inst = compile_problem(p)
    sol, _ = enum_mod.solve_enumeration(inst)
    ref = exhaustive.optimum(p, max_states=20_000_000)
    assert (None if sol is None else sol.cost) == (None if ref is None else ref.cost)


# Typical orders under a shipment cap of 1 (partial fill), 2 and 3 (the cap's three cases in
# `forced_all`), and without one.
CAPPED = (712, 840, 190, 805, 240, 713, 204, 27, 48, 666, 402, 476)


@pytest.mark.parametrize("seed", CAPPED)
def test_every_node_at_once_equals_node_by_node(seed):
    p = random_problem(seed, "typical")
    inst = compile_problem(p)
    Q, cost_cn, _, unf = _tables(inst)
    every = enum_mod.forced_all(inst, cost_cn, unf, Budget.unlimited())
    assert every is not None
    for c in range(inst.n_cand):
        one = enum_mod.forced_node_dp(inst, cost_cn, unf, c)
        assert (None if every[c] >= INF else int(every[c])) == one, inst.node_code(c)


@pytest.mark.parametrize("seed", CAPPED)
def test_the_explanation_prices_every_node_exactly_within_its_budget(seed):
    """Issue 21: node-by-node pricing ran out of the explanation's 2,000 work units on these
    orders (shipment caps: 0-5 of 5-23 nodes exact); every node is priced exactly now, at the
    best plan forced to use it."""
    p = random_problem(seed, "typical")
    plan = solve(p)
    inst = compile_problem(p)
    _, cost_cn, _, unf = _tables(inst)
    code_to_c = {inst.node_code(c): c for c in range(inst.n_cand)}
    priced = [e for e in plan.explanation if e.code in ("costlier", "cheaper", "unusable", "not_priced")]
    assert priced
    for e in priced:
        assert e.exact, (e.node, e.code, e.text)
        want = enum_mod.forced_node_dp(inst, cost_cn, unf, code_to_c[e.node])
        if want is None:
            assert e.code == "unusable"
        else:
            assert e.extra_cost_paise == want - plan.objective_paise, e.node


def _has_plan_agrees(p) -> None:
    inst = compile_problem(p)
    if inst.infeasible_reason or not enum_mod.applicable(inst):
        return
    sol, _ = enum_mod.solve_enumeration(inst)
    assert enum_mod.has_plan(inst) == (sol is not None)


@given(p=problems("small"))
@CASES
def test_has_plan_answers_as_the_enumeration_small(p):
    _has_plan_agrees(p)


@given(p=problems("deep"))
@CASES
def test_has_plan_answers_as_the_enumeration_deep(p):
    _has_plan_agrees(p)


def test_partitions_generated_in_batches_equal_the_recursive_listing():
    """The batched generation (a process's first typical order of each quantity vector paid
    the recursion: 3.3 ms for (3, 3, 3)) lists the same partitions in the same order, which
    decides ties between equally cheap plans; None (too many) where it said None."""
    import itertools

    for n in range(1, 5):
        for q in itertools.product(range(0, 8), repeat=n):
            if sum(q) == 0 or np.prod(np.array(q) + 1) > enum_mod._BATCHED_CONTENTS:
                continue
            got = enum_mod._partitions_batched(q)
            if got is not None and len(got) > enum_mod.MAX_PARTITIONS:
                got = None
            want = enum_mod._partitions_recursive(q)
            assert (got is None) == (want is None), q
            assert got is None or np.array_equal(got, want), q

"""The enumeration's node DP (issue 21, typical orders' slow tail): exact over every plan, and
with a node forced, over every plan in which that node ships; checked against the exhaustive
search of benchmarks/reference on random orders of every feature (bonuses, partial fill,
shipment caps, keep-together, minimum value), with the partition search's answer beside it."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from omnialloc.solvers import enumerate as enum_mod
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
    for c in range(inst.n_cand):
        forced = exhaustive.optimum(p, forced=inst.node_code(c))
        got = enum_mod.forced_node_dp(inst, cost_cn, unf, c)
        assert got == (None if forced is None else forced.cost), inst.node_code(c)


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

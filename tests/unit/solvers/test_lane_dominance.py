"""The lanes `compile_problem` keeps at each candidate node: exactly the serviceable lanes no other lane of the
node dominates (docs: `instance._undominated`), checked against the definition written out here on random
orders with equal lanes, COD terms, weight limits, slab sizes, bonuses and lateness."""

from __future__ import annotations

import random

import pytest

from omnialloc.solvers import AllocationProblem
from omnialloc.solvers.instance import compile_problem

NO_LIMIT = 1 << 40


def _terms(p: AllocationProblem, j: int) -> tuple[int, ...]:
    """Lane j's "smaller is better" terms for this order (the same slab size is compared apart)."""
    x = p.lanes[j]
    late = 0 if p.promised_days is None else max(0, x.sla_days - p.promised_days) * p.lateness_penalty_paise_per_day
    cod = 1 if p.is_cod else 0
    return (x.first_slab_paise, x.additional_slab_paise, -x.volumetric_divisor,
            -(NO_LIMIT if x.max_weight_g is None else x.max_weight_g),
            late + x.sla_days * p.speed_paise_per_day - x.bonus_paise, x.cod_fixed_paise * cod,
            x.cod_percent_bp * cod)


def _expected(p: AllocationProblem, lanes: list[int]) -> list[int]:
    """The lanes (of one node, in the order added) that no other lane is at least as good as on every term,
    and better on one or equal and added earlier."""
    kept = []
    for b in lanes:
        tb = _terms(p, b)
        beaten = False
        for a in lanes:
            if a == b or p.lanes[a].slab_g != p.lanes[b].slab_g:
                continue
            ta = _terms(p, a)
            if all(x <= y for x, y in zip(ta, tb)) and (ta != tb or a < b):
                beaten = True
        if not beaten:
            kept.append(b)
    return kept


def _random_order(rng: random.Random) -> AllocationProblem:
    p = AllocationProblem("dom", payment_mode=rng.choice(["PREPAID", "COD"]),
                          promised_days=rng.choice([None, 1, 3]), sla_policy="soft",
                          lateness_penalty_paise_per_day=rng.choice([0, 1_000, 10_000_000]),
                          speed_paise_per_day=rng.choice([0, 300]))
    p.add_line("1", "S1", rng.randint(1, 3), rng.choice([100, 700]), 1_000)
    for n in range(rng.randint(1, 6)):
        p.add_node(f"N{n}", 10.0 * n, 0, None, 0, "warehouse", {"S1": 5})
        for c in range(rng.randint(1, 6)):
            p.add_lane(f"N{n}", f"C{c}", "A", rng.choice([3_000, 4_000]), rng.choice([1_000, 2_000]),
                       slab_g=rng.choice([500, 500, 1_000]), cod_fixed_paise=rng.choice([0, 3_000]),
                       cod_percent_bp=rng.choice([0, 150]), max_weight_g=rng.choice([None, 20_000, 30_000]),
                       sla_days=rng.choice([1, 2, 4]), volumetric_divisor=rng.choice([4_000, 5_000]),
                       bonus_paise=rng.choice([0, 0, 500]))
    return p


@pytest.mark.parametrize("seed", range(4))
def test_compiled_lanes_are_exactly_the_undominated_ones(seed):
    rng = random.Random(seed)
    for _ in range(250):
        p = _random_order(rng)
        inst = compile_problem(p)
        kept = [int(j) for j in inst.lane_src]
        want = []
        for i in inst.cand:
            code = p.nodes[int(i)].code
            want += _expected(p, [j for j, lane in enumerate(p.lanes) if lane.node == code])
        assert kept == want

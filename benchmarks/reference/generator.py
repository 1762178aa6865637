"""Random single orders covering every feature of the problem, in several shapes.

Features: COD (fixed and percentage fees, carriers without COD), partial stock, node capacity
0 / 1, carrier weight limits, volumetric weight, hard and soft SLA with lateness, no-split
(at most 1 shipment), at most K shipments, keep-together groups (overlapping ones too), minimum
shipment value, partial fill with cheap or dear unfilled units, lookahead prices, node and lane
bonuses, negative node priorities, rate cards whose additional slab costs more than the first
slab plus handling, routing and shipping rules that forbid a node or a carrier, SKUs shared by
two lines, distance and priority weights.

One function builds an order from a `Picker` (where the random choices come from): hypothesis
draws them in the tests (so failures shrink), a seeded `random.Random` in the benchmark (so a
run is reproducible from its seed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from omnialloc.solvers import AllocationProblem


class Picker:
    """Random choices from a `random.Random`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def int(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent


class HypothesisPicker(Picker):
    """Random choices drawn by hypothesis (`st.data()`), so failing orders shrink."""

    def __init__(self, data) -> None:
        from hypothesis import strategies as st

        self.data, self.st = data, st

    def int(self, lo: int, hi: int) -> int:
        return self.data.draw(self.st.integers(lo, hi))

    def choice(self, seq):
        return self.data.draw(self.st.sampled_from(list(seq)))

    def chance(self, percent: int) -> bool:
        return self.data.draw(self.st.integers(0, 99)) < percent


@dataclass(frozen=True)
class Shape:
    name: str
    lines: tuple[int, int]
    qty: tuple[int, int]
    nodes: tuple[int, int]
    carriers: tuple[int, int]
    policies: bool = True  # split policies, SLA, COD, partial fill, bonuses, prices ...


SHAPES = {
    # small enough for the exhaustive reference
    "tiny": Shape("tiny", (1, 3), (1, 3), (1, 5), (0, 3)),
    "small": Shape("small", (2, 5), (1, 3), (3, 8), (1, 3)),
    "deep": Shape("deep", (1, 3), (2, 8), (2, 6), (1, 3)),
    # the classes (the benchmark's plain-MIP reference)
    "typical": Shape("typical", (1, 3), (1, 3), (2, 30), (1, 4)),
    "mid": Shape("mid", (3, 8), (1, 60), (10, 40), (1, 4)),
    "large": Shape("large", (10, 10), (1, 4), (100, 100), (4, 4), policies=False),
}


def make_problem(pick: Picker, shape: Shape, order_id: str = "R-1") -> AllocationProblem:
    pol = shape.policies
    promised = pick.choice([None, 1, 2, 3, 5]) if pol else None
    n_lines = pick.int(*shape.lines)
    p = AllocationProblem(
        order_id,
        payment_mode="COD" if pol and pick.chance(35) else "PREPAID",
        promised_days=promised,
        sla_policy=pick.choice(["hard", "soft"]),
        lateness_penalty_paise_per_day=pick.choice([0, 500, 3000]),
        allow_partial=pol and pick.chance(30),
        unfilled_penalty_paise_per_unit=pick.choice([0, 800, 6000, 50_000, 300_000]),
        split_penalty_paise=pick.choice([0, 0, 500, 2000, 8000]),
        max_shipments=(pick.choice([None, None, None, 1, 2, 3]) if pol else None),
        min_shipment_value_paise=(pick.choice([0, 0, 0, 20_000, 150_000]) if pol else 0),
        distance_weight_paise_per_km=pick.choice([0, 0, 1, 3]),
        priority_weight_paise=pick.choice([0, 0, 100, 2500]) if pol else 0,
    )
    skus = [f"S{i}" for i in range(n_lines)]
    for i in range(n_lines):
        # Now and then two lines share a SKU (stock is shared between them).
        sku = skus[i - 1] if i and pick.chance(10) else skus[i]
        p.add_line(
            f"L{i + 1}", sku, pick.int(*shape.qty),
            pick.choice([0, 150, 400, 900, 2500, 7000]),
            pick.choice([5_000, 30_000, 90_000, 400_000]),
            pick.choice([0, 0, 0, 900_000, 9_000_000]),
        )
    if pol and n_lines >= 2 and pick.chance(20):
        a = pick.int(1, n_lines - 1)
        groups = [{f"L{a}", f"L{a + 1}"}]
        if n_lines >= 3 and pick.chance(30):
            b = pick.int(1, n_lines - 1)
            groups.append({f"L{b}", f"L{b + 1}"})  # may overlap the first: merged
        p.keep_together = [frozenset(g) for g in groups]
    qmax = {ln.sku: 0 for ln in p.lines}
    for ln in p.lines:
        qmax[ln.sku] += ln.qty
    n_nodes = pick.int(*shape.nodes)
    for n in range(n_nodes):
        code = f"N{n + 1}"
        stock = {}
        for sku, need in qmax.items():
            kind = pick.int(0, 9)
            # none, partial, exactly enough, plenty
            stock[sku] = 0 if kind < 3 else pick.int(1, max(need - 1, 1)) if kind < 6 else need if kind < 8 else need + pick.int(1, 20)
        handling = pick.choice([0, 1200, 2500, 4000])
        p.add_node(
            code,
            float(pick.int(0, 2500)),
            handling,
            pick.choice([None] * 8 + [0, 1]) if pol else None,
            pick.int(-3, 10) if pol else pick.int(1, 10),
            pick.choice(["warehouse", "store", "dark_store"]),
            stock,
            forbidden_reason="routing rule" if pol and pick.chance(5) else None,
            bonus_paise=pick.choice([0, 0, 0, 1500, 6000]) if pol else 0,
            penalty_paise=pick.choice([0, 0, 0, 2000]) if pol else 0,
            unit_prices_paise={s: pick.choice([0, 300, 2500]) for s in qmax} if pol and pick.chance(20) else {},
        )
        for k in range(pick.int(*shape.carriers)):
            first = pick.choice([2950, 3300, 4010, 5660])
            # Mostly a usual card; now and then one whose additional slab costs more than the
            # first slab plus handling (a negative per-shipment floor).
            add = first + handling + pick.choice([100, 3000]) if pol and pick.chance(10) else first * pick.choice([6, 8, 10]) // 10
            p.add_lane(
                code, f"C{k + 1}", pick.choice("ABCDE"), first, add,
                slab_g=pick.choice([500, 500, 1000, 250]),
                cod_fixed_paise=pick.choice([0, 3500]),
                cod_percent_bp=pick.choice([0, 150, 250]),
                max_weight_g=pick.choice([None, None, None, 1000, 5000, 20000]),
                sla_days=pick.int(1, 6),
                cod_allowed=not pick.chance(15),
                volumetric_divisor=pick.choice([4000, 5000]),
                bonus_paise=pick.choice([0, 0, 0, 800, 5000]) if pol else 0,
                forbidden_reason="shipping rule" if pol and pick.chance(5) else None,
            )
    return p


def random_problem(seed: int, shape: str) -> AllocationProblem:
    """Order number `seed` of a shape, reproducible (the benchmark's generator)."""
    return make_problem(Picker(random.Random(f"{shape}:{seed}")), SHAPES[shape], f"{shape}-{seed}")


def problems(shape: str = "tiny"):
    """Hypothesis strategy: orders of a shape (see SHAPES), every choice drawn by hypothesis."""
    from hypothesis import strategies as st

    @st.composite
    def build(draw):
        return make_problem(HypothesisPicker(draw(st.data())), SHAPES[shape], f"H-{shape}")

    return build()

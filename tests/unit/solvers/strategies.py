"""Hypothesis strategy: tiny random orders covering every policy knob, small
enough for the brute-force reference (<= 3 lines of <= 3 units, <= 3 nodes,
<= 2 carriers per node)."""

from __future__ import annotations

from hypothesis import strategies as st

from omnialloc.solvers import AllocationProblem


@st.composite
def tiny_problems(draw, max_lines=3, max_nodes=3):
    # Biased towards servable orders: infeasibility has its own named tests.
    promised = draw(st.one_of(st.none(), st.integers(2, 5)))
    p = AllocationProblem(
        "H-1",
        payment_mode=draw(st.sampled_from(["PREPAID", "COD"])),
        promised_days=promised,
        sla_policy=draw(st.sampled_from(["hard", "soft"])),
        lateness_penalty_paise_per_day=draw(st.integers(0, 100)),
        allow_partial=draw(st.booleans()),
        unfilled_penalty_paise_per_unit=draw(st.integers(0, 600)),
        split_penalty_paise=draw(st.integers(0, 200)),
        max_shipments=draw(st.one_of(st.none(), st.integers(1, 3))),
        min_shipment_value_paise=draw(st.sampled_from([0, 0, 0, 500, 1500])),
        distance_weight_paise_per_km=draw(st.integers(0, 3)),
        priority_weight_paise=draw(st.integers(0, 20)),
    )
    n_lines = draw(st.integers(1, max_lines))
    for i in range(n_lines):
        p.add_line(
            f"L{i + 1}",
            draw(st.sampled_from(["A", "B", "C"])),
            draw(st.integers(1, 3)),
            draw(st.integers(0, 12)) * 100,
            draw(st.integers(1, 20)) * 100,
            draw(st.sampled_from([0, 0, 0, 2_000_000, 6_000_000])),
        )
    if n_lines >= 2 and draw(st.integers(0, 4)) == 0:
        p.keep_together = [frozenset({"L1", "L2"})]
    for n in range(draw(st.integers(1, max_nodes))):
        code = f"N{n + 1}"
        p.add_node(
            code,
            float(draw(st.integers(0, 100))),
            draw(st.integers(0, 200)),
            draw(st.sampled_from([None] * 8 + [1, 0])),
            draw(st.integers(1, 3)),
            "warehouse",
            {s: draw(st.sampled_from([1, 2, 3, 3, 0])) for s in "ABC"},
            forbidden_reason=draw(st.sampled_from([None] * 9 + ["rule"])),
            bonus_paise=draw(st.sampled_from([0, 0, 50])),
            penalty_paise=draw(st.sampled_from([0, 0, 40])),
            unit_prices_paise={s: draw(st.sampled_from([0, 0, 30])) for s in "ABC"},
        )
        for k in range(draw(st.sampled_from([1, 1, 1, 1, 2, 2, 2, 2, 0]))):
            p.add_lane(
                code,
                f"C{k + 1}",
                "A",
                draw(st.integers(50, 300)),
                draw(st.integers(20, 200)),
                slab_g=draw(st.sampled_from([500, 500, 1000])),
                cod_fixed_paise=draw(st.sampled_from([0, 35, 100])),
                cod_percent_bp=draw(st.sampled_from([0, 150, 250])),
                max_weight_g=draw(st.sampled_from([None, None, 800, 2000])),
                sla_days=draw(st.integers(1, 5)),
                cod_allowed=draw(st.sampled_from([True] * 5 + [False])),
                volumetric_divisor=draw(st.sampled_from([4000, 5000])),
                bonus_paise=draw(st.sampled_from([0, 0, 20])),
                forbidden_reason=draw(st.sampled_from([None, None, None, None, None, "rule"])),
            )
    return p

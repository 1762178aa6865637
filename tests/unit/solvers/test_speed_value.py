"""The value of a day of delivery (issue 24): `speed_paise_per_day` trades freight for speed.

One node, two lanes: a slow cheap one (6 days, Rs 40) and a fast dear one (2 days, Rs 70). The fast lane
saves 4 days for Rs 30 more, so it wins exactly when a day is worth more than Rs 7.50 (750 paise); the
brute force here is that arithmetic, not the solver's.
"""

from __future__ import annotations

import pytest

from omnialloc.solvers import AllocationProblem, solve

SLOW, FAST = ("ECO", 4000, 6), ("XPR", 7000, 2)


def _problem(per_day: int, strategy_promise: int | None = None) -> AllocationProblem:
    p = AllocationProblem("o1", speed_paise_per_day=per_day, promised_days=strategy_promise)
    p.add_line("1", "SKU", 1, 400, 100_000)
    p.add_node("N1", distance_km=10.0, handling_cost_paise=0, stock={"SKU": 5})
    for carrier, first, days in (SLOW, FAST):
        p.add_lane("N1", carrier, "C", first_slab_paise=first, additional_slab_paise=first, sla_days=days)
    return p


@pytest.mark.parametrize("per_day", [0, 100, 700, 750, 800, 5_000])
def test_the_faster_lane_wins_once_a_day_is_worth_what_it_costs(per_day):
    plan = solve(_problem(per_day), "optimal")
    (shipment,) = plan.shipments
    slow_total = SLOW[1] + per_day * SLOW[2]
    fast_total = FAST[1] + per_day * FAST[2]
    expected = "XPR" if fast_total < slow_total else "ECO"
    if fast_total == slow_total:
        assert shipment.carrier in ("ECO", "XPR")
    else:
        assert shipment.carrier == expected
    assert shipment.costs.shipping == (FAST if shipment.carrier == "XPR" else SLOW)[1]
    assert shipment.costs.lateness == per_day * shipment.sla_days


def test_a_negative_value_is_refused():
    with pytest.raises(ValueError):
        AllocationProblem("o1", speed_paise_per_day=-1)

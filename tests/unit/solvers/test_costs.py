"""Carrier arithmetic: slabs, volumetric weight and COD fee, hand-checked."""

import numpy as np

from omnialloc.solvers import costs, solve

from .builders import lane, node, order


def one_line_plan(weight_g, *, volume_mm3=0, value=10_000, cod=False, lane_kw=None):
    p = order(payment_mode="COD" if cod else "PREPAID")
    p.add_line("L1", "A", 1, weight_g, value, volume_mm3)
    node(p, "N1", {"A": 1})
    lane(p, "N1", first=2950, add=2360, **(lane_kw or {}))
    return solve(p)


def test_a_parcel_up_to_one_slab_pays_the_first_slab_only():
    plan = one_line_plan(500)
    assert plan.shipments[0].slabs == 1
    assert plan.objective_paise == 2950


def test_one_gram_over_a_slab_boundary_pays_another_additional_slab():
    plan = one_line_plan(1001)  # 1001 g -> 3 slabs of 500 g
    assert plan.shipments[0].slabs == 3
    assert plan.shipments[0].costs.shipping == 2950 + 2 * 2360


def test_a_weightless_parcel_still_pays_the_first_slab():
    assert one_line_plan(0).objective_paise == 2950


def test_volumetric_weight_is_billed_when_above_actual_weight():
    # 400 x 300 x 100 mm = 12,000,000 mm^3 / 5000 = 2400 g -> 5 slabs.
    plan = one_line_plan(200, volume_mm3=400 * 300 * 100)
    s = plan.shipments[0]
    assert (s.actual_weight_g, s.billed_weight_g, s.slabs) == (200, 2400, 5)
    assert s.costs.shipping == 2950 + 4 * 2360


def test_volumetric_divisor_is_per_lane():
    plan = one_line_plan(200, volume_mm3=12_000_000, lane_kw={"volumetric_divisor": 6000})
    assert plan.shipments[0].billed_weight_g == 2000  # 12e6 / 6000


def test_actual_weight_is_billed_when_above_volumetric():
    plan = one_line_plan(3000, volume_mm3=1_000_000)  # 200 g volumetric
    assert plan.shipments[0].billed_weight_g == 3000


def test_cod_fee_is_the_fixed_fee_when_the_percentage_is_lower():
    # Rs 1000 at 2 % = Rs 20 < Rs 35.
    plan = one_line_plan(400, value=100_000, cod=True, lane_kw={"cod_fixed_paise": 3500, "cod_percent_bp": 200})
    assert plan.shipments[0].costs.cod == 3500


def test_cod_fee_is_the_percentage_when_higher_than_the_fixed_fee():
    # Rs 5000 at 2 % = Rs 100.
    plan = one_line_plan(400, value=500_000, cod=True, lane_kw={"cod_fixed_paise": 3500, "cod_percent_bp": 200})
    assert plan.shipments[0].costs.cod == 10_000


def test_cod_percentage_rounds_half_up_to_the_paisa():
    assert costs.cod_fee(12_345, 0, 150) == 185  # 185.175
    assert costs.cod_fee(100, 0, 50) == 1  # exactly 0.5 paise
    assert costs.cod_fee(99, 0, 50) == 0  # 0.495


def test_prepaid_orders_pay_no_cod_fee():
    plan = one_line_plan(400, value=500_000, cod=False, lane_kw={"cod_fixed_paise": 3500, "cod_percent_bp": 200})
    assert plan.shipments[0].costs.cod == 0


def test_cod_fee_is_charged_on_each_shipment_on_the_value_it_carries():
    p = order(payment_mode="COD")
    p.add_line("L1", "A", 1, 400, 500_000)  # Rs 5000 -> 2 % = Rs 100
    p.add_line("L2", "B", 1, 400, 100_000)  # Rs 1000 -> fixed Rs 35
    for code, sku in (("N1", "A"), ("N2", "B")):
        node(p, code, {sku: 1})
        lane(p, code, first=2950, add=2360, cod_fixed_paise=3500, cod_percent_bp=200)
    plan = solve(p)
    cod = {s.node: s.costs.cod for s in plan.shipments}
    assert cod == {"N1": 10_000, "N2": 3500}


def test_vectorised_slab_arithmetic_matches_the_formula():
    grams = np.array([0, 1, 500, 501, 1000, 1001, 12_345])
    assert costs.slab_count(grams, 500).tolist() == [1, 1, 1, 2, 2, 3, 25]
    assert costs.carrier_charge(np.array([1, 3]), 2950, 2360).tolist() == [2950, 2950 + 2 * 2360]

"""Courier arithmetic: slabs, volumetric weight, COD, RTO and reverse, all in integers."""

import pytest

from omnialloc.domain.enums import Zone
from omnialloc.domain.logistics import RateCard
from omnialloc.domain.network import Sku
from omnialloc.logistics import (
    billed_weight_g,
    cod_fee_paise,
    forward_charge_paise,
    parcel_weight_g,
    quote,
    reverse_charge_paise,
    rto_charge_paise,
    slab_count,
    volumetric_weight_g,
)

# Zone D of a typical published card: Rs 45.40 first 500 g, Rs 44.80 each extra, COD Rs 35 or 2%.
CARD = RateCard("XB", Zone.D, first_slab_paise=4540, additional_slab_paise=4480,
                cod_fixed_paise=3500, cod_percent_bp=200, rto_multiplier_pct=100, reverse_multiplier_pct=120)


@pytest.mark.parametrize("billed, slabs", [(0, 1), (1, 1), (499, 1), (500, 1), (501, 2), (1000, 2), (1001, 3), (2500, 5)])
def test_slabs_round_up_to_500_g_and_never_below_one(billed, slabs):
    assert slab_count(billed) == slabs


def test_forward_charge_is_first_slab_plus_additional_slabs():
    assert forward_charge_paise(CARD, 400) == 4540
    assert forward_charge_paise(CARD, 1200) == 4540 + 2 * 4480


def test_volumetric_weight_is_cubic_cm_over_5000_in_kg():
    # 40 x 30 x 20 cm = 24,000 cm^3 / 5000 = 4.8 kg
    assert volumetric_weight_g(400 * 300 * 200) == 4800


def test_volumetric_weight_rounds_up_to_the_gram():
    assert volumetric_weight_g(5001) == 2


def test_bulky_light_parcel_is_billed_on_volume():
    assert billed_weight_g(1200, 400 * 300 * 200) == 4800


def test_small_heavy_parcel_is_billed_on_actual_weight():
    assert billed_weight_g(2000, 100 * 100 * 100) == 2000


def test_cod_fee_is_the_fixed_fee_on_a_small_order():
    assert cod_fee_paise(CARD, 100_000) == 3500      # 2% of Rs 1000 = Rs 20 < Rs 35


def test_cod_fee_is_the_percentage_on_a_large_order():
    assert cod_fee_paise(CARD, 500_000) == 10_000    # 2% of Rs 5000 = Rs 100


def test_cod_percentage_rounds_half_up_to_the_paisa():
    card = RateCard("XB", Zone.D, 4540, 4480, cod_fixed_paise=0, cod_percent_bp=150)
    assert cod_fee_paise(card, 100) == 2              # 1.5 paise -> 2
    assert cod_fee_paise(card, 99) == 1               # 1.485 paise -> 1


def test_rto_and_reverse_use_the_card_multipliers():
    assert rto_charge_paise(CARD, 400) == 4540
    assert reverse_charge_paise(CARD, 400) == 5448   # 120% of Rs 45.40


def test_parcel_weight_sums_units_and_bills_the_heavier():
    pillow = Sku("P", "Pillow", "home", 600, 500, 350, 150, 99_900)   # 26.25 l -> 5250 g volumetric
    actual, volume, billed = parcel_weight_g([(pillow, 2)])
    assert (actual, billed) == (1200, 10_500)


def test_quote_adds_cod_only_when_cash_is_collected():
    assert quote(CARD, 400, 0).total_paise == 4540
    assert quote(CARD, 400, 0, cod_value_paise=100_000).total_paise == 4540 + 3500


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_weights_must_be_non_negative_integers(bad):
    with pytest.raises(ValueError):
        slab_count(bad)


from hypothesis import given, strategies as st  # noqa: E402


@given(st.integers(0, 100_000), st.integers(0, 100_000))
def test_heavier_parcel_never_costs_less(a, b):
    lo, hi = sorted((a, b))
    assert forward_charge_paise(CARD, lo) <= forward_charge_paise(CARD, hi)


@given(st.integers(0, 50_000), st.integers(0, 10**9))
def test_billed_weight_is_at_least_actual_and_volumetric(actual, volume):
    billed = billed_weight_g(actual, volume)
    assert billed >= actual and billed >= volumetric_weight_g(volume)
    assert billed in (actual, volumetric_weight_g(volume))

"""GST arithmetic against a reference written here with exact fractions.

The reference takes the law's words literally: for a tax-inclusive price the taxable value is
price / (1 + rate), each tax component is the taxable value times its share of the rate, and a
component is rounded half up to the paisa; for a tax-exclusive price the component is the price
times its share of the rate, rounded half up. Nothing of ``domain.gst`` is reused to compute it.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnialloc.domain.errors import ValidationFailed
from omnialloc.domain.gst import (
    GST_CODE_OF_STATE, line_tax, normalize_gstin, rate_bp, split_invoice, state_of_gstin,
)

amounts = st.integers(min_value=0, max_value=10**12)          # up to Rs 1,000 crore a line
rates = st.one_of(st.sampled_from([0, 25, 300, 500, 1200, 1800, 2800, 4000]), st.integers(0, 10_000))


def half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def reference_component(amount: int, rate: int, share: Fraction, inclusive: bool) -> int:
    r = Fraction(rate, 10_000)
    taxable = Fraction(amount) / (1 + r) if inclusive else Fraction(amount)
    return half_up(taxable * r * share)


@given(amounts, rates)
def test_inclusive_price_is_split_exactly_into_taxable_value_and_tax(amount, rate):
    for intra in (True, False):
        line = line_tax(amount, rate, intra_state=intra, tax_inclusive=True)
        assert line.taxable_paise + line.tax_paise == amount
        assert line.total_paise == amount


@given(amounts, rates)
def test_intra_state_pays_equal_cgst_and_sgst_and_no_igst(amount, rate):
    for inclusive in (True, False):
        line = line_tax(amount, rate, intra_state=True, tax_inclusive=inclusive)
        assert line.cgst_paise == line.state_tax_paise == reference_component(amount, rate, Fraction(1, 2), inclusive)
        assert line.igst_paise == 0


@given(amounts, rates)
def test_inter_state_pays_igst_only(amount, rate):
    for inclusive in (True, False):
        line = line_tax(amount, rate, intra_state=False, tax_inclusive=inclusive)
        assert line.igst_paise == reference_component(amount, rate, Fraction(1), inclusive)
        assert line.cgst_paise == line.state_tax_paise == 0


@given(amounts, rates)
def test_exclusive_price_is_the_taxable_value_and_tax_comes_on_top(amount, rate):
    for intra in (True, False):
        line = line_tax(amount, rate, intra_state=intra, tax_inclusive=False)
        assert line.taxable_paise == amount
        assert line.total_paise == amount + line.tax_paise


@given(amounts, rates)
def test_taxable_value_of_an_inclusive_price_is_within_a_paisa_per_component_of_exact(amount, rate):
    exact = Fraction(amount) / (1 + Fraction(rate, 10_000))
    assert abs(line_tax(amount, rate, intra_state=False).taxable_paise - exact) <= Fraction(1, 2)
    assert abs(line_tax(amount, rate, intra_state=True).taxable_paise - exact) <= 1


def test_worked_examples_by_hand():
    # Rs 118 at 18 % inclusive: Rs 100 + Rs 18.
    assert asdict(line_tax(11_800, 1800, intra_state=True)) == dict(
        amount_paise=11_800, rate_bp=1800, taxable_paise=10_000, cgst_paise=900, state_tax_paise=900, igst_paise=0)
    assert line_tax(11_800, 1800, intra_state=False).igst_paise == 1800
    # Rs 999 at 18 % inclusive: IGST 152.3898... -> 152.39; each half 76.1949... -> 76.19, so the taxable
    # value differs by a paisa between the two (846.61 inter-state, 846.62 intra-state).
    inter = line_tax(99_900, 1800, intra_state=False)
    intra = line_tax(99_900, 1800, intra_state=True)
    assert (inter.taxable_paise, inter.igst_paise) == (84_661, 15_239)
    assert (intra.taxable_paise, intra.cgst_paise, intra.state_tax_paise) == (84_662, 7_619, 7_619)
    # Half a paisa rounds up: Re 1 at 1 % exclusive is 0.5 paise CGST and 0.5 paise SGST -> 1 each.
    assert line_tax(100, 100, intra_state=True, tax_inclusive=False).cgst_paise == 1
    assert line_tax(50, 100, intra_state=False, tax_inclusive=False).igst_paise == 1
    # 0.25 % (rough diamonds): Rs 10,000 exclusive, inter-state -> Rs 25.
    assert line_tax(1_000_000, 25, intra_state=False, tax_inclusive=False).igst_paise == 2_500
    assert line_tax(0, 1800, intra_state=True).tax_paise == 0


def test_supply_inside_a_state_is_cgst_plus_sgst_and_across_states_igst():
    lines = [("6109", 129_900, 500), ("6403", 249_900, 1800)]
    inside = split_invoice(lines, supplier_state="KA", place_of_supply="KA")
    across = split_invoice(lines, supplier_state="KA", place_of_supply="TN")
    assert inside.intra_state and inside.state_tax_name == "SGST"
    assert inside.igst_paise == 0 and inside.cgst_paise == inside.state_tax_paise > 0
    assert not across.intra_state and across.cgst_paise == across.state_tax_paise == 0 and across.igst_paise > 0
    assert inside.total_paise == across.total_paise == 129_900 + 249_900


def test_union_territory_without_legislature_pays_utgst_and_delhi_sgst():
    assert split_invoice([("6109", 100, 500)], supplier_state="CH", place_of_supply="CH").state_tax_name == "UTGST"
    assert split_invoice([("6109", 100, 500)], supplier_state="DL", place_of_supply="DL").state_tax_name == "SGST"


@given(st.lists(st.tuples(st.sampled_from(["6109", "6403", "996812"]), amounts, rates), min_size=1, max_size=12),
       st.booleans(), st.booleans())
def test_invoice_totals_are_sums_of_the_rounded_lines_and_hsn_summary_adds_up(lines, intra, inclusive):
    split = split_invoice(lines, supplier_state="KA", place_of_supply="KA" if intra else "MH", tax_inclusive=inclusive)
    assert split.taxable_paise == sum(x.taxable_paise for x in split.lines)
    assert split.tax_paise == sum(x.tax_paise for x in split.lines)
    groups = split.by_hsn()
    assert sum(g.taxable_paise for g in groups) == split.taxable_paise
    assert sum(g.tax_paise for g in groups) == split.tax_paise
    assert len({(g.hsn, g.rate_bp) for g in groups}) == len(groups)
    if inclusive:
        assert split.total_paise == sum(amount for _, amount, _ in lines)


def reference_check_character(first14: str) -> str:
    """Luhn mod 36 as GSTN publishes it: from the right, weights 2, 1, 2, 1, ...; digits of a product in base 36 summed."""
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total, factor = 0, 2
    for ch in reversed(first14):
        product = chars.index(ch) * factor
        total += product // 36 + product % 36
        factor = 1 if factor == 2 else 2
    return chars[(36 - total % 36) % 36]


def test_gstin_published_example_is_valid_and_registered_in_maharashtra():
    assert normalize_gstin(" 27aapfu0939f1zv ") == "27AAPFU0939F1ZV"
    assert state_of_gstin("27AAPFU0939F1ZV") == "MH"


@given(st.sampled_from(sorted(set(GST_CODE_OF_STATE.values()))),
       st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=12, max_size=12))
def test_gstin_check_digit_matches_the_reference_and_one_typo_is_caught(code, body):
    first14 = code + body
    good = first14 + reference_check_character(first14)
    assert normalize_gstin(good) == good
    wrong = good[:14] + ("0" if good[14] != "0" else "1")
    with pytest.raises(ValidationFailed, match="check digit"):
        normalize_gstin(wrong)


@pytest.mark.parametrize("bad, why", [("27AAPFU0939F1Z", "15 characters"), ("99AAPFU0939F1ZV", "state code"),
                                      ("27AAPFU0939F1Z!", "15 characters"), ("", "15 characters")])
def test_malformed_gstin_is_refused_with_the_reason(bad, why):
    with pytest.raises(ValidationFailed, match=why) as caught:
        normalize_gstin(bad, field="seller_gstin")
    assert caught.value.field_errors[0].field == "seller_gstin"


@pytest.mark.parametrize("given_, bp", [("18", 1800), ("0.25", 25), (5, 500), ("12%", 1200), ("0", 0), ("40", 4000)])
def test_rate_in_percent_becomes_exact_basis_points(given_, bp):
    assert rate_bp(given_) == bp


@pytest.mark.parametrize("bad", ["18.005", "abc", "101", "-5", "nan", "inf"])
def test_rate_that_is_not_a_percentage_is_refused(bad):
    with pytest.raises(ValidationFailed):
        rate_bp(bad)


@pytest.mark.parametrize("amount, rate", [(-1, 500), (1.5, 500), (True, 500), (100, -1), (100, 10_001), (100, 5.0)])
def test_line_tax_refuses_non_paise_amounts_and_rates_out_of_range(amount, rate):
    with pytest.raises(ValidationFailed):
        line_tax(amount, rate, intra_state=True)


def test_unknown_state_is_refused():
    with pytest.raises(ValidationFailed, match="place_of_supply"):
        split_invoice([("6109", 100, 500)], supplier_state="KA", place_of_supply="XX")

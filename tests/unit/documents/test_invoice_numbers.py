"""Invoice numbers: financial year on the node's clock, the 16-character rule, and the format round trip."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnialloc.domain.errors import Conflict, ValidationFailed
from omnialloc.domain.invoice_numbers import (
    FinancialYear, format_invoice_number, parse_invoice_number, series_prefix,
)

RULE_46 = re.compile(r"^[A-Za-z0-9/\-]{1,16}$")  # CGST Rules 46(b): letters, digits, hyphen, slash; <= 16


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_financial_year_turns_at_midnight_on_1_april_in_the_nodes_time_zone():
    # 1 April 00:00 IST is 31 March 18:30 UTC.
    assert FinancialYear.of(utc(2025, 3, 31, 18, 29, 59)) == FinancialYear(2024)
    assert FinancialYear.of(utc(2025, 3, 31, 18, 30, 0)) == FinancialYear(2025)
    # The same instant in a node on UTC is still the old year.
    assert FinancialYear.of(utc(2025, 3, 31, 18, 30, 0), "UTC") == FinancialYear(2024)
    assert FinancialYear.of(utc(2026, 3, 31, 18, 29, 59)) == FinancialYear(2025)
    assert FinancialYear.of(utc(2025, 12, 31, 23, 0)) == FinancialYear(2025)


def test_financial_year_bounds_and_labels():
    fy = FinancialYear(2025)
    assert fy.label == "2025-26" and fy.code == "2526"
    assert FinancialYear(2099).label == "2099-00" and FinancialYear(2099).code == "9900"
    assert fy.starts_at() == utc(2025, 3, 31, 18, 30)
    assert fy.ends_at() == utc(2026, 3, 31, 18, 30)


def test_financial_year_needs_an_aware_time():
    with pytest.raises(ValueError):
        FinancialYear.of(datetime(2025, 4, 1))


def test_number_format_by_example():
    assert format_invoice_number("blr1", FinancialYear(2025), 42) == "BLR1/2526/00042"
    assert format_invoice_number("B", FinancialYear(2025), 1_234_567) == "B/2526/1234567"


@given(st.from_regex(r"[A-Z0-9]{1,5}", fullmatch=True), st.integers(2000, 2098), st.integers(1, 99_999))
def test_numbers_obey_rule_46_and_parse_back(prefix, year, serial):
    number = format_invoice_number(prefix, FinancialYear(year), serial)
    assert RULE_46.match(number)
    parsed = parse_invoice_number(number)
    assert (parsed.prefix, parsed.fy, parsed.serial) == (prefix, FinancialYear(year), serial)


@given(st.integers(1, 99_998))
def test_numbers_of_one_series_sort_in_issue_order_within_the_padding(serial):
    fy = FinancialYear(2025)
    assert format_invoice_number("BLR1", fy, serial) < format_invoice_number("BLR1", fy, serial + 1)


def test_series_that_outgrows_16_characters_is_a_conflict_not_a_longer_number():
    fy = FinancialYear(2025)
    assert format_invoice_number("ABCDE", fy, 99_999) == "ABCDE/2526/99999"
    with pytest.raises(Conflict, match="shorter series prefix"):
        format_invoice_number("ABCDE", fy, 100_000)
    assert len(format_invoice_number("ABC", fy, 9_999_999)) == 16


@pytest.mark.parametrize("bad", ["", "ABCDEF", "BL R", "BLR_1", "बी"])
def test_prefix_must_be_one_to_five_letters_or_digits(bad):
    with pytest.raises(ValidationFailed, match="1 to 5 letters or digits"):
        series_prefix(bad)


@pytest.mark.parametrize("bad", [0, -1, True, 1.0])
def test_serial_starts_at_one(bad):
    with pytest.raises(ValueError):
        format_invoice_number("BLR1", FinancialYear(2025), bad)


@pytest.mark.parametrize("bad", ["BLR1/2527/00001", "BLR1/2526/0001", "BLR1/2526/000001", "BLR1/2526/00000",
                                 "blr1/2526/00001", "BLR1-2526-00001", "ABCDE/2526/100000"])
def test_parse_refuses_what_the_formatter_never_writes(bad):
    with pytest.raises(ValueError):
        parse_invoice_number(bad)

"""Rupees in words and Indian digit grouping, against examples written out by hand and a parser written here."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnialloc.domain.money_words import format_rupees, group_indian, number_in_words, rupees_in_words

BY_HAND = {
    0: "Rupees Zero Only",
    1: "Rupees Zero and One Paise Only",
    100: "Rupees One Only",
    1_105: "Rupees Eleven and Five Paise Only",
    2_000: "Rupees Twenty Only",
    9_999: "Rupees Ninety Nine and Ninety Nine Paise Only",
    10_000: "Rupees One Hundred Only",
    10_100: "Rupees One Hundred One Only",
    7_87_308: "Rupees Seven Thousand Eight Hundred Seventy Three and Eight Paise Only",
    1_00_000_00: "Rupees One Lakh Only",
    1_23_456_78: "Rupees One Lakh Twenty Three Thousand Four Hundred Fifty Six and Seventy Eight Paise Only",
    10_00_000_00: "Rupees Ten Lakh Only",
    99_99_999_99: "Rupees Ninety Nine Lakh Ninety Nine Thousand Nine Hundred Ninety Nine and Ninety Nine Paise Only",
    1_00_00_000_00: "Rupees One Crore Only",
    12_34_56_789_00: "Rupees Twelve Crore Thirty Four Lakh Fifty Six Thousand Seven Hundred Eighty Nine Only",
    1_00_00_00_000_00: "Rupees One Hundred Crore Only",
    1_00_00_00_00_000_00: "Rupees Ten Thousand Crore Only",
    10_00_00_00_00_000_00: "Rupees One Lakh Crore Only",
    15_00_00_00_011_40: "Rupees One Thousand Five Hundred Crore Eleven and Forty Paise Only",
}


@pytest.mark.parametrize("paise, words", BY_HAND.items())
def test_amount_in_words_as_written_by_hand(paise, words):
    assert rupees_in_words(paise) == words


WORD_VALUES = {"Zero": 0, "One": 1, "Two": 2, "Three": 3, "Four": 4, "Five": 5, "Six": 6, "Seven": 7, "Eight": 8,
               "Nine": 9, "Ten": 10, "Eleven": 11, "Twelve": 12, "Thirteen": 13, "Fourteen": 14, "Fifteen": 15,
               "Sixteen": 16, "Seventeen": 17, "Eighteen": 18, "Nineteen": 19, "Twenty": 20, "Thirty": 30,
               "Forty": 40, "Fifty": 50, "Sixty": 60, "Seventy": 70, "Eighty": 80, "Ninety": 90}
SCALES = {"Hundred": 100, "Thousand": 1_000, "Lakh": 1_00_000, "Crore": 1_00_00_000}


def parse_words(words: str) -> int:
    """Indian English words back to a number: a scale multiplies what was said since the last larger scale."""
    total, group, stack = 0, 0, []  # stack: (scale, amount) of completed groups below a crore
    for word in words.split():
        if word in WORD_VALUES:
            group += WORD_VALUES[word]
        elif word == "Crore":
            total = (total + sum(a for _, a in stack) + group) * SCALES["Crore"]
            stack, group = [], 0
        else:
            scale = SCALES[word]
            smaller = sum(a for s, a in stack if s < scale)
            stack = [(s, a) for s, a in stack if s >= scale] + [(scale, (smaller + group) * scale)]
            group = 0
    return total + sum(a for _, a in stack) + group


def parse_amount(text: str) -> int:
    assert text.startswith("Rupees ") and text.endswith(" Only")
    body = text[len("Rupees "):-len(" Only")]
    rupees, _, paise = body.partition(" and ")
    return parse_words(rupees) * 100 + (parse_words(paise.removesuffix(" Paise")) if paise else 0)


def test_parser_reads_the_hand_written_examples():
    assert {paise: parse_amount(words) for paise, words in BY_HAND.items()} == {p: p for p in BY_HAND}


@given(st.integers(min_value=0, max_value=10**15))
def test_words_round_trip_through_the_parser(paise):
    words = rupees_in_words(paise)
    assert parse_amount(words) == paise
    assert "  " not in words and "-" not in words


@pytest.mark.parametrize("n, text", [(0, "0"), (999, "999"), (1000, "1,000"), (100000, "1,00,000"),
                                     (12345678, "1,23,45,678"), (1000000000, "1,00,00,00,000"), (-1500, "-1,500")])
def test_indian_digit_grouping(n, text):
    assert group_indian(n) == text


def test_rupee_figures_with_symbol_and_paise():
    assert format_rupees(12_345_678) == "₹1,23,456.78"
    assert format_rupees(5, symbol="Rs ") == "Rs 0.05"
    assert format_rupees(-150) == "-₹1.50"


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_words_refuse_what_is_not_whole_paise(bad):
    with pytest.raises(ValueError):
        rupees_in_words(bad)
    with pytest.raises(ValueError):
        number_in_words(bad)

"""Serviceability: the most specific row per carrier decides."""

import pytest

from omnialloc.domain.enums import Zone
from omnialloc.domain.logistics import Serviceability
from omnialloc.logistics import ServiceabilityIndex

ROWS = [
    Serviceability("XB", "60", sla_days_a=1, sla_days_b=2),
    Serviceability("XB", "600", cod=False, sla_days_a=2),
    Serviceability("XB", "600002", forward=False),
    Serviceability("DL", "6", reverse=False, sla_days_d=4),
]


@pytest.fixture
def index():
    return ServiceabilityIndex(ROWS)


def test_full_pin_row_beats_prefix_rows(index):
    assert index.row("XB", "600002").pin_prefix == "600002"
    assert index.forward("XB", "600002") is False


def test_three_digit_row_beats_two_digit_row(index):
    assert index.cod("XB", "600040") is False
    assert index.sla_days("XB", "600040", Zone.A) == 2


def test_two_digit_row_applies_when_nothing_longer_matches(index):
    assert index.cod("XB", "605001") is True
    assert index.sla_days("XB", "605001", Zone.B) == 2


def test_carrier_without_a_matching_row_does_not_serve(index):
    assert index.row("XB", "110001") is None
    assert index.forward("XB", "110001") is False
    assert index.sla_days("XB", "110001", Zone.D) is None


def test_serving_lists_carriers_for_forward_and_reverse(index):
    assert index.serving("605001") == ["DL", "XB"]
    assert index.serving("605001", reverse=True) == ["XB"]
    assert index.serving("600002") == ["DL"]


def test_duplicate_or_malformed_prefixes_are_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        ServiceabilityIndex([Serviceability("XB", "60"), Serviceability("XB", "60")])
    with pytest.raises(ValueError, match="1-6 digits"):
        ServiceabilityIndex([Serviceability("XB", "6000011")])

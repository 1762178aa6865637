"""Lanes: carriers that serve the destination, priced for the origin -> destination zone."""

import pytest

from omnialloc.domain.enums import Zone
from omnialloc.domain.logistics import Carrier, RateCard, Serviceability
from omnialloc.geo import locate
from omnialloc.logistics import LaneTable, ServiceabilityIndex, lanes_for

CARRIERS = [
    Carrier("XB", "Xpress Bees"),
    Carrier("EK", "Ekart", cod_supported=False),
    Carrier("DL", "Delhivery", reverse_supported=False, max_weight_g=20_000),
]
CARDS = [
    RateCard(c, z, first, extra, 3500, 200)
    for c in ("XB", "EK", "DL")
    for z, first, extra in [(Zone.A, 2950, 2360), (Zone.B, 3300, 2830), (Zone.C, 4010, 3890),
                            (Zone.D, 4540, 4480), (Zone.E, 5660, 5550)]
]
INDEX = ServiceabilityIndex([
    Serviceability("XB", "5"), Serviceability("XB", "6"),
    Serviceability("EK", "5"), Serviceability("EK", "6"),
    Serviceability("DL", "56", sla_days_c=2),          # DL serves Bengaluru, not Chennai
])

CHENNAI, BENGALURU = locate("600001"), locate("560001")


def carriers_of(lanes):
    return [lane.carrier for lane in lanes]


def test_carrier_not_serving_the_destination_is_left_out():
    lanes = lanes_for(BENGALURU, CHENNAI, CARRIERS, CARDS, INDEX, cod=False)
    assert carriers_of(lanes) == ["EK", "XB"]


def test_lane_carries_zone_rates_and_sla_of_the_pair():
    (dl,) = [lane for lane in lanes_for(CHENNAI, BENGALURU, CARRIERS, CARDS, INDEX, cod=False) if lane.carrier == "DL"]
    assert (dl.zone, dl.first_slab_paise, dl.additional_slab_paise, dl.sla_days) == (Zone.C, 4010, 3890, 2)
    assert (dl.max_weight_g, dl.volumetric_divisor, dl.slab_g, dl.cod_allowed) == (20_000, 5000, 500, True)


def test_cod_order_drops_carriers_that_cannot_collect_cash():
    assert carriers_of(lanes_for(BENGALURU, CHENNAI, CARRIERS, CARDS, INDEX, cod=True)) == ["XB"]


def test_prepaid_order_keeps_non_cod_carrier_marked_as_such():
    ek = lanes_for(BENGALURU, CHENNAI, CARRIERS, CARDS, INDEX, cod=False)[0]
    assert (ek.carrier, ek.cod_allowed) == ("EK", False)


def test_reverse_lanes_need_reverse_service_and_are_priced_at_the_reverse_multiplier():
    lanes = lanes_for(CHENNAI, BENGALURU, CARRIERS, CARDS, INDEX, cod=False, reverse=True)
    assert carriers_of(lanes) == ["EK", "XB"]                  # DL does no reverse pickups
    assert lanes[0].first_slab_paise == 4812                    # 120% of Rs 40.10
    assert lanes[0].cod_allowed is False


def test_lane_quote_feeds_add_lane_keywords():
    kwargs = lanes_for(CHENNAI, BENGALURU, CARRIERS, CARDS, INDEX, cod=False)[0].as_lane_kwargs()
    assert kwargs["zone"] == "C" and set(kwargs) >= {"carrier", "first_slab_paise", "sla_days", "cod_allowed"}


def test_lane_table_answers_from_cache_for_the_same_pin_pair():
    table = LaneTable(CARRIERS, CARDS, INDEX)
    first = table.lanes(CHENNAI, BENGALURU, cod=False)
    assert table.lanes(CHENNAI, BENGALURU, cod=False) == first
    assert table._cached.cache_info().hits == 1


def test_inactive_carrier_never_appears():
    carriers = [Carrier("XB", "Xpress Bees", active=False)]
    assert lanes_for(CHENNAI, BENGALURU, carriers, CARDS, INDEX, cod=False) == []


def test_duplicate_rate_card_is_rejected():
    with pytest.raises(ValueError, match="duplicate rate card"):
        LaneTable(CARRIERS, CARDS + CARDS[:1], INDEX)

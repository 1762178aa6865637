"""Transit model: the seller's table first, distance defaults after, only for services a carrier offers."""


import pytest

from omnialloc.geo import haversine_km, locate
from omnialloc.logistics.transit import (
    DEMO_DEFAULTS,
    Level,
    Service,
    TransitModel,
    TransitRow,
    TransitTable,
    read_transit_file,
)
from omnialloc.network_files import load_network, packaged_data_dir

S, A, X = Service.SURFACE, Service.AIR, Service.EXPRESS
NET = load_network()
DEMO_TABLE = read_transit_file(packaged_data_dir() / "transit_times.csv", NET.carriers)
DEFAULTS_ONLY = TransitModel(NET.carriers)
DEMO = TransitModel(NET.carriers, DEMO_TABLE)
P = {pin: locate(pin) for pin in ["682030", "678001", "302022", "382213", "110020", "400072", "560038", "560099",
                                  "781018", "793001", "700107", "190001", "600058", "560001"]}
KOCHI, PALAKKAD, JAIPUR, AHMEDABAD = P["682030"], P["678001"], P["302022"], P["382213"]
DELHI, MUMBAI, GUWAHATI, SHILLONG, KOLKATA = P["110020"], P["400072"], P["781018"], P["793001"], P["700107"]


def test_carriers_offer_services_by_mode():
    assert DEMO.services("XPR") == (S, A, X)
    assert DEMO.services("ECO") == (S,)
    assert DEMO.transit("ECO", A, KOCHI, PALAKKAD) is None
    with pytest.raises(KeyError, match="'DHL' is not one of ECO, HLX, PRP, XPR"):
        DEMO.transit("DHL", S, KOCHI, PALAKKAD)


def test_near_node_beats_far_node_by_distance_not_by_zone():
    # The issue's case: both pairs are courier zone E, but Kochi is ~90 km from Palakkad and Jaipur ~1,900.
    near, far = DEFAULTS_ONLY.transit("ECO", S, KOCHI, PALAKKAD), DEFAULTS_ONLY.transit("ECO", S, JAIPUR, PALAKKAD)
    assert (near.days, far.days) == (2, 6)
    assert near.basis == far.basis == "default"
    assert "short haul" in near.detail and "cross-country" in far.detail


def test_default_band_follows_great_circle_distance():
    for o, d in [(DELHI, MUMBAI), (P["600058"], P["560099"]), (KOCHI, DELHI), (P["560038"], P["560001"])]:
        km = float(haversine_km(o.lat, o.lon, d.lat, d.lon))
        band = DEMO_DEFAULTS.band_of(km, same_city=o.city == d.city)
        assert DEFAULTS_ONLY.transit("XPR", S, o, d).days == band.days[S]
    assert DEFAULTS_ONLY.transit("XPR", S, DELHI, MUMBAI).days == 5        # ~1,150 km, long haul
    assert DEFAULTS_ONLY.transit("XPR", S, P["600058"], P["560099"]).days == 2  # Chennai-Bengaluru, ~290 km


def test_band_edges_are_exclusive_and_the_same_city_is_local_however_far():
    assert DEMO_DEFAULTS.band_of(39.99, same_city=False).name == "local"
    assert DEMO_DEFAULTS.band_of(40.0, same_city=False).name == "short haul"
    assert DEMO_DEFAULTS.band_of(5000.0, same_city=False).name == "cross-country"
    assert DEMO_DEFAULTS.band_of(70.0, same_city=True).name == "local"


def test_entering_a_remote_region_costs_extra_days_moving_inside_it_does_not():
    into = DEFAULTS_ONLY.transit("XPR", S, DELHI, GUWAHATI)             # ~1,450 km long haul + 2
    assert into.days == 7 and "+2 for a remote region" in into.detail
    assert DEFAULTS_ONLY.transit("XPR", S, GUWAHATI, DELHI).days == 7    # and out of it
    assert DEFAULTS_ONLY.transit("XPR", A, DELHI, GUWAHATI).days == 3
    assert DEFAULTS_ONLY.transit("XPR", S, GUWAHATI, SHILLONG).days == 2  # both North-East: distance only
    assert DEFAULTS_ONLY.transit("XPR", S, P["190001"], GUWAHATI).days == 6 + 2  # one remote region to another


def test_defaults_are_never_slower_by_a_faster_service_nor_nearer():
    for remote in (False, True):
        previous = None
        for band in DEMO_DEFAULTS.bands:
            days = [band.days[s] + (DEMO_DEFAULTS.remote_extra[s] if remote else 0) for s in (S, A, X)]
            assert days == sorted(days, reverse=True), band.name
            if previous:
                assert all(a >= b for a, b in zip(days, previous)), band.name
            previous = days


def test_seller_rows_beat_defaults_at_every_level():
    table = TransitTable([
        TransitRow("ECO", S, Level.STATE, "KL", "KL", "", 4),
        TransitRow("ECO", S, Level.ZONE, "", "", "C", 2),
    ])
    model = TransitModel(NET.carriers, table)
    hit = model.transit("ECO", S, KOCHI, PALAKKAD)
    assert (hit.days, hit.basis, hit.detail) == (4, "state", "seller's table: state pair KL>KL")
    assert model.transit("ECO", S, DELHI, MUMBAI).days == 2       # zone C row, though defaults say 5
    assert model.transit("ECO", S, JAIPUR, PALAKKAD).basis == "default"
    assert model.transit("XPR", S, KOCHI, PALAKKAD).basis == "default"  # the rows are ECO's only


def test_demo_table_on_the_issue_example():
    # Heavyline publishes a zone table (E: 8 days) and runs direct trucks within Kerala (3 days).
    assert DEMO.transit("HLX", S, AHMEDABAD, PALAKKAD).days == 8
    assert DEMO.transit("HLX", S, DELHI, PALAKKAD).days == 8
    assert (DEMO.transit("HLX", S, KOCHI, PALAKKAD).days, DEMO.transit("HLX", S, KOCHI, PALAKKAD).basis) == (3, "state")
    assert DEMO.transit("XPR", S, KOCHI, PALAKKAD).days == 2
    # Metro to metro next-day air express, and same-day from a store to its own PIN.
    assert DEMO.transit("XPR", X, DELHI, MUMBAI).days == 1 and DEMO.transit("XPR", X, DELHI, MUMBAI).basis == "prefix"
    assert DEMO.transit("XPR", X, P["560038"], P["560038"]).days == 0
    assert DEMO.transit("XPR", X, DELHI, KOCHI).days == 2                   # no row: defaults
    assert DEMO.transit("PRP", S, KOLKATA, GUWAHATI).days == 4              # PRP's Kolkata hub feeds Assam

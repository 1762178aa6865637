"""Courier zones between PIN pairs: A city, B state, C metro-metro, D rest, E special."""

import pytest

from omnialloc.domain.enums import Zone
from omnialloc.geo import locate, zone_between

PAIRS = [
    # origin, destination, zone, why
    ("600001", "600040", Zone.A, "Chennai GPO to Anna Nagar: same city"),
    ("110001", "110085", Zone.A, "New Delhi to Rohini: different Delhi districts, one city"),
    ("400001", "400070", Zone.A, "Mumbai to Kurla: MUMBAI and MUMBAI SUBURBAN districts"),
    ("560001", "560100", Zone.A, "Bengaluru GPO to Electronic City"),
    ("682011", "682024", Zone.A, "Kochi to Kochi: same city beats Kerala being special"),
    ("600001", "641001", Zone.B, "Chennai to Coimbatore: same state"),
    ("400001", "411001", Zone.B, "Mumbai to Pune: same state beats metro-metro"),
    ("560001", "570001", Zone.B, "Bengaluru to Mysuru"),
    ("600001", "560001", Zone.C, "Chennai to Bengaluru: metro to metro"),
    ("110001", "700001", Zone.C, "Delhi to Kolkata"),
    ("500001", "380001", Zone.C, "Hyderabad to Ahmedabad"),
    ("110001", "122001", Zone.C, "Delhi to Gurugram: Delhi NCR, but another city and state"),
    ("110001", "201301", Zone.C, "Delhi to Noida"),
    ("600001", "302001", Zone.D, "Chennai to Jaipur: Jaipur is no metro"),
    ("226001", "800001", Zone.D, "Lucknow to Patna"),
    ("110001", "781001", Zone.E, "Delhi to Guwahati: North-East"),
    ("781001", "110001", Zone.E, "Guwahati to Delhi: special origin counts too"),
    ("600001", "682011", Zone.E, "Chennai to Kochi: Kerala"),
    ("682011", "695001", Zone.E, "Kochi to Thiruvananthapuram: special beats same state"),
    ("110001", "190001", Zone.E, "Delhi to Srinagar: J&K"),
    ("110001", "194101", Zone.E, "Delhi to Leh: Ladakh"),
    ("110001", "171001", Zone.E, "Delhi to Shimla: Himachal"),
    ("600001", "744101", Zone.E, "Chennai to Port Blair: islands"),
]


@pytest.mark.parametrize("origin, dest, zone, why", PAIRS, ids=[p[3] for p in PAIRS])
def test_zone_between_city_pairs(origin, dest, zone, why):
    assert zone_between(locate(origin), locate(dest)) == zone


def test_pairs_cover_every_zone():
    assert {p[2] for p in PAIRS} == set(Zone)


def test_metro_membership_includes_satellite_cities():
    assert locate("122001").metro == "Delhi NCR"
    assert locate("302001").metro is None

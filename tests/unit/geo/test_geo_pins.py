"""PIN lookups: known PINs land where the post office is; bad PINs are refused with a reason."""

import pytest

from omnialloc.domain.errors import UnknownPin, ValidationFailed
from omnialloc.geo import geodesic_km, locate, locate_point

# Published coordinates of the head post offices / landmarks each PIN serves.
KNOWN = [
    ("600001", (13.0878, 80.2847), "Chennai", "TN", "south"),        # Chennai GPO, Rajaji Salai
    ("110001", (28.6315, 77.2167), "Delhi", "DL", "north"),          # Connaught Place / New Delhi GPO
    ("560001", (12.9763, 77.5929), "Bengaluru", "KA", "south"),      # Bengaluru GPO
    ("781001", (26.1852, 91.7503), "Guwahati", "AS", "northeast"),   # Guwahati GPO, Pan Bazaar
]


@pytest.mark.parametrize("pin, true_point, city, state_code, region", KNOWN)
def test_known_pin_is_within_5_km_of_its_post_office(pin, true_point, city, state_code, region):
    loc = locate(pin)
    assert geodesic_km(loc, true_point) < 5.0


@pytest.mark.parametrize("pin, true_point, city, state_code, region", KNOWN)
def test_known_pin_names_city_state_and_region(pin, true_point, city, state_code, region):
    loc = locate(pin)
    assert (loc.pin, loc.city, loc.state_code, loc.region) == (pin, city, state_code, region)


def test_state_is_spelled_as_india_post_has_it():
    assert locate("600001").state == "TAMIL NADU"


def test_district_is_kept_alongside_the_everyday_city_name():
    loc = locate("560001")
    assert (loc.district, loc.city) == ("BENGALURU URBAN", "Bengaluru")


def test_mis_geocoded_offices_do_not_drag_a_pin_out_of_its_city():
    # The library centroid of 201301 (Noida) sits in Madhya Pradesh because two
    # sub-offices are misfiled; Noida Sector 18 is at 28.570, 77.321.
    assert geodesic_km(locate("201301"), (28.570, 77.321)) < 10


def test_pin_with_spaces_or_as_int_is_accepted():
    assert locate(" 600 001 ") == locate(600001) == locate("600001")


@pytest.mark.parametrize(
    "bad, words",
    [
        ("99999", "must have 6 digits"),
        ("1234567", "must have 6 digits"),
        ("012345", "cannot start with 0"),
        ("60000A", "only the digits"),
        ("", "empty"),
    ],
)
def test_malformed_pin_is_refused_with_the_reason(bad, words):
    with pytest.raises(UnknownPin) as info:
        locate(bad)
    assert words in info.value.detail
    assert info.value.field_errors[0].field == "pin"


def test_well_formed_but_unknown_pin_is_refused_as_not_in_the_directory():
    with pytest.raises(UnknownPin, match="999999 is not in the India Post directory"):
        locate("999999")


def test_pin_without_state_in_the_directory_borrows_its_neighbours():
    # 500901 (NDC Hyderabad GPO) is filed without state or district.
    loc = locate("500901")
    assert (loc.state_code, loc.city) == ("TS", "Hyderabad")


def test_pin_filed_under_the_wrong_state_is_corrected_from_its_offices():
    # 799001 (Agartala HO) is filed under Nirmal, Telangana; its office is in Tripura.
    loc = locate("799001")
    assert (loc.state_code, loc.city) == ("TR", "Agartala")


def test_point_is_described_by_its_nearest_pin_and_keeps_its_coordinates():
    loc = locate_point(13.0878, 80.2847)
    assert (loc.lat, loc.lon, loc.city, loc.state_code) == (13.0878, 80.2847, "Chennai", "TN")


@pytest.mark.parametrize("lat, lon", [(51.5, -0.12), (20.0, 120.0), (float("nan"), 77.0), ("x", 77.0)])
def test_point_outside_india_or_not_a_number_is_refused(lat, lon):
    with pytest.raises(ValidationFailed):
        locate_point(lat, lon)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=12), st.integers(min_value=-10**7, max_value=10**7)))
def test_any_input_either_locates_or_is_refused_as_unknown_pin(value):
    try:
        loc = locate(value)
    except UnknownPin as e:
        assert e.detail and e.field_errors
    else:
        assert len(loc.pin) == 6 and loc.region

"""Transit table: for one carrier and service the most specific row covering the pair wins."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnialloc.geo import locate, zone_between
from omnialloc.logistics.transit import Level, Service, TransitRow, TransitTable

CASES = settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
S, X = Service.SURFACE, Service.EXPRESS

# Real places with shared prefixes, states, cities and metros, so rows at every level overlap.
PINS = ["560001", "560038", "560099", "562106", "575001", "600001", "600017", "600058", "682030", "682001",
        "678001", "110001", "110020", "122001", "781018", "793001", "400050", "302022"]
PLACES = {pin: locate(pin) for pin in PINS}
BLR_A, BLR_B, BLR_RURAL = PLACES["560001"], PLACES["560038"], PLACES["562106"]
KOCHI, PALAKKAD = PLACES["682030"], PLACES["678001"]


def row(level, origin="", destination="", days=1, zone="", carrier="XPR", service=S):
    return TransitRow(carrier, service, level, origin, destination, zone, days)


FULL = TransitTable([
    row(Level.PIN, "560038", "682030", 1),
    row(Level.PREFIX, "560", "682", 2),
    row(Level.STATE, "KA", "KL", 3),
    row(Level.ZONE, zone="E", days=4),
])


def test_exact_pin_pair_beats_everything():
    hit = FULL.match("XPR", S, BLR_B, KOCHI)
    assert (hit.days, hit.row.level) == (1, Level.PIN)


def test_prefix_pair_beats_state_and_zone():
    assert FULL.match("XPR", S, BLR_A, KOCHI).row.level is Level.PREFIX


def test_state_pair_beats_zone():
    assert FULL.match("XPR", S, BLR_RURAL, KOCHI).days == 3     # 562 is not 560
    assert FULL.match("XPR", S, BLR_A, PALAKKAD).days == 3       # 678 is not 682


def test_zone_answers_when_nothing_more_specific_matches():
    hit = FULL.match("XPR", S, PLACES["110001"], KOCHI)
    assert (hit.days, hit.row.level, zone_between(PLACES["110001"], KOCHI).value) == (4, Level.ZONE, "E")


def test_pairs_are_directed():
    assert FULL.match("XPR", S, KOCHI, BLR_B).row.level is Level.ZONE


def test_other_carrier_or_service_has_no_answer():
    assert FULL.match("ECO", S, BLR_B, KOCHI) is None
    assert FULL.match("XPR", X, BLR_B, KOCHI) is None
    assert FULL.match("XPR", "surface", BLR_B, KOCHI).days == 1   # the plain name works as well


def test_no_row_covering_the_pair_means_no_answer():
    table = TransitTable([row(Level.STATE, "KA", "KL", 3)])
    assert table.match("XPR", S, KOCHI, PLACES["110001"]) is None


def test_two_rows_with_one_key_are_refused():
    with pytest.raises(ValueError, match="two transit rows for XPR surface state pair KA>KL: 3 and 4 days"):
        TransitTable([row(Level.STATE, "KA", "KL", 3), row(Level.STATE, "KA", "KL", 4)])


@pytest.mark.parametrize("bad, message", [
    (row(Level.PIN, "56003", "682030"), "not a 6-digit PIN"),
    (row(Level.PIN, "060038", "682030"), "cannot start with 0"),
    (row(Level.PREFIX, "56", "682"), "not a 3-digit PIN prefix"),
    (row(Level.STATE, "KA", "Kerala"), "not a state code"),
    (row(Level.ZONE, "KA", "", zone="E"), "leave origin empty"),
    (row(Level.ZONE, zone="F"), "must be one of A, B, C, D, E"),
    (row(Level.STATE, "KA", "KL", zone="E"), "zone is only for zone rows"),
    (row(Level.STATE, "KA", "KL", days=-1), "cannot be negative"),
    (row(Level.STATE, "KA", "KL", days=31), "at most 30"),
    (row(Level.STATE, "KA", "KL", days=2.0), "whole number"),
    (row(Level.STATE, "KA", "KL", service="rail"), "service 'rail'"),
])
def test_malformed_rows_are_refused_with_the_reason(bad, message):
    with pytest.raises(ValueError, match=message):
        TransitTable([bad])


def test_rows_accept_plain_service_and_level_names():
    assert TransitRow("XPR", "surface", "state", "KA", "KL", "", 3) == row(Level.STATE, "KA", "KL", 3)


def test_table_equality_ignores_row_order():
    rows = list(FULL.rows)
    assert TransitTable(reversed(rows)) == FULL
    assert [r.level for r in FULL.rows] == [Level.PIN, Level.PREFIX, Level.STATE, Level.ZONE]


# ------------------------------------------------------------------ against a brute-force look-up
def _keys(level):
    if level is Level.PIN:
        return st.sampled_from(PINS)
    if level is Level.PREFIX:
        return st.sampled_from(sorted({p[:3] for p in PINS} | {"401", "999"}))
    return st.sampled_from(sorted({loc.state_code for loc in PLACES.values()} | {"WB"}))


@st.composite
def rows(draw, pairs):
    """A row keyed on one of `pairs` at a random level (so rows at several levels cover the same pair), or now
    and then on keys no pair has."""
    carrier = draw(st.sampled_from(["XPR", "ECO"]))
    service = draw(st.sampled_from([S, X]))
    level = draw(st.sampled_from(list(Level)))
    days = draw(st.integers(0, 30))
    o, d = (PLACES[p] for p in draw(st.sampled_from(pairs)))
    if level is Level.ZONE:
        zone = draw(st.one_of(st.just(zone_between(o, d).value), st.sampled_from("ABCDE")))
        return TransitRow(carrier, service, level, "", "", zone, days)
    if draw(st.integers(0, 4)) == 0:
        keys = _keys(level)
        return TransitRow(carrier, service, level, draw(keys), draw(keys), "", days)
    origin, destination = {Level.PIN: (o.pin, d.pin), Level.PREFIX: (o.pin[:3], d.pin[:3]),
                           Level.STATE: (o.state_code, d.state_code)}[level]
    return TransitRow(carrier, service, level, origin, destination, "", days)


@st.composite
def tables_and_questions(draw):
    pairs = draw(st.lists(st.tuples(st.sampled_from(PINS), st.sampled_from(PINS)), min_size=1, max_size=6))
    table_rows = draw(st.lists(rows(pairs), max_size=40, unique_by=lambda r: r.key))
    asked = pairs + draw(st.lists(st.tuples(st.sampled_from(PINS), st.sampled_from(PINS)), max_size=6))
    return table_rows, [(c, s, o, d) for c in ("XPR", "ECO") for s in (S, X) for o, d in asked]


def brute_force(table_rows, carrier, service, origin, destination):
    """Every row that covers the pair, then the one at the most specific level (written without the index)."""
    covering = []
    for r in table_rows:
        if (r.carrier, r.service) != (carrier, service):
            continue
        if r.level is Level.PIN:
            ok = (r.origin, r.destination) == (origin.pin, destination.pin)
        elif r.level is Level.PREFIX:
            ok = origin.pin.startswith(r.origin) and destination.pin.startswith(r.destination)
        elif r.level is Level.STATE:
            ok = (r.origin, r.destination) == (origin.state_code, destination.state_code)
        else:
            ok = r.zone == zone_between(origin, destination).value
        if ok:
            covering.append(r)
    order = ["pin", "prefix", "state", "zone"]
    return min(covering, key=lambda r: order.index(r.level.value), default=None)


@CASES
@given(case=tables_and_questions())
def test_lookup_matches_brute_force(case):
    table_rows, questions = case
    table = TransitTable(table_rows)
    for carrier, service, o, d in questions:
        expected = brute_force(table_rows, carrier, service, PLACES[o], PLACES[d])
        hit = table.match(carrier, service, PLACES[o], PLACES[d])
        assert (hit.row if hit else None) == expected
        assert hit is None or hit.days == expected.days

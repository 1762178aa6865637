"""Transit tables as CSV: every problem reported by line and column, and an export that loads back equal."""


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnialloc.domain.errors import ValidationFailed
from omnialloc.domain.logistics import Carrier
from omnialloc.logistics.transit import (
    Level,
    Service,
    TransitRow,
    TransitTable,
    TransitTableRejected,
    export_transit_csv,
    load_transit_csv,
    read_transit_file,
    services_of,
)
from omnialloc.network_files import load_network, packaged_data_dir

CARRIERS = [Carrier("XPR", "Xpress Rapid", modes=frozenset({"air", "surface"})),
            Carrier("ECO", "EcoCart Surface", modes=frozenset({"surface"}))]
HEADER = "carrier,service,level,origin,destination,zone,days\n"
DEMO_FILE = packaged_data_dir() / "transit_times.csv"


def rejected(text, carriers=CARRIERS):
    with pytest.raises(TransitTableRejected) as info:
        load_transit_csv(text, carriers)
    return [(e.row, e.column, e.message) for e in info.value.errors]


def test_a_valid_file_loads_every_level():
    table = load_transit_csv(HEADER + "XPR,express,pin,560038,560001,,0\n"
                                      "XPR,air,prefix,110,400,,1\n"
                                      "ECO,surface,state,KA,KL,,3\n"
                                      "ECO,surface,zone,,,E,7\n", CARRIERS)
    assert [(r.level, r.days) for r in table] == [(Level.STATE, 3), (Level.ZONE, 7), (Level.PREFIX, 1), (Level.PIN, 0)]


def test_cells_are_normalised_case_spaces_and_state_names():
    table = load_transit_csv("Carrier , SERVICE,origin,destination,days\n xpr , Surface , Karnataka ,kl, 3 \n",
                             CARRIERS)
    assert table.rows == (TransitRow("XPR", Service.SURFACE, Level.STATE, "KA", "KL", "", 3),)


def test_level_may_be_left_out_when_the_keys_show_it():
    table = load_transit_csv("carrier,service,origin,destination,zone,days\n"
                             "XPR,surface,560038,682030,,1\nXPR,surface,560,682,,2\n"
                             "XPR,surface,KA,KL,,3\nXPR,surface,,,C,4\n", CARRIERS)
    assert [r.level for r in table] == [Level.PIN, Level.PREFIX, Level.STATE, Level.ZONE]


@pytest.mark.parametrize("line, column, message", [
    ("DHL,surface,state,KA,KL,,3", "carrier", "unknown carrier 'DHL'; known carriers: ECO, XPR"),
    (",surface,state,KA,KL,,3", "carrier", "carrier is required"),
    ("ECO,air,state,KA,KL,,3", "service", "carrier ECO does not offer air (it offers surface)"),
    ("XPR,rail,state,KA,KL,,3", "service", "service 'rail' must be one of surface, air, express"),
    ("XPR,surface,pin,56003,682030,,1", "origin", "'56003' is not a 6-digit PIN"),
    ("XPR,surface,pin,560038,000001,,1", "destination", "PIN 000001 cannot start with 0"),
    ("XPR,surface,pin,560038,999999,,1", "destination", "PIN 999999 is not in the India Post directory"),
    ("XPR,surface,prefix,56,682,,1", "origin", "'56' is not a 3-digit PIN prefix"),
    ("XPR,surface,prefix,560,100,,1", "destination", "PIN prefix 100 is not in the India Post directory"),
    ("XPR,surface,state,KA,Kerela,,3", "destination", "'Kerela' is not a state code"),
    ("XPR,surface,zone,,,F,3", "zone", "zone 'F' must be one of A, B, C, D, E"),
    ("XPR,surface,zone,KA,,E,3", "origin", "a zone row covers every pair in its zone: leave origin empty"),
    ("XPR,surface,state,KA,KL,E,3", "zone", "zone is only for zone rows"),
    ("XPR,surface,state,KA,KL,,-1", "days", "days cannot be negative, got -1"),
    ("XPR,surface,state,KA,KL,,2.5", "days", "days must be a whole number, got '2.5'"),
    ("XPR,surface,state,KA,KL,,1_0", "days", "days must be a whole number, got '1_0'"),
    ("XPR,surface,state,KA,KL,,", "days", "days must be a whole number, got ''"),
    ("XPR,surface,state,KA,KL,,45", "days", "days must be at most 30, got 45"),
    ("XPR,surface,road,KA,KL,,3", "level", "level 'road' must be one of pin, prefix, state, zone"),
    ("XPR,surface,,560038,682,,3", "level", "level is empty and origin '560038' / destination '682' do not show it"),
    ("XPR,surface,state,KA,KL,,3,extra", "", "8 cells but the header names 7 columns"),
])
def test_each_bad_cell_is_reported_with_line_column_and_reason(line, column, message):
    (error,) = rejected(HEADER + line + "\n")
    assert error[:2] == (2, column)
    assert message in error[2]


def test_duplicate_keys_are_refused_naming_the_first_line_even_when_spelt_differently():
    errors = rejected(HEADER + "XPR,surface,state,KA,KL,,3\n"
                               "ECO,surface,state,KA,KL,,3\n"        # another carrier: fine
                               "XPR,air,state,KA,KL,,1\n"             # another service: fine
                               "xpr,Surface,state,Karnataka,Kerala,,4\n"
                               "XPR,surface,zone,,,E,5\n"
                               "XPR,surface,zone,,,e,5\n")
    assert errors == [
        (5, "origin", "same carrier, service and state pair KA>KL as line 2, which says 3 days; keep one row per key"),
        (7, "zone", "same carrier, service and zone E as line 6; keep one row per key"),
    ]


def test_every_problem_is_reported_at_once_with_true_line_numbers():
    text = (HEADER + "DHL,surface,state,KA,KL,,3\n"
                     "\n"                                              # blank line: skipped, still counted
                     "XPR,surface,state,\"K\nA\",KL,,3\n"               # a quoted cell spanning two lines
                     "XPR,surface,pin,560038,999999,,-2\n")
    errors = rejected(text)
    assert [(line, column) for line, column, _ in errors] == [(2, "carrier"), (4, "origin"), (6, "days"),
                                                              (6, "destination")]


def test_the_rejection_is_a_validation_failure_addressed_by_line_and_column():
    with pytest.raises(ValidationFailed) as info:
        load_transit_csv(HEADER + "XPR,surface,state,KA,KL,,3\nXPR,surface,state,KA,KL,,-1\n", CARRIERS)
    assert info.value.detail.startswith("transit table not loaded: 1 problem(s), first at line 3:")
    assert [f.field for f in info.value.field_errors] == ["rows.3.days"]


def test_header_problems_are_reported_before_any_row():
    assert rejected("carrier,service,origin,destination,dayz\nXPR,surface,KA,KL,3\n") == [
        (1, "dayz", "unknown column 'dayz'; the columns are carrier, service, level, origin, destination, zone, days"),
        (1, "days", "column 'days' is missing"),
    ]
    assert rejected("carrier,service,days,days\n") == [(1, "days", "column 'days' appears more than once")]


def test_empty_or_non_utf8_files_are_refused():
    assert rejected("")[0][2].startswith("the file is empty")
    assert rejected(b"\n\n")[0][2].startswith("the file is empty")
    assert "not UTF-8" in rejected(HEADER.encode() + b"XPR,surface,state,KA,K\xe9,,3\n")[0][2]


def test_utf8_bom_from_spreadsheets_is_accepted():
    table = load_transit_csv(b"\xef\xbb\xbf" + HEADER.encode() + b"XPR,surface,state,KA,KL,,3\n", CARRIERS)
    assert len(table) == 1


def test_demo_table_loads_against_the_demo_carriers_and_is_in_canonical_form():
    carriers = load_network().carriers
    table = read_transit_file(DEMO_FILE, carriers)
    assert {r.level for r in table} == set(Level)
    assert export_transit_csv(table) == DEMO_FILE.read_text(encoding="utf-8")


# ------------------------------------------------------------------ round trip
REAL_PINS = ["110001", "110020", "122001", "400050", "400072", "560001", "560038", "600017", "682030", "678001",
             "781018", "793001", "744101", "190001"]
STATE_CODES = ["DL", "HR", "MH", "KA", "TN", "KL", "AS", "ML", "AN", "JK", "WB", "DH"]


@st.composite
def demo_rows(draw):
    carrier = draw(st.sampled_from(CARRIERS))
    service = draw(st.sampled_from(services_of(carrier)))
    level = draw(st.sampled_from(list(Level)))
    days = draw(st.integers(0, 30))
    if level is Level.ZONE:
        return TransitRow(carrier.code, service, level, "", "", draw(st.sampled_from("ABCDE")), days)
    keys = {Level.PIN: REAL_PINS, Level.PREFIX: sorted({p[:3] for p in REAL_PINS}), Level.STATE: STATE_CODES}[level]
    return TransitRow(carrier.code, service, level, draw(st.sampled_from(keys)), draw(st.sampled_from(keys)), "", days)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(demo_rows(), max_size=40, unique_by=lambda r: r.key))
def test_export_then_load_gives_back_an_equal_table(rows):
    table = TransitTable(rows)
    text = export_transit_csv(table)
    again = load_transit_csv(text, CARRIERS)
    assert again == table
    assert set(again.rows) == set(rows)
    assert export_transit_csv(again) == text

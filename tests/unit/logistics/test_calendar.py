"""Node working calendars: cut-off, working days, holidays, pickup days and delivery days, in local time."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnialloc.logistics.calendar import (
    ALL_DAYS,
    CUTOFF_MET,
    CUTOFF_PASSED,
    DELIVERED,
    DESTINATION_HOLIDAY,
    DISPATCHED,
    INDIA_NATIONAL_HOLIDAYS,
    NO_DELIVERY_DAY,
    NO_PICKUP,
    NODE_CLOSED,
    NODE_HOLIDAY,
    DeliveryRules,
    Holidays,
    NodeCalendar,
    delivery_date,
    dispatch_date,
    format_weekdays,
    parse_weekdays,
)

IST = ZoneInfo("Asia/Kolkata")
CASES = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def ist(*args) -> datetime:
    """An order time given in IST wall-clock, handed over as UTC like the store would."""
    return datetime(*args, tzinfo=IST).astimezone(UTC)


def codes(reasons):
    return [r.code for r in reasons]


# ------------------------------------------------------------------ cut-off
def test_order_a_minute_before_the_cutoff_leaves_the_same_day():
    d = dispatch_date(ist(2024, 6, 4, 13, 59), NodeCalendar())  # Tuesday
    assert d.date == date(2024, 6, 4)
    assert codes(d.reasons) == [CUTOFF_MET, DISPATCHED]


def test_order_a_minute_after_the_cutoff_leaves_the_next_working_day():
    d = dispatch_date(ist(2024, 6, 4, 14, 1), NodeCalendar())
    assert d.date == date(2024, 6, 5)
    assert codes(d.reasons) == [CUTOFF_PASSED, DISPATCHED]
    assert "14:01 IST" in d.reasons[0].text and "14:00 cut-off" in d.reasons[0].text


def test_order_exactly_at_the_cutoff_has_missed_it():
    assert dispatch_date(ist(2024, 6, 4, 14, 0), NodeCalendar()).date == date(2024, 6, 5)
    assert dispatch_date(ist(2024, 6, 4, 13, 59, 59, 999999), NodeCalendar()).date == date(2024, 6, 4)


def test_ship_by_is_the_cutoff_of_the_dispatch_day_in_utc():
    d = dispatch_date(ist(2024, 6, 4, 16, 0), NodeCalendar(cutoff=time(15, 30)))
    assert d.ship_by == datetime(2024, 6, 5, 10, 0, tzinfo=UTC)  # 15:30 IST = 10:00 UTC
    assert d.ship_by.tzinfo is UTC


def test_order_time_may_come_in_any_zone_but_must_be_aware():
    same_instant = datetime(2024, 6, 4, 10, 29, tzinfo=ZoneInfo("Europe/Berlin"))  # 13:59 IST
    assert dispatch_date(same_instant, NodeCalendar()).date == date(2024, 6, 4)
    with pytest.raises(ValueError, match="timezone-aware"):
        dispatch_date(datetime(2024, 6, 4, 8, 29), NodeCalendar())


# ------------------------------------------------------------------ working days, holidays, pickup days
def test_saturday_after_cutoff_waits_over_sunday_for_monday():
    d = dispatch_date(ist(2024, 6, 8, 15, 0), NodeCalendar())  # Saturday
    assert d.date == date(2024, 6, 10)
    assert codes(d.reasons) == [CUTOFF_PASSED, NODE_CLOSED, DISPATCHED]
    assert d.reasons[1].day == date(2024, 6, 9) and "Sundays" in d.reasons[1].text


def test_order_on_a_sunday_morning_leaves_on_monday():
    d = dispatch_date(ist(2024, 6, 9, 9, 0), NodeCalendar())
    assert d.date == date(2024, 6, 10)
    assert codes(d.reasons) == [CUTOFF_MET, NODE_CLOSED, DISPATCHED]


def test_a_node_that_works_sundays_ships_on_sunday():
    assert dispatch_date(ist(2024, 6, 9, 9, 0), NodeCalendar(working_days=ALL_DAYS)).date == date(2024, 6, 9)


def test_national_holiday_is_skipped_every_year():
    d = dispatch_date(ist(2024, 8, 14, 15, 0), NodeCalendar())  # Wednesday, after cut-off; Thursday is 15 Aug
    assert d.date == date(2024, 8, 16)
    assert codes(d.reasons) == [CUTOFF_PASSED, NODE_HOLIDAY, DISPATCHED]
    assert dispatch_date(ist(2030, 8, 15, 9, 0), NodeCalendar()).date == date(2030, 8, 16)


def test_dated_holiday_applies_only_that_year():
    diwali = NodeCalendar(holidays=INDIA_NATIONAL_HOLIDAYS | Holidays.parse(["2024-11-01"]))
    assert dispatch_date(ist(2024, 11, 1, 9, 0), diwali).date == date(2024, 11, 2)
    assert dispatch_date(ist(2030, 11, 1, 9, 0), diwali).date == date(2030, 11, 1)


def test_holiday_then_sunday_then_closed_monday_chain_in_order():
    cal = NodeCalendar(holidays=Holidays.parse(["2024-06-08", "2024-06-10"]))
    d = dispatch_date(ist(2024, 6, 7, 14, 30), cal)  # Friday after cut-off
    assert d.date == date(2024, 6, 11)
    assert codes(d.reasons) == [CUTOFF_PASSED, NODE_HOLIDAY, NODE_CLOSED, NODE_HOLIDAY, DISPATCHED]
    assert [r.day for r in d.reasons[1:]] == [date(2024, 6, d) for d in (8, 9, 10, 11)]


def test_carrier_that_does_not_pick_up_that_day_moves_dispatch():
    cal = NodeCalendar(pickup_days={"HLX": parse_weekdays("Mon,Wed,Fri")})
    d = dispatch_date(ist(2024, 6, 4, 10, 0), cal, "HLX")  # Tuesday
    assert d.date == date(2024, 6, 5)
    assert codes(d.reasons) == [CUTOFF_MET, NO_PICKUP, DISPATCHED]
    assert "HLX does not pick up on Tuesdays" in d.reasons[1].text
    # Another carrier, with no pickup days of its own, collects on every working day.
    assert dispatch_date(ist(2024, 6, 4, 10, 0), cal, "XPR").date == date(2024, 6, 4)


def test_pickup_days_outside_working_days_are_refused():
    with pytest.raises(ValueError, match="never pick up"):
        NodeCalendar(working_days=parse_weekdays("Mon-Fri"), pickup_days={"XPR": parse_weekdays("Sat,Sun")})


def test_calendar_settings_are_validated():
    with pytest.raises(ValueError, match="IANA"):
        NodeCalendar(timezone="India/Mumbai")
    with pytest.raises(ValueError, match="at least one weekday"):
        NodeCalendar(working_days=frozenset())
    with pytest.raises(ValueError, match="0 .Monday. to 6"):
        NodeCalendar(working_days=frozenset({7}))
    with pytest.raises(ValueError, match="without a zone"):
        NodeCalendar(cutoff=time(14, 0, tzinfo=UTC))


# ------------------------------------------------------------------ time zones
def test_node_in_another_zone_applies_its_own_cutoff():
    at = datetime(2024, 6, 4, 9, 30, tzinfo=UTC)  # 13:30 in Dubai, 15:00 in India
    assert dispatch_date(at, NodeCalendar(timezone="Asia/Dubai")).date == date(2024, 6, 4)
    assert dispatch_date(at, NodeCalendar()).date == date(2024, 6, 5)


def test_node_in_a_summer_time_zone_moves_its_cutoff_with_the_season_and_ist_does_not():
    london = NodeCalendar(timezone="Europe/London")
    summer, winter = datetime(2024, 7, 2, 13, 30, tzinfo=UTC), datetime(2024, 1, 9, 13, 30, tzinfo=UTC)
    # 13:30 UTC is 14:30 BST in July (missed) but 13:30 GMT in January (made).
    assert dispatch_date(summer, london).date == date(2024, 7, 3)
    assert dispatch_date(winter, london).date == date(2024, 1, 9)
    assert dispatch_date(summer, london).ship_by == datetime(2024, 7, 3, 13, 0, tzinfo=UTC)
    assert dispatch_date(winter, london).ship_by == datetime(2024, 1, 9, 14, 0, tzinfo=UTC)
    # India keeps +05:30 all year: the same UTC time is 19:00 IST in both seasons.
    assert dispatch_date(summer, NodeCalendar()).ship_by.time() == time(8, 30)
    assert dispatch_date(winter, NodeCalendar()).ship_by.time() == time(8, 30)


def test_cutoff_on_the_day_the_clocks_change_uses_that_days_offset():
    ny = NodeCalendar(timezone="America/New_York", working_days=ALL_DAYS, holidays=Holidays())
    # 2024-03-10: EST (-5) until 02:00, EDT (-4) after. 14:00 local is 18:00 UTC that day, 19:00 UTC the day before.
    assert dispatch_date(datetime(2024, 3, 10, 17, 59, tzinfo=UTC), ny).ship_by == datetime(2024, 3, 10, 18, 0, tzinfo=UTC)
    assert dispatch_date(datetime(2024, 3, 9, 18, 59, tzinfo=UTC), ny).ship_by == datetime(2024, 3, 9, 19, 0, tzinfo=UTC)
    assert dispatch_date(datetime(2024, 3, 10, 18, 0, tzinfo=UTC), ny).date == date(2024, 3, 11)


# ------------------------------------------------------------------ delivery days
@pytest.mark.parametrize("dispatched, days, expected", [
    (date(2024, 6, 7), 1, date(2024, 6, 8)),    # Fri + 1 -> Sat
    (date(2024, 6, 7), 2, date(2024, 6, 10)),   # Fri + 2 -> Mon (Sunday not counted)
    (date(2024, 6, 8), 1, date(2024, 6, 10)),   # Sat + 1 -> Mon
    (date(2024, 6, 10), 0, date(2024, 6, 10)),  # same day
    (date(2024, 6, 9), 0, date(2024, 6, 10)),   # same-day service on a Sunday: Monday
    (date(2024, 6, 9), 1, date(2024, 6, 10)),   # left on Sunday, one day: Monday
    (date(2024, 8, 14), 1, date(2024, 8, 16)),  # 15 Aug is a national holiday
    (date(2024, 6, 3), 6, date(2024, 6, 10)),   # a full week of Mon-Sat
])
def test_transit_counts_delivery_days_only(dispatched, days, expected):
    assert delivery_date(dispatched, days).date == expected


def test_state_holiday_delays_only_that_state():
    rules = DeliveryRules(state_holidays={"KL": Holidays.parse(["2024-09-16"])})
    kerala = delivery_date(date(2024, 9, 14), 1, rules, "KL")
    assert kerala.date == date(2024, 9, 17)
    assert codes(kerala.reasons) == [NO_DELIVERY_DAY, DESTINATION_HOLIDAY, DELIVERED]
    assert "(KL)" in kerala.reasons[1].text
    assert delivery_date(date(2024, 9, 14), 1, rules, "KA").date == date(2024, 9, 16)


def test_deliver_by_is_the_end_of_the_delivery_day_at_the_destination_in_utc():
    d = delivery_date(date(2024, 6, 7), 2)
    assert d.deliver_by == datetime(2024, 6, 10, 18, 30, tzinfo=UTC)  # midnight IST ending Monday 10 June
    assert (d.deliver_by - timedelta(microseconds=1)).astimezone(IST).date() == d.date


def test_negative_or_fractional_transit_is_refused():
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="whole number"):
            delivery_date(date(2024, 6, 7), bad)


# ------------------------------------------------------------------ settings text
def test_weekday_specs_parse_ranges_lists_and_wrap_around():
    assert parse_weekdays("Mon-Sat") == frozenset(range(6))
    assert parse_weekdays("mon, Wednesday,FRI") == frozenset({0, 2, 4})
    assert parse_weekdays("Fri-Mon") == frozenset({4, 5, 6, 0})
    assert parse_weekdays([0, "Sun"]) == frozenset({0, 6})
    with pytest.raises(ValueError, match="'Funday' is not a weekday"):
        parse_weekdays("Mon,Funday")
    with pytest.raises(ValueError, match="no weekdays"):
        parse_weekdays(" , ")


def test_every_weekday_set_formats_to_text_that_parses_back():
    for mask in range(1, 128):
        days = frozenset(d for d in range(7) if mask >> d & 1)
        assert parse_weekdays(format_weekdays(days)) == days
    assert format_weekdays(range(6)) == "Mon-Sat"
    assert format_weekdays({0, 2, 3, 4, 6}) == "Mon,Wed-Fri,Sun"


def test_holidays_parse_dated_and_annual_days_and_name_a_bad_one():
    h = Holidays.parse("08-15, 2024-11-01")
    assert date(2031, 8, 15) in h and date(2024, 11, 1) in h and date(2025, 11, 1) not in h
    assert h.as_strings() == ["08-15", "2024-11-01"]
    with pytest.raises(ValueError, match="'2024-13-01'"):
        Holidays.parse(["2024-13-01"])
    with pytest.raises(ValueError, match="'04-31'"):
        Holidays.parse(["04-31"])


def test_calendar_settings_round_trip_through_plain_data():
    cal = NodeCalendar(timezone="Europe/London", cutoff=time(16, 30), working_days=parse_weekdays("Mon-Fri"),
                       holidays=Holidays.parse(["12-25", "2024-05-27"]),
                       pickup_days={"XPR": parse_weekdays("Mon-Fri"), "HLX": parse_weekdays("Tue,Thu")})
    data = cal.to_dict()
    assert data == {"timezone": "Europe/London", "cutoff": "16:30", "working_days": "Mon-Fri",
                    "holidays": ["12-25", "2024-05-27"], "pickup_days": {"HLX": "Tue,Thu", "XPR": "Mon-Fri"}}
    assert NodeCalendar.from_dict(data) == cal
    assert NodeCalendar.from_dict(data).pickup_days == cal.pickup_days
    assert NodeCalendar.from_dict({}) == NodeCalendar()
    precise = NodeCalendar(cutoff=time(13, 59, 30))
    assert precise.to_dict()["cutoff"] == "13:59:30" and NodeCalendar.from_dict(precise.to_dict()) == precise
    with pytest.raises(ValueError, match="unknown calendar setting"):
        NodeCalendar.from_dict({"cut_off": "14:00"})
    with pytest.raises(ValueError, match="HH:MM"):
        NodeCalendar.from_dict({"cutoff": "2pm"})


# ------------------------------------------------------------------ against numpy's business-day arithmetic
ZONES = ["Asia/Kolkata", "Asia/Kathmandu", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]
weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)
days_2024_2026 = st.dates(date(2024, 1, 1), date(2026, 12, 31))


def _busday_args(allowed: frozenset[int], holidays: Holidays, first_year: int) -> dict:
    dated = set(holidays.dates)
    for year in range(first_year - 1, first_year + 12):
        for month, day in holidays.annual:
            if (month, day) != (2, 29) or year % 4 == 0 and (year % 100 or year % 400 == 0):
                dated.add(date(year, month, day))
    return {"weekmask": [int(d in allowed) for d in range(7)], "holidays": sorted(dated)}


@st.composite
def node_calendars(draw):
    working = draw(weekday_sets)
    pickup = draw(st.frozensets(st.sampled_from(sorted(working)), min_size=1))
    return NodeCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        cutoff=time(draw(st.integers(6, 21)), draw(st.sampled_from([0, 15, 30, 59]))),
        working_days=working,
        holidays=Holidays(draw(st.frozensets(days_2024_2026, max_size=40)),
                          draw(st.frozensets(st.tuples(st.integers(1, 12), st.integers(1, 28)), max_size=5))),
        pickup_days={"C1": pickup},
    )


@CASES
@given(cal=node_calendars(), ordered_at=st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)))
def test_dispatch_date_matches_numpy_busday_offset(cal, ordered_at):
    local = ordered_at.astimezone(ZoneInfo(cal.timezone))
    start = local.date() + timedelta(days=0 if local.time() < cal.cutoff else 1)
    allowed = cal.working_days & cal.carrier_pickup_days("C1")
    expected = np.busday_offset(start, 0, roll="forward", **_busday_args(allowed, cal.holidays, start.year))
    d = dispatch_date(ordered_at, cal, "C1")
    assert np.datetime64(d.date) == expected
    back = d.ship_by.astimezone(ZoneInfo(cal.timezone))
    assert (back.date(), back.time()) == (d.date, cal.cutoff)
    assert d.ship_by > ordered_at or d.date == local.date()


@CASES
@given(dispatched=days_2024_2026, days=st.integers(0, 30), delivery_days=weekday_sets,
       holidays=st.frozensets(days_2024_2026, max_size=40))
def test_delivery_date_matches_numpy_busday_offset(dispatched, days, delivery_days, holidays):
    rules = DeliveryRules(delivery_days=delivery_days, holidays=INDIA_NATIONAL_HOLIDAYS | Holidays(holidays))
    args = _busday_args(delivery_days, rules.holidays, dispatched.year)
    # n >= 1: the n-th delivery day strictly after dispatch, which is numpy's offset from the last delivery day
    # on or before it (roll backward). n = 0: the dispatch day itself if it is one, else the next (roll forward).
    if days == 0:
        expected = np.busday_offset(dispatched, 0, roll="forward", **args)
    else:
        expected = np.busday_offset(dispatched, days, roll="backward", **args)
    d = delivery_date(dispatched, days, rules)
    assert np.datetime64(d.date) == expected
    assert sum(r.code == DELIVERED for r in d.reasons) == 1

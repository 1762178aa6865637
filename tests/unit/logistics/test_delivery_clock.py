"""The allocator's clock (issue 24) gives the dates `estimate_delivery` gives, though it keeps them per
(node, carrier, local day, before/after the cut-off): 13:59 and 14:01 at a 14:00 cut-off, a Sunday, a
holiday at the node, a carrier that does not pick up every day, and every hour of two weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from omnialloc.domain.logistics import Carrier
from omnialloc.geo.pins import locate
from omnialloc.logistics.calendar import Holidays, NodeCalendar
from omnialloc.logistics.transit import Origin, TransitModel, estimate_delivery
from omnialloc.logistics.transit.clock import DeliveryClock

IST = ZoneInfo("Asia/Kolkata")
KOCHI = NodeCalendar(holidays=Holidays(dates=frozenset({datetime(2026, 8, 26).date()}), annual=frozenset({(8, 15)})),
                     pickup_days={"HLX": frozenset(range(5))})
CARRIERS = [Carrier("XPR", "Xpress", modes=("air", "surface")), Carrier("HLX", "Heavy", modes=("surface",))]
MODEL = TransitModel(CARRIERS)
CLOCK = DeliveryClock({"COK-FC1": KOCHI})
ORIGIN = Origin("COK-FC1", locate("682030"), KOCHI)


def _both(at: datetime, carrier: str = "XPR", service: str = "surface", pin: str = "678001"):
    est = estimate_delivery(ORIGIN, carrier, service, pin, at, MODEL)
    dest = locate(pin)
    timing = CLOCK.timing("COK-FC1", carrier, service, est.transit_days, est.transit.basis, dest.state_code, at,
                          CLOCK.order_day(at))
    return est, timing


def _ist(*args) -> datetime:
    return datetime(*args, tzinfo=IST).astimezone(UTC)


def test_a_minute_either_side_of_the_cutoff():
    before, t_before = _both(_ist(2026, 12, 8, 13, 59))   # Tuesday
    after, t_after = _both(_ist(2026, 12, 8, 14, 1))
    assert t_before.dispatch_date == before.dispatch_date == datetime(2026, 12, 8).date()
    assert t_after.dispatch_date == after.dispatch_date == datetime(2026, 12, 9).date()
    assert (t_before.delivery_date, t_after.delivery_date) == (before.delivery_date, after.delivery_date)
    assert t_after.days == t_before.days + 1
    assert t_before.ship_by == before.ship_by and t_before.deliver_by == before.deliver_by


def test_a_sunday_order_leaves_on_monday_and_a_holiday_is_skipped():
    sunday, t = _both(_ist(2026, 12, 6, 10, 0))
    assert t.dispatch_date == sunday.dispatch_date == datetime(2026, 12, 7).date()
    onam, t = _both(_ist(2026, 8, 25, 15, 0))   # after the cut-off the day before Thiruvonam
    assert t.dispatch_date == onam.dispatch_date == datetime(2026, 8, 27).date()
    friday, t = _both(_ist(2026, 12, 11, 15, 0), carrier="HLX")   # HLX collects Mon-Fri: Saturday is out
    assert t.dispatch_date == friday.dispatch_date == datetime(2026, 12, 14).date()


@pytest.mark.parametrize("carrier,service", [("XPR", "surface"), ("XPR", "express"), ("HLX", "surface")])
def test_every_hour_of_two_weeks_matches_the_estimator(carrier, service):
    start = _ist(2026, 8, 10, 0, 30)
    for hour in range(14 * 24):
        at = start + timedelta(hours=hour)
        est, t = _both(at, carrier, service, pin="110001")
        assert (t.dispatch_date, t.ship_by, t.delivery_date, t.deliver_by, t.days) == (
            est.dispatch_date, est.ship_by, est.delivery_date, est.deliver_by, est.days_after_order), at

"""Estimated delivery date: dispatch (node calendar) + transit (model) + delivery days (destination)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from omnialloc.domain.errors import UnknownPin, ValidationFailed
from omnialloc.geo import locate
from omnialloc.logistics.calendar import DeliveryRules, Holidays, NodeCalendar, parse_weekdays
from omnialloc.logistics.transit import Origin, Service, TransitModel, estimate_delivery, read_transit_file
from omnialloc.network_files import load_network, packaged_data_dir

IST = ZoneInfo("Asia/Kolkata")
NET = load_network()
MODEL = TransitModel(NET.carriers, read_transit_file(packaged_data_dir() / "transit_times.csv",
                                                     NET.carriers))
KOCHI_FC = Origin("COK-FC1", locate("682030"))
JAIPUR_FC = Origin("JAI-FC1", locate("302022"))
BLR_STORE = Origin("BLR-ST1", locate("560038"))


def ist(*args):
    return datetime(*args, tzinfo=IST).astimezone(UTC)


def test_estimate_puts_dispatch_transit_and_delivery_together():
    e = estimate_delivery(KOCHI_FC, "XPR", "surface", "678001", ist(2024, 6, 4, 11, 0), MODEL)  # Tuesday morning
    assert (e.dispatch_date, e.transit_days, e.delivery_date, e.days_after_order) == (
        date(2024, 6, 4), 2, date(2024, 6, 6), 2)
    assert e.service is Service.SURFACE and e.destination_pin == "678001" and e.node == "COK-FC1"
    assert e.ordered_at.tzinfo is UTC and e.ship_by.tzinfo is UTC and e.deliver_by.tzinfo is UTC
    assert e.ship_by == ist(2024, 6, 4, 14, 0)
    assert e.deliver_by == ist(2024, 6, 7, 0, 0)
    assert [r.code for r in e.reasons] == ["cutoff_met", "dispatched", "transit", "delivered"]


def test_the_nearer_node_promises_an_earlier_date():
    at = ist(2024, 6, 4, 11, 0)
    near = estimate_delivery(KOCHI_FC, "XPR", Service.SURFACE, "678001", at, MODEL)
    far = estimate_delivery(JAIPUR_FC, "XPR", Service.SURFACE, "678001", at, MODEL)
    # 6 vs 2 delivery days from Tuesday: Thu 6 Jun vs Tue 11 Jun (Sunday 9 Jun does not count).
    assert (near.delivery_date, far.delivery_date) == (date(2024, 6, 6), date(2024, 6, 11))
    assert "cross-country" in far.explain()


def test_reason_chain_lists_every_step_in_order():
    e = estimate_delivery(KOCHI_FC, "HLX", "surface", "678001", ist(2024, 8, 13, 14, 30), MODEL)
    # Tuesday after the cut-off -> Wednesday; 3 delivery days skip Thu 15 Aug (holiday) and Sunday.
    assert [(r.code, r.day) for r in e.reasons] == [
        ("cutoff_passed", date(2024, 8, 13)),
        ("dispatched", date(2024, 8, 14)),
        ("transit", None),
        ("destination_holiday", date(2024, 8, 15)),
        ("no_delivery_day", date(2024, 8, 18)),
        ("delivered", date(2024, 8, 19)),
    ]
    assert "HLX surface: 3 days in transit (seller's table: state pair KL>KL)" in e.explain()


def test_pickup_days_and_holidays_move_dispatch_and_say_so():
    cal = NodeCalendar(pickup_days={"HLX": parse_weekdays("Mon,Fri")})
    e = estimate_delivery(Origin("COK-FC1", locate("682030"), cal), "HLX", "surface", "678001",
                          ist(2024, 8, 13, 14, 30), MODEL)   # Tue after cut-off: Wed, Thu no pickup/holiday
    assert e.dispatch_date == date(2024, 8, 16)
    assert [r.code for r in e.reasons[:4]] == ["cutoff_passed", "no_pickup", "node_holiday", "dispatched"]


def test_same_day_express_from_a_store_to_its_own_neighbourhood():
    e = estimate_delivery(BLR_STORE, "XPR", "express", "560038", ist(2024, 6, 4, 10, 0), MODEL)
    assert (e.dispatch_date, e.delivery_date, e.days_after_order) == (date(2024, 6, 4), date(2024, 6, 4), 0)
    late = estimate_delivery(BLR_STORE, "XPR", "express", "560038", ist(2024, 6, 4, 15, 0), MODEL)
    assert late.delivery_date == date(2024, 6, 5) and late.days_after_order == 1


def test_destination_state_holiday_counts_against_delivery_only_there():
    rules = DeliveryRules(state_holidays={"KL": Holidays.parse(["2024-06-05"])})
    to_kerala = estimate_delivery(KOCHI_FC, "XPR", "surface", "678001", ist(2024, 6, 4, 11, 0), MODEL, rules)
    to_karnataka = estimate_delivery(KOCHI_FC, "XPR", "express", "560001", ist(2024, 6, 4, 11, 0), MODEL, rules)
    assert to_kerala.delivery_date == date(2024, 6, 7)
    assert to_karnataka.delivery_date == date(2024, 6, 5)


def test_node_abroad_in_summer_time_ships_by_its_own_clock():
    london = Origin("UK-VENDOR", locate("110020"), NodeCalendar(timezone="Europe/London"))
    at = datetime(2024, 7, 2, 13, 30, tzinfo=UTC)            # 14:30 BST: after its cut-off; 19:00 IST
    e = estimate_delivery(london, "XPR", "surface", "400072", at, MODEL)
    assert e.dispatch_date == date(2024, 7, 3) and e.ship_by == datetime(2024, 7, 3, 13, 0, tzinfo=UTC)
    assert "14:30 BST" in e.reasons[0].text
    assert e.days_after_order == (e.delivery_date - date(2024, 7, 2)).days


def test_estimate_to_dict_is_plain_json():
    data = estimate_delivery(KOCHI_FC, "XPR", "surface", "678001", ist(2024, 6, 4, 11, 0), MODEL).to_dict()
    assert data["delivery_date"] == "2024-06-06" and data["ship_by"] == "2024-06-04T08:30:00+00:00"
    assert data["transit_basis"] == "default" and data["reasons"][0]["code"] == "cutoff_met"


def test_bad_inputs_are_refused_with_a_reason():
    with pytest.raises(UnknownPin):
        estimate_delivery(KOCHI_FC, "XPR", "surface", "67800", ist(2024, 6, 4, 11, 0), MODEL)
    with pytest.raises(ValidationFailed, match="ECO does not offer express"):
        estimate_delivery(KOCHI_FC, "ECO", "express", "678001", ist(2024, 6, 4, 11, 0), MODEL)
    with pytest.raises(ValueError, match="timezone-aware"):
        estimate_delivery(KOCHI_FC, "XPR", "surface", "678001", datetime(2024, 6, 4, 11, 0), MODEL)


def test_model_calendars_and_estimates_pickle_for_batch_workers():
    import pickle

    cal = NodeCalendar(pickup_days={"HLX": parse_weekdays("Mon,Fri")})
    rules = DeliveryRules(state_holidays={"KL": Holidays.parse(["2024-06-05"])})
    model, cal2, rules2 = pickle.loads(pickle.dumps((MODEL, cal, rules)))
    assert (cal2, rules2.state_holidays, model.table) == (cal, rules.state_holidays, MODEL.table)
    at = ist(2024, 6, 4, 11, 0)
    before = estimate_delivery(Origin("COK-FC1", locate("682030"), cal), "HLX", "surface", "678001", at, MODEL, rules)
    after = estimate_delivery(Origin("COK-FC1", locate("682030"), cal2), "HLX", "surface", "678001", at, model, rules2)
    assert pickle.loads(pickle.dumps(before)) == before == after

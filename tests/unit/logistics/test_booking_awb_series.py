"""AWB series: check digits against published examples, and the allocator against brute force (hypothesis)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnialloc.logistics.booking import (Address, AwbLedger, AwbRange, AwbSeriesCarrier, BookedItem, BookingRejected,
                                         BookingRequest, CarrierBooking, CheckDigit, Parcel, PaymentMode, PickupRequest,
                                         SeriesExhausted, Unsupported, check_upload, parse_range, take)
from omnialloc.logistics.booking.awb_series import SeriesState, apply, check_digit


# -- check digits ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("awb", ["EE123456785IN", "RR473124829GB"])       # UPU S10 examples
def test_s10_check_digit(awb):
    assert check_digit(CheckDigit.S10, int(awb[2:10])) == awb[10]


@pytest.mark.parametrize("awb", ["17612345675", "02081140743"])           # IATA mod-7 examples
def test_mod7_check_digit(awb):
    assert check_digit(CheckDigit.MOD7, int(awb[3:10])) == awb[10]


def test_s10_remainders_10_and_11_map_to_0_and_5():
    seen = {}
    for serial in range(0, 2000):
        total = sum(int(d) * w for d, w in zip(f"{serial:08d}", (8, 6, 4, 2, 3, 5, 9, 7))) % 11
        seen.setdefault(total, check_digit(CheckDigit.S10, serial))
    assert seen[1] == "0" and seen[0] == "5"


# -- parsing an upload -------------------------------------------------------------------------------------------

def test_a_range_is_read_from_its_first_and_last_awb():
    r = parse_range("INDIAPOST", "ee123456785in", "EE123456992IN", check=CheckDigit.S10)
    assert (r.prefix, r.first, r.last, r.width, r.suffix) == ("EE", 12345678, 12345699, 8, "IN")
    assert r.awb(12345678) == "EE123456785IN" and r.size == 22
    assert r.serial_of("EE123456992IN") == 12345699 and r.serial_of("EE123456993IN") is None


def test_a_numeric_prefix_is_given_explicitly():
    r = parse_range("AIR", "17612345675", "17612345701", check=CheckDigit.MOD7, prefix="176")
    assert (r.prefix, r.first, r.last, r.width) == ("176", 1234567, 1234570, 7)


@pytest.mark.parametrize("first, last, problem", [
    ("EE123456786IN", "EE123456992IN", "check digit"),
    ("EE123456785IN", "EF123456992IN", "not of one series"),
    ("EE123456785IN", "EE12345699IN", "check digit|not of one series"),
])
def test_a_malformed_upload_is_refused(first, last, problem):
    with pytest.raises(ValueError, match=problem):
        parse_range("INDIAPOST", first, last, check=CheckDigit.S10)


@pytest.mark.parametrize("kwargs, problem", [
    ({"first": 10, "last": 9}, "first"), ({"last": 1000}, "fitting"), ({"prefix": "ab"}, "prefix"),
    ({"check": CheckDigit.S10}, "8-digit"), ({"width": 0}, "width"), ({"first": True}, "first"),
])
def test_an_impossible_range_is_refused(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        AwbRange(**{"carrier": "C", "first": 0, "last": 999, "width": 3, **kwargs})


# -- the allocator against brute force ---------------------------------------------------------------------------

@st.composite
def series(draw):
    """Disjoint ranges of one format, uploaded in a random order, with some already partly used."""
    cuts = sorted(draw(st.sets(st.integers(0, 400), min_size=2, max_size=12)))
    pairs = [(cuts[i], cuts[i + 1] - 1) for i in range(0, len(cuts) - 1, 2) if cuts[i] <= cuts[i + 1] - 1]
    if not pairs:
        pairs = [(cuts[0], cuts[0])]
    order = draw(st.permutations(pairs))
    check = draw(st.sampled_from([CheckDigit.NONE, CheckDigit.MOD7]))
    states = []
    for i, (first, last) in enumerate(order):
        used = draw(st.integers(0, last - first + 1))
        states.append(SeriesState(f"r{i}", AwbRange("C", first, last, 4, "AB", "", check), first + used))
    return states


def _unused_in_order(states):
    return [s.range.awb(n) for s in states for n in range(s.next_serial, s.range.last + 1)]


@settings(max_examples=200, deadline=None)
@given(series(), st.lists(st.integers(1, 60), max_size=15))
def test_takes_hand_out_the_unused_numbers_in_upload_order_without_gaps_or_reuse(states, sizes):
    expected = _unused_in_order(states)
    handed = []
    for n in sizes:
        try:
            got = take(states, n)
        except SeriesExhausted as exc:
            assert exc.available == len(expected) - len(handed) < n
            continue                                   # all or nothing: the state is unchanged
        states = apply(states, got.moves)
        handed += got.awbs
    assert handed == expected[:len(handed)]
    assert len(set(handed)) == len(handed)
    assert _unused_in_order(states) == expected[len(handed):]


def test_a_stale_cursor_is_refused_by_the_compare_and_set():
    states = [SeriesState("r1", AwbRange("C", 1, 10, 2), 1)]
    first = take(states, 2)
    states = apply(states, first.moves)
    with pytest.raises(ValueError, match="moved on"):
        apply(states, first.moves)                     # a second writer that read the old cursor


_FORMATS = st.tuples(st.sampled_from(["", "A", "AB", "1", "A1"]), st.integers(1, 3),
                     st.sampled_from(["", "X"]), st.sampled_from([CheckDigit.NONE, CheckDigit.MOD7]))


@st.composite
def small_range(draw):
    prefix, width, suffix, check = draw(_FORMATS)
    first = draw(st.integers(0, 10 ** width - 1))
    last = draw(st.integers(first, min(10 ** width - 1, first + 40)))
    return AwbRange("C", first, last, width, prefix, suffix, check)


def _all(r):
    return {r.awb(n) for n in range(r.first, r.last + 1)}


@settings(max_examples=400, deadline=None)
@given(small_range(), small_range())
def test_an_accepted_upload_never_shares_an_awb_with_an_uploaded_range(old, new):
    try:
        check_upload([old], new)
    except ValueError:
        same_format = (old.prefix, old.suffix, old.width, old.check) == (new.prefix, new.suffix, new.width, new.check)
        if same_format:                                # refused for the same format only when they truly overlap
            assert _all(old) & _all(new)
        return
    assert not _all(old) & _all(new)


# -- the ledger (the store contract in memory) under concurrency --------------------------------------------------

def test_eight_concurrent_bookers_get_distinct_consecutive_awbs_and_one_each():
    ledger = AwbLedger()
    ledger.upload(AwbRange("C", 1000, 1499, 6, "DL"))
    ledger.upload(AwbRange("C", 9000, 9999, 6, "DL"))
    got: dict[str, set[str]] = {}
    lock = threading.Lock()

    def worker(w):
        for i in range(100):
            key = f"SHP-{i}-{w % 4}"                  # two workers book each shipment: one AWB per shipment
            awb = ledger.assign("C", key)
            with lock:
                got.setdefault(key, set()).add(awb)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(awbs) == 1 for awbs in got.values())
    awbs = sorted(next(iter(a)) for a in got.values())
    assert awbs == [f"DL{n:06d}" for n in range(1000, 1400)]
    assert ledger.remaining("C") == 100 + 1000


# -- the adapter -------------------------------------------------------------------------------------------------

HOME = Address(name="Asha Rao", line1="12 MG Road", city="Bengaluru", state="Karnataka", pin="560001",
               phone="+91 98450 00000")


def _request(ref="SHP-1", carrier="DTDC"):
    return BookingRequest(shipment_ref=ref, order_ref="A-1", carrier=carrier, service="surface", ship_from=HOME,
                          ship_to=HOME, return_to=HOME, parcel=Parcel(weight_g=500), payment=PaymentMode.PREPAID,
                          items=(BookedItem(sku="MUG", name="Mug", qty=1),))


def _series_carrier(**kw):
    ledger = AwbLedger()
    ledger.upload(AwbRange("DTDC", 1, 3, 8, "D"))
    return AwbSeriesCarrier("DTDC", ledger, **kw), ledger


def test_booking_from_a_series_is_idempotent_and_a_cancelled_awb_is_not_reused():
    adapter, ledger = _series_carrier(routing_codes={"56": "BLR", "5600": "BLR-C"})
    assert isinstance(adapter, CarrierBooking)
    first = adapter.book(_request("SHP-1"))
    assert first.awb == "D00000001" and first.label.routing_code == "BLR-C"
    assert adapter.book(_request("SHP-1")).awb == "D00000001"
    adapter.cancel("D00000001")
    assert ("DTDC", "D00000001") in ledger.voided
    assert adapter.book(_request("SHP-2")).awb == "D00000002"


def test_an_exhausted_series_is_a_rejection_asking_for_the_next_range():
    adapter, _ = _series_carrier()
    for i in range(3):
        adapter.book(_request(f"SHP-{i}"))
    with pytest.raises(BookingRejected, match="upload the next range"):
        adapter.book(_request("SHP-9"))


def test_a_series_has_no_tracking_and_its_pickup_reference_names_the_day():
    adapter, _ = _series_carrier()
    with pytest.raises(Unsupported):
        adapter.track("D00000001")
    with pytest.raises(BookingRejected):
        adapter.cancel("D99999999")
    pickup = adapter.schedule_pickup(PickupRequest(node="BLR-1", address=HOME, pickup_date=date(2026, 12, 8)))
    assert pickup.reference == "DTDC-BLR-1-20261208"

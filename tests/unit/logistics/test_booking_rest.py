"""RestCarrier against a local server that plays a carrier's REST API, its failures included (fake_carrier.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from fake_carrier import PDF, TOKEN, FakeCarrier

from omnialloc.logistics.booking import (Address, BookedItem, BookingRejected, BookingRequest, CarrierBooking,
                                         CarrierUnavailable, Parcel, PaymentMode, PickupRequest, RestCarrier,
                                         RestCarrierConfig, Unsupported)

BOOK_BODY = {
    "client_reference": "{{ idempotency_key }}",
    "order_number": "{{ order_ref }}",
    "service": "{{ service }}",
    "payment_mode": "{{ payment }}",
    "cod_amount": "{{ cod_rupees }}",
    "declared_value": "{{ declared_value_rupees }}",
    "weight_kg": "{{ parcel.weight_kg }}",
    "dimensions_cm": ["{{ parcel.length_cm }}", "{{ parcel.width_cm }}", "{{ parcel.height_cm }}"],
    "consignee": {"name": "{{ ship_to.name }}", "address": "{{ ship_to.street }}, {{ ship_to.city }}",
                  "pincode": "{{ ship_to.pin }}", "phone": "{{ ship_to.phone }}"},
    "pickup_location": "{{ ship_from.name }}",
    "items": {"$each": "items", "$template": {"sku": "{{ sku }}", "description": "{{ name }}", "quantity": "{{ qty }}",
                                              "order": "{{ order_ref }}"}},
}

CONFIG = {
    "carrier": "FASTCO",
    "token": TOKEN,
    "book": {"method": "POST", "path": "/api/v2/shipments", "body": BOOK_BODY},
    "awb_path": "data.packages.0.waybill",
    "routing_code_path": "data.packages.0.sort_code",
    "label_pdf_path": "data.packages.0.label",
    "carrier_ref_path": "data.booking_id",
    "success_path": "success",
    "error_path": "rmk",
    "cancel": {"method": "POST", "path": "/api/v2/shipments/{awb}/cancel", "body": {"reason": "seller_cancelled"}},
    "pickup": {"method": "POST", "path": "/api/v2/pickups",
               "body": {"location": "{{ node }}", "date": "{{ pickup_date }}", "waybills": "{{ awbs }}",
                        "slot": "{{ ready_from }}-{{ ready_until }}", "packages": "{{ parcels }}"}},
    "pickup_ref_path": "data.pickup_id",
    "track": {"method": "GET", "path": "/api/v2/shipments/{awb}/scans"},
    "scans_path": "data.scans",
    "scan_time_path": "ts", "scan_status_path": "code", "scan_location_path": "hub", "scan_remark_path": "note",
    "backoff_seconds": 0.5, "backoff_max_seconds": 8,
}

SHIP_FROM = Address(name="BLR warehouse", line1="Plot 4, KIADB", city="Bengaluru", state="Karnataka", pin="562123")
SHIP_TO = Address(name="Asha Rao", line1="12 MG Road", line2="Flat 3", city="Pune", state="Maharashtra", pin="411001",
                  phone="+91 98450 00000")


def _request(ref="SHP-1", pin="411001", cod=49_950):
    return BookingRequest(shipment_ref=ref, order_ref="A-1001", carrier="FASTCO", service="surface",
                          ship_from=SHIP_FROM, ship_to=replace(SHIP_TO, pin=pin),
                          return_to=SHIP_FROM, parcel=Parcel(weight_g=1250, length_mm=300, width_mm=205, height_mm=95),
                          payment=PaymentMode.COD if cod else PaymentMode.PREPAID, cod_paise=cod,
                          declared_value_paise=49_950, items=(BookedItem(sku="MUG", name="Steel mug", qty=2),))


@pytest.fixture
def carrier(server):
    return FakeCarrier(server)


def _adapter(server, slept=None, **overrides):
    config = RestCarrierConfig.from_mapping({**CONFIG, "base_url": server.url_for("/").rstrip("/"),
                                             "timeouts": overrides.pop("timeouts", 5), **overrides})
    return RestCarrier(config, sleep=(slept.append if slept is not None else lambda s: None))


def test_book_sends_the_mapped_body_with_token_and_idempotency_key_and_reads_the_answer(server, carrier):
    adapter = _adapter(server)
    assert isinstance(adapter, CarrierBooking)
    booking = adapter.book(_request())
    [(method, path, headers, body)] = carrier.requests
    assert (method, path) == ("POST", "/api/v2/shipments")
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Idempotency-Key"] == "omnialloc-book-FASTCO-SHP-1"
    assert body == {
        "client_reference": "omnialloc-book-FASTCO-SHP-1", "order_number": "A-1001", "service": "surface",
        "payment_mode": "COD", "cod_amount": "499.5", "declared_value": "499.5", "weight_kg": "1.25",
        "dimensions_cm": ["30", "20.5", "9.5"],
        "consignee": {"name": "Asha Rao", "address": "12 MG Road, Flat 3, Pune", "pincode": "411001",
                      "phone": "+91 98450 00000"},
        "pickup_location": "BLR warehouse",
        "items": [{"sku": "MUG", "description": "Steel mug", "quantity": 2, "order": "A-1001"}]}
    assert booking.awb == "FC0000000001" and booking.carrier_ref == "BK-1"
    assert booking.label.routing_code == "S/411/01" and booking.label.label_pdf == PDF


def test_an_answer_lost_to_a_timeout_is_retried_and_the_carrier_books_once(server, carrier):
    carrier.stall("/api/v2/shipments", seconds=1.5)          # booked, but the answer comes too late
    slept = []
    adapter = _adapter(server, slept, timeouts={"connect": 2, "read": 0.5, "write": 2, "pool": 2})
    booking = adapter.book(_request())
    assert booking.awb == "FC0000000001"
    assert len(carrier.bookings) == 1 and len(carrier.booking_bodies) == 1
    keys = [h["Idempotency-Key"] for m, p, h, _ in carrier.requests if p == "/api/v2/shipments"]
    assert keys == ["omnialloc-book-FASTCO-SHP-1"] * 2
    assert slept == [0.5]


def test_booking_the_same_shipment_again_later_gets_the_same_awb(server, carrier):
    adapter = _adapter(server)
    assert adapter.book(_request()).awb == adapter.book(_request()).awb
    assert len(carrier.bookings) == 1


def test_5xx_are_retried_with_exponential_backoff(server, carrier):
    carrier.fail("/api/v2/shipments", 503, times=2)
    slept = []
    booking = _adapter(server, slept).book(_request())
    assert booking.awb == "FC0000000001" and slept == [0.5, 1.0] and len(carrier.bookings) == 1


def test_a_carrier_down_for_good_is_unavailable_after_the_last_attempt(server, carrier):
    carrier.fail("/api/v2/shipments", 502, times=10)
    slept = []
    with pytest.raises(CarrierUnavailable) as raised:
        _adapter(server, slept).book(_request())
    err = raised.value
    assert err.transient and err.attempts == 4 and err.status == 502 and "booking service busy" in err.message
    assert slept == [0.5, 1.0, 2.0] and carrier.bookings == {}


def test_429_waits_as_long_as_the_carrier_asks(server, carrier):
    carrier.fail("/api/v2/shipments", 429, times=1, retry_after="3")
    slept = []
    assert _adapter(server, slept).book(_request()).awb
    assert slept == [3.0]


def test_a_long_retry_after_is_handed_back_instead_of_holding_the_worker(server, carrier):
    carrier.fail("/api/v2/shipments", 429, times=1, retry_after="600")
    slept = []
    with pytest.raises(CarrierUnavailable) as raised:
        _adapter(server, slept).book(_request())
    assert raised.value.retry_after == 600.0 and slept == []


def test_a_rejection_is_not_retried_and_carries_the_carriers_words(server, carrier):
    carrier.unserviceable.add("999999")
    slept = []
    with pytest.raises(BookingRejected) as raised:
        _adapter(server, slept).book(_request(pin="999999"))
    err = raised.value
    assert not err.transient and err.status == 400 and err.attempts == 1
    assert "Pincode 999999 is not serviceable (unserviceable)" in err.message
    assert slept == [] and len(carrier.requests) == 1


def test_a_200_that_says_it_failed_is_a_rejection(server, carrier):
    carrier.say_200_failure("/api/v2/shipments", "COD not available for this pincode")
    with pytest.raises(BookingRejected, match="COD not available for this pincode"):
        _adapter(server).book(_request())


def test_a_200_without_an_awb_is_a_rejection(server, carrier):
    with pytest.raises(BookingRejected, match="without an AWB at 'data.awb'"):
        _adapter(server, awb_path="data.awb").book(_request())


def test_a_bad_token_is_rejected_and_never_logged(server, carrier, our_log):
    with pytest.raises(BookingRejected) as raised:
        _adapter(server, token="wrong-secret-token-xyz").book(_request())
    assert raised.value.status == 401 and "invalid token" in raised.value.message
    ours = our_log()
    assert "HTTP Request" in ours and "wrong-secret-token-xyz" not in ours and TOKEN not in ours


def test_an_unreachable_carrier_is_unavailable():
    config = RestCarrierConfig.from_mapping({**CONFIG, "base_url": "http://127.0.0.1:9", "max_attempts": 2,
                                             "timeouts": 2})
    with pytest.raises(CarrierUnavailable, match="could not be reached"):
        RestCarrier(config, sleep=lambda s: None).book(_request())


def test_cancel_pickup_and_tracking(server, carrier):
    adapter = _adapter(server)
    awb = adapter.book(_request()).awb
    adapter.cancel(awb)
    assert carrier.cancelled == [awb]
    _, path, headers, body = carrier.requests[-1]
    assert path == f"/api/v2/shipments/{awb}/cancel" and body == {"reason": "seller_cancelled"}
    assert headers["Idempotency-Key"] == f"omnialloc-cancel-FASTCO-{awb}"
    with pytest.raises(BookingRejected, match="not found"):
        adapter.cancel("NOPE")

    request = PickupRequest(node="BLR-1", address=SHIP_FROM, pickup_date=date(2026, 12, 8), awbs=(awb,), parcels=1)
    first, again = adapter.schedule_pickup(request), adapter.schedule_pickup(request)
    assert first.reference == again.reference == "PU-00001" and first.pickup_date == date(2026, 12, 8)
    assert carrier.pickups["omnialloc-pickup-BLR-1-2026-12-08"]["body"] == {
        "location": "BLR-1", "date": "2026-12-08", "waybills": [awb], "slot": "10:00-18:00", "packages": 1}

    carrier.scans[awb] = [
        {"ts": "2026-12-08 18:30:00", "code": "IN_TRANSIT", "hub": "Pune Hub", "note": "Bag received"},
        {"ts": "2026-12-08T09:15:00+05:30", "code": "PICKED_UP", "hub": "Bengaluru"},
        {"ts": 1796812200, "code": "DELIVERED", "hub": "Pune"},
        {"ts": "yesterday", "code": "???"},
    ]
    scans = adapter.track(awb)
    assert [(s.status, s.at) for s in scans] == [
        ("PICKED_UP", datetime(2026, 12, 8, 3, 45, tzinfo=timezone.utc)),
        ("IN_TRANSIT", datetime(2026, 12, 8, 13, 0, tzinfo=timezone.utc)),     # carrier's local time (IST)
        ("DELIVERED", datetime(2026, 12, 9, 10, 30, tzinfo=timezone.utc))]
    assert scans[1].location == "Pune Hub" and scans[1].remark == "Bag received"


def test_calls_that_are_not_configured_are_unsupported(server):
    adapter = _adapter(server, cancel=None, pickup=None, track=None, scans_path="")
    for call in (lambda: adapter.cancel("X"), lambda: adapter.track("X"),
                 lambda: adapter.schedule_pickup(PickupRequest(node="N", address=SHIP_FROM, pickup_date=date.today()))):
        with pytest.raises(Unsupported):
            call()


@pytest.mark.parametrize("change, problem", [
    ({"book": {"method": "POST", "path": "/x", "body": {"pin": "{{ ship_to.pincode }}"}}}, "unknown field"),
    ({"book": {"method": "POST", "path": "/x/{order}"}}, r"\{awb\} and \{shipment_ref\} only"),
    ({"book": {"method": "FETCH", "path": "/x"}}, "HTTP method"),
    ({"base_url": "http://carrier.example.in"}, "https"),
    ({"token": ""}, "token"),
    ({"timezone": "Mars/Olympus"}, "time zone"),
    ({"max_attempts": 0}, "max_attempts"),
    ({"colour": "red"}, "unknown carrier settings"),
    ({"track": {"method": "GET", "path": "/t/{awb}"}, "scans_path": ""}, "scans_path"),
    ({"cancel": "/cancel/{awb}"}, "cancel is a call"),
    ({"book": None, "track": None}, "configure the book call"),
])
def test_a_misconfigured_carrier_is_refused_when_configured(change, problem):
    with pytest.raises(ValueError, match=problem):
        RestCarrierConfig.from_mapping({**CONFIG, "base_url": "https://api.fastco.example", **change})


def test_the_token_is_not_in_the_configs_repr():
    config = RestCarrierConfig.from_mapping({**CONFIG, "base_url": "https://api.fastco.example"})
    assert TOKEN not in repr(config)


def test_a_carrier_echoing_the_token_in_its_error_does_not_put_it_in_ours(server):
    server.expect_request("/api/v2/shipments").respond_with_json(
        {"error": {"message": f"bad header Authorization: Bearer {TOKEN}"}}, status=400)
    with pytest.raises(BookingRejected) as raised:
        _adapter(server).book(_request())
    assert TOKEN not in raised.value.message and "Bearer ***" in raised.value.message

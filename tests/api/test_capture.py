"""POST /orders: idempotent capture, and every bad input refused with field errors and nothing stored."""

from __future__ import annotations

import json

import pytest

from omnialloc.config import Settings
from tests.api.conftest import auth, order_body

ERROR_KEYS = {"status", "title", "detail", "errors"}


def _counts(uow_factory) -> tuple[int, int, int, int]:
    """(orders, shipments, events, total reserved units): what a refused request must leave untouched."""
    import sqlalchemy as sa

    from omnialloc.store.tables.events import events
    from omnialloc.store.tables.orders import orders
    from omnialloc.store.tables.shipments import shipments

    with uow_factory(readonly=True) as uow:
        n_orders = uow.conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one()
        n_ship = uow.conn.execute(sa.select(sa.func.count()).select_from(shipments)).scalar_one()
        n_events = uow.conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
        reserved = uow.inventory.totals()["reserved"]
    return n_orders, n_ship, n_events, reserved


def _is_error(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.is_json, r.get_data(as_text=True)[:200]
    body = r.get_json()
    assert set(body) == ERROR_KEYS, body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def _fields(body: dict) -> set[str]:
    return {e["field"] for e in body["errors"]}


# ---------------------------------------------------------------- idempotency


def test_a_retry_with_the_same_body_returns_the_same_order_and_creates_nothing(client, keys, uow_factory):
    admin = auth(keys["admin"])
    first = client.post("/orders", json=order_body("idem-1"), headers=admin)
    assert first.status_code == 201, first.get_json()
    before = _counts(uow_factory)
    again = client.post("/orders", json=order_body("idem-1"), headers=admin)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _counts(uow_factory) == before


def test_the_same_key_with_a_different_body_is_a_conflict(client, keys, uow_factory):
    admin = auth(keys["admin"])
    assert client.post("/orders", json=order_body("idem-2"), headers=admin).status_code == 201
    before = _counts(uow_factory)
    other = order_body("idem-2", lines=[{"sku": "SKU-0001", "qty": 2}])
    body = _is_error(client.post("/orders", json=other, headers=admin), 409)
    assert "external_id" in body["detail"] or "different body" in body["detail"]
    assert _counts(uow_factory) == before


def test_the_same_external_id_in_another_channel_is_a_different_order(client, keys):
    admin = auth(keys["admin"])
    a = client.post("/orders", json=order_body("idem-3", channel="web"), headers=admin)
    b = client.post("/orders", json=order_body("idem-3", channel="amazon"), headers=admin)
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.get_json()["id"] != b.get_json()["id"]


def test_a_whole_number_float_quantity_is_accepted_as_an_integer(client, keys):
    r = client.post("/orders", json=order_body("float-qty", lines=[{"sku": "SKU-0001", "qty": 2.0}]),
                    headers=auth(keys["admin"]))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["lines"][0]["qty"] == 2


# ---------------------------------------------------------------- 422 with field errors, nothing stored

BAD_BODIES = {
    "unknown SKU": (order_body("bad", lines=[{"sku": "NO-SUCH-SKU", "qty": 1}]), "lines.0.sku"),
    "malformed PIN": (order_body("bad", pin="12AB"), "ship_to.pin"),
    "PIN that starts with 0": (order_body("bad", pin="012345"), "ship_to.pin"),
    "unknown PIN": (order_body("bad", pin="999999"), "ship_to.pin"),
    "qty zero": (order_body("bad", lines=[{"sku": "SKU-0001", "qty": 0}]), "lines.0.qty"),
    "qty negative": (order_body("bad", lines=[{"sku": "SKU-0001", "qty": -3}]), "lines.0.qty"),
    "qty false": (order_body("bad", lines=[{"sku": "SKU-0001", "qty": False}]), "lines.0.qty"),
    "qty true": (order_body("bad", lines=[{"sku": "SKU-0001", "qty": True}]), "lines.0.qty"),
    "qty as a string": (order_body("bad", lines=[{"sku": "SKU-0001", "qty": "2"}]), "lines.0.qty"),
    "qty fractional": (order_body("bad", lines=[{"sku": "SKU-0001", "qty": 1.5}]), "lines.0.qty"),
    "duplicate lines": (order_body("bad", lines=[{"sku": "SKU-0001", "qty": 1}, {"sku": "SKU-0001", "qty": 2}]),
                        "lines.1.sku"),
    "unknown field": (order_body("bad", colour="red"), "colour"),
    "unknown field in a line": (order_body("bad", lines=[{"sku": "SKU-0001", "qty": 1, "size": "L"}]),
                                "lines.0.size"),
    "no lines": (order_body("bad", lines=[]), "lines"),
    "unknown channel": (order_body("bad", channel="nosuchchannel"), "channel"),
    "unknown payment mode": (order_body("bad", payment_mode="BARTER"), "payment_mode"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES), ids=list(BAD_BODIES))
def test_bad_orders_are_refused_with_field_errors_and_nothing_is_stored(client, keys, uow_factory, case):
    body, field = BAD_BODIES[case]
    before = _counts(uow_factory)
    error = _is_error(client.post("/orders", json=body, headers=auth(keys["admin"])), 422)
    assert field in _fields(error), error
    assert all(e["message"] for e in error["errors"])
    assert _counts(uow_factory) == before


def test_a_missing_ship_to_is_a_field_error(client, keys, uow_factory):
    body = order_body("no-ship-to")
    del body["ship_to"]
    before = _counts(uow_factory)
    error = _is_error(client.post("/orders", json=body, headers=auth(keys["admin"])), 422)
    assert "ship_to" in _fields(error)
    assert _counts(uow_factory) == before


def test_neither_pin_nor_coordinates_is_a_field_error(client, keys, uow_factory):
    body = order_body("no-pin")
    del body["ship_to"]["pin"]
    error = _is_error(client.post("/orders", json=body, headers=auth(keys["admin"])), 422)
    assert "ship_to.pin" in _fields(error)


def test_many_field_errors_are_reported_together(client, keys):
    body = order_body("many", pin="999999", lines=[{"sku": "NOPE-1", "qty": 1}, {"sku": "NOPE-2", "qty": 1}])
    error = _is_error(client.post("/orders", json=body, headers=auth(keys["admin"])), 422)
    assert {"lines.0.sku", "lines.1.sku", "ship_to.pin"} <= _fields(error)


@pytest.fixture
def settings(clean_db_url) -> Settings:
    # Only this module's apps: a small line limit so "too many lines" is cheap to provoke.
    return Settings(database_url=clean_db_url, max_lines_per_order=3)


def test_more_lines_than_the_configured_limit_are_refused(client, keys, uow_factory):
    lines = [{"sku": f"SKU-000{i}", "qty": 1} for i in range(1, 5)]
    before = _counts(uow_factory)
    error = _is_error(client.post("/orders", json=order_body("too-many", lines=lines), headers=auth(keys["admin"])),
                      422)
    assert "lines" in _fields(error)
    assert "3" in error["detail"]
    assert _counts(uow_factory) == before


def test_exactly_the_limit_of_lines_is_accepted(client, keys):
    lines = [{"sku": f"SKU-000{i}", "qty": 1} for i in range(1, 4)]
    r = client.post("/orders", json=order_body("at-limit", lines=lines), headers=auth(keys["admin"]))
    assert r.status_code == 201, r.get_json()


# ---------------------------------------------------------------- transport errors in the error shape


def test_a_body_over_the_size_limit_is_413_in_the_error_shape(client, keys, app, uow_factory):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = order_body("huge", tags=["x" * 50] * 20)
    raw = json.dumps(body).encode()
    raw = raw[:-1] + b"," + b'"pad": "' + b"y" * (limit + 10) + b'"}'
    before = _counts(uow_factory)
    error = _is_error(client.post("/orders", data=raw, content_type="application/json",
                                  headers=auth(keys["admin"])), 413)
    assert str(limit) in error["detail"]
    assert _counts(uow_factory) == before


def test_invalid_json_is_400_in_the_error_shape(client, keys, uow_factory):
    before = _counts(uow_factory)
    _is_error(client.post("/orders", data=b'{"channel": "web", ', content_type="application/json",
                          headers=auth(keys["admin"])), 400)
    assert _counts(uow_factory) == before


@pytest.mark.parametrize("raw", [b"[]", b'"order"', b"42", b"null"], ids=["array", "string", "number", "null"])
def test_json_that_is_not_an_object_is_refused_in_the_error_shape(client, keys, uow_factory, raw):
    before = _counts(uow_factory)
    r = client.post("/orders", data=raw, content_type="application/json", headers=auth(keys["admin"]))
    _is_error(r, r.status_code)
    assert r.status_code in (400, 422)
    assert _counts(uow_factory) == before


def test_a_channel_key_cannot_capture_for_another_channel(client, keys, uow_factory):
    before = _counts(uow_factory)
    error = _is_error(client.post("/orders", json=order_body("x-chan", channel="amazon"),
                                  headers=auth(keys["channel"])), 422)
    assert "channel" in _fields(error)
    assert _counts(uow_factory) == before


def test_a_missing_body_is_400_with_an_actionable_message(client, keys, uow_factory):
    before = _counts(uow_factory)
    error = _is_error(client.post("/orders", headers=auth(keys["admin"])), 400)
    assert "JSON" in error["detail"]
    assert _counts(uow_factory) == before


def test_an_unknown_status_filter_is_a_field_error_not_an_empty_page(client, keys):
    error = _is_error(client.get("/orders?status=SHIPED", headers=auth(keys["admin"])), 422)
    assert "query.status" in _fields(error)
    error = _is_error(client.get("/shipments?status=SHIPED", headers=auth(keys["admin"])), 422)
    assert "query.status" in _fields(error)

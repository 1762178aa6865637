"""Request intake (issue 20, items 5 and 9): what the API refuses before a view acts, in which order.

- authentication comes before anything of the body: no key, any body -> 401 (a 5,000-level
  nesting was a RecursionError 500 in a hook that ran before authentication);
- a known path with another method is 405, whatever the body;
- JSON bodies: another Content-Type or none -> 415, a byte order mark -> 400 (RFC 8259 8.1),
  NaN -> 400, a key twice in one object -> 422, nested deeper than 32 -> 422; none of them
  stores anything.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from omnialloc.api.intake import MAX_JSON_DEPTH
from tests.api.conftest import auth, order_body, signed_tracking

DEEP = b'{"a":' * 5000 + b"1" + b"}" * 5000
DEEP_ARRAY = b"[" * 5000 + b"]" * 5000


def _orders(uow_factory) -> int:
    with uow_factory(readonly=True) as uow:
        return uow.orders.count()


def _problem(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/problem+json", r.mimetype
    body = r.get_json()
    assert set(body) == {"status", "title", "detail", "errors"} and body["status"] == status, body
    return body


# ---------------------------------------------------------------- authentication first
@pytest.mark.parametrize("raw", [DEEP, DEEP_ARRAY, b"not json", b'{"a": 1, "a": 2}'], ids=["deep", "deep-array",
                                                                                          "not-json", "dup-keys"])
@pytest.mark.parametrize("path", ["/orders", "/inventory/adjustments", "/rules", "/transfers"])
def test_a_request_without_a_key_is_401_whatever_its_body(client, path, raw):
    r = client.post(path, data=raw, content_type="application/json")
    _problem(r, 401)


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_a_request_without_a_key_is_401_before_its_media_type_is_looked_at(client, content_type):
    r = client.post("/orders", data=json.dumps(order_body("no-key")), content_type=content_type)
    _problem(r, 401)


@pytest.mark.parametrize("path", ["/tracking/XPR", "/channels/web/webhooks/shopify",
                                  "/channels/web/webhooks/woocommerce"])
def test_an_unsigned_webhook_with_a_deep_body_is_401(client, path):
    r = client.post(path, data=DEEP, content_type="application/json")
    assert r.status_code in (401, 404), r.get_json()  # 404: a channel with no webhook configured
    _problem(r, r.status_code)


# ---------------------------------------------------------------- depth
def test_a_deeply_nested_body_is_422_naming_the_limit(client, keys, uow_factory):
    for raw in (DEEP, DEEP_ARRAY):
        error = _problem(client.post("/orders", data=raw, content_type="application/json",
                                     headers=auth(keys["admin"])), 422)
        assert str(MAX_JSON_DEPTH) in error["detail"], error
    assert _orders(uow_factory) == 0


def test_nesting_at_the_limit_is_read_and_one_more_is_not(client, keys):
    def nested(levels: int) -> bytes:  # an order body whose one tag-free field nests `levels` deep in all
        body = order_body("depth")
        inner: object = 1
        for _ in range(levels - 1):  # the body object itself is level 1
            inner = [inner]
        body["tags"] = inner
        return json.dumps(body).encode()

    ok = client.post("/orders", data=nested(MAX_JSON_DEPTH), content_type="application/json",
                     headers=auth(keys["admin"]))
    assert ok.status_code == 422 and "depth" not in ok.get_json()["detail"] and \
        "deeper" not in ok.get_json()["detail"], ok.get_json()  # parsed; refused by the model (tags are strings)
    too_deep = client.post("/orders", data=nested(MAX_JSON_DEPTH + 1), content_type="application/json",
                           headers=auth(keys["admin"]))
    assert "deeper than" in _problem(too_deep, 422)["detail"]


def test_brackets_inside_strings_do_not_count_as_depth(client, keys):
    body = order_body("brackets", tags=["[" * 40, "{" * 40])
    r = client.post("/orders", data=json.dumps(body), content_type="application/json", headers=auth(keys["admin"]))
    assert r.status_code == 201, r.get_json()


def test_a_signed_carrier_webhook_with_a_deep_body_is_422(client):
    raw = b'{"events": ' + DEEP_ARRAY + b"}"
    from omnialloc.services.fulfilment.tracking import sign
    from tests.api.conftest import CARRIER_SECRET

    r = client.post("/tracking/XPR", data=raw, content_type="application/json",
                    headers={"X-Omnialloc-Signature": sign(CARRIER_SECRET, raw)})
    _problem(r, 422)


# ---------------------------------------------------------------- method
@pytest.mark.parametrize("method, path", [("put", "/orders"), ("delete", "/orders"), ("patch", "/inventory/adjustments"),
                                          ("get", "/orders/ord_x/cancel"), ("put", "/transfers")])
@pytest.mark.parametrize("with_key", [True, False], ids=["key", "no-key"])
def test_a_wrong_method_is_405_whatever_the_body(client, keys, method, path, with_key):
    headers = auth(keys["admin"]) if with_key else {}
    for raw in (b"[]", b'{"x": "\\u0000"}', DEEP):
        r = getattr(client, method)(path, data=raw, content_type="application/json", headers=headers)
        _problem(r, 405)
        assert r.headers.get("Allow"), r.headers


# ---------------------------------------------------------------- media type
@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1"])
def test_a_json_body_not_sent_as_utf8_application_json_is_415_and_stores_nothing(client, keys, uow_factory,
                                                                                content_type):
    raw = json.dumps(order_body("media")).encode()
    headers = auth(keys["admin"])
    if content_type is None:
        r = client.open("/orders", method="POST", data=raw, headers=headers)
        assert "Content-Type" not in r.request.headers
    else:
        r = client.post("/orders", data=raw, content_type=content_type, headers=headers)
    error = _problem(r, 415)
    assert error["errors"][0]["field"] == "header.Content-Type", error
    assert _orders(uow_factory) == 0


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "application/merge-patch+json"])
def test_json_media_types_are_read(client, keys, content_type):
    r = client.post("/orders", data=json.dumps(order_body("media-ok")), content_type=content_type,
                    headers=auth(keys["admin"]))
    assert r.status_code == 201, r.get_json()


def test_a_body_with_a_byte_order_mark_is_400_and_stores_nothing(client, keys, uow_factory):
    raw = b"\xef\xbb\xbf" + json.dumps(order_body("bom")).encode()
    error = _problem(client.post("/orders", data=raw, content_type="application/json", headers=auth(keys["admin"])),
                     400)
    assert "byte order mark" in error["detail"]
    assert _orders(uow_factory) == 0


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b"\xff\xfe{}", b'{"a": 1,}'],
                         ids=["nan", "infinity", "utf16", "trailing-comma"])
def test_text_that_is_not_json_is_400(client, keys, raw):
    _problem(client.post("/orders", data=raw, content_type="application/json", headers=auth(keys["admin"])), 400)


# ---------------------------------------------------------------- duplicate keys
def test_a_key_twice_in_the_body_is_422_naming_it_and_stores_nothing(client, keys, uow_factory):
    raw = json.dumps(order_body("dup-1"))[:-1] + ', "external_id": "dup-2"}'
    error = _problem(client.post("/orders", data=raw, content_type="application/json", headers=auth(keys["admin"])),
                     422)
    assert error["errors"][0]["field"] == "external_id" and "twice" in error["errors"][0]["message"], error
    assert _orders(uow_factory) == 0


def test_a_key_twice_in_a_nested_object_is_422(client, keys, uow_factory):
    raw = json.dumps(order_body("dup-3")).replace('"city": "Chennai"', '"city": "Chennai", "city": "Madurai"')
    assert raw.count('"city"') == 2
    error = _problem(client.post("/orders", data=raw, content_type="application/json", headers=auth(keys["admin"])),
                     422)
    assert error["errors"][0]["field"] == "city", error
    assert _orders(uow_factory) == 0


def test_a_key_twice_in_a_signed_tracking_event_is_422(client, keys, uow_factory):
    raw = b'{"events": [{"awb": "X1", "awb": "X2", "status": "in_transit", "at": "2026-01-01T00:00:00Z"}]}'
    from omnialloc.services.fulfilment.tracking import sign
    from tests.api.conftest import CARRIER_SECRET

    r = client.post("/tracking/XPR", data=raw, content_type="application/json",
                    headers={"X-Omnialloc-Signature": sign(CARRIER_SECRET, raw)})
    assert _problem(r, 422)["errors"][0]["field"] == "awb"
    with uow_factory(readonly=True) as uow:
        from omnialloc.store.tables.events import events

        assert uow.conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one() == 0


def test_ordinary_tracking_still_goes_through(client):
    r = signed_tracking(client, "XPR", [{"awb": "NOPE", "status": "in_transit", "at": "2026-01-01T00:00:00Z"}])
    assert r.status_code == 200 and r.get_json()["results"][0]["result"] == "unknown_awb", r.get_json()

"""Input the database cannot store is refused up front with a 422, never a 500."""

from __future__ import annotations

import json

from tests.api.conftest import auth, order_body


def _order_count(uow_factory) -> int:
    with uow_factory(readonly=True) as uow:
        return uow.orders.count()


def test_a_nul_character_in_an_order_is_refused_and_nothing_is_stored(client, keys, uow_factory):
    body = order_body("nul-1", tags=["vip\u0000"])
    r = client.post("/orders", data=json.dumps(body), content_type="application/json", headers=auth(keys["admin"]))
    assert r.status_code == 422
    assert r.get_json()["errors"] == [{"field": "body", "message": "must not contain NUL (U+0000) characters"}]
    assert _order_count(uow_factory) == 0


def test_a_nul_character_in_a_query_string_is_refused(client, keys):
    r = client.get("/orders?channel=we%00b", headers=auth(keys["admin"]))
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "query.channel"


def test_an_ordinary_order_still_goes_through(client, keys):
    r = client.post("/orders", json=order_body("nul-2", tags=["vip"]), headers=auth(keys["admin"]))
    assert r.status_code == 201

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


def test_a_nul_byte_in_a_csv_import_is_refused_and_nothing_is_stored(client, keys, uow_factory):
    import sqlalchemy as sa

    from omnialloc.store.tables.inventory import inventory

    with uow_factory(readonly=True) as uow:
        before = uow.conn.execute(sa.select(sa.func.sum(inventory.c.on_hand))).scalar_one()
    r = client.post("/inventory/imports?mode=delta", data=b"node,sku,qty\nCHN-FC1,SKU-0001\x00,5\n",
                    content_type="text/csv", headers=auth(keys["admin"]))
    assert r.status_code == 422 and r.get_json()["errors"] == [
        {"field": "body", "message": "must not contain NUL (U+0000) characters"}], r.get_json()
    with uow_factory(readonly=True) as uow:
        assert uow.conn.execute(sa.select(sa.func.sum(inventory.c.on_hand))).scalar_one() == before


def test_a_nul_character_escaped_in_a_json_key_is_refused(client, keys, uow_factory):
    raw = json.dumps({**order_body("nul-key"), "x\u0000": 1})  # in a key, not a value
    r = client.post("/orders", data=raw, content_type="application/json", headers=auth(keys["admin"]))
    assert r.status_code == 422 and r.get_json()["errors"][0]["message"] == "must not contain NUL (U+0000) characters"
    assert _order_count(uow_factory) == 0

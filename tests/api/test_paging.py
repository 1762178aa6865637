"""Cursor paging through one helper (issue 20, item 9): every list pages with its own signed cursor, and a
cursor the API did not give out for that list is a 422, never another page, an empty one or a 500.

Before, /shipments took any string as a cursor (it was the last shipment id, compared as text), and
the other lists each had a codec of their own that accepted any well-formed value; a cursor of one
list was read by another with the same layout (orders, returns, work orders).
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.api.conftest import auth, order_body

LISTS = ["/orders", "/shipments", "/returns", "/work-orders", "/notifications", "/inventory"]


@pytest.fixture
def admin(keys) -> dict[str, str]:
    return auth(keys["admin"])


@pytest.fixture
def two_orders(client, admin) -> list[dict]:
    out = []
    for n in range(2):
        r = client.post("/orders", json=order_body(f"page-{n}"), headers=admin)
        assert r.status_code == 201, r.get_json()
        out.append(r.get_json())
    return out


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FORGED = {
    "garbage": "garbage!",
    "shipment-id": "shp_0000000000000000",  # what /shipments took as a cursor before
    "orders-layout": _b64(b"2026-01-01T00:00:00+00:00|ord_x"),  # what orders, returns and work orders read
    "json-layout": _b64(json.dumps(["2026-01-01T00:00:00+00:00", "ntf_x"]).encode()),  # notifications
    "node-sku": _b64(json.dumps(["CHN-FC1", "SKU-0001"]).encode()),  # inventory
    "empty-signature": _b64(b'["x"]') + ".",
}


def _refused(r, field: str = "cursor") -> None:
    body = r.get_json()
    assert r.status_code == 422, (r.status_code, body)
    assert r.mimetype == "application/problem+json"
    assert [e["field"] for e in body["errors"]] == [field], body


@pytest.mark.parametrize("forged", sorted(FORGED), ids=sorted(FORGED))
@pytest.mark.parametrize("path", LISTS)
def test_a_forged_cursor_is_422_on_every_list(client, admin, two_orders, path, forged):
    _refused(client.get(f"{path}?cursor={FORGED[forged]}", headers=admin))


def test_a_forged_since_of_the_channel_feed_is_422(client, admin):
    for forged in FORGED.values():
        _refused(client.get(f"/channels/web/inventory-feed?since={forged}", headers=admin), field="since")


@pytest.mark.parametrize("path", ["/orders", "/shipments", "/notifications", "/inventory"])
def test_each_list_pages_with_its_own_cursor_and_no_other(client, admin, two_orders, path):
    first = client.get(f"{path}?limit=1", headers=admin).get_json()
    assert len(first["items"]) == 1 and first["next_cursor"], first
    second = client.get(f"{path}?limit=1&cursor={first['next_cursor']}", headers=admin)
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["items"] and second.get_json()["items"] != first["items"]
    for other in LISTS:
        if other != path:
            _refused(client.get(f"{other}?cursor={first['next_cursor']}", headers=admin))
    _refused(client.get(f"/channels/web/inventory-feed?since={first['next_cursor']}", headers=admin), field="since")


def test_an_edited_cursor_is_422(client, admin, two_orders):
    cursor = client.get("/orders?limit=1", headers=admin).get_json()["next_cursor"]
    body, tag = cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload[1] = "ord_" + "f" * 16  # another position, same layout, the old signature
    edited = _b64(json.dumps(payload, separators=(",", ":")).encode()) + "." + tag
    _refused(client.get(f"/orders?cursor={edited}", headers=admin))


def test_a_cursor_signed_with_another_secret_is_422(client, admin, two_orders, settings):
    from omnialloc.services import paging

    good = client.get("/orders?limit=1", headers=admin).get_json()["next_cursor"]
    key = paging.decode(settings.secret_key, "orders", good, (__import__("datetime").datetime, str))
    _refused(client.get(f"/orders?cursor={paging.encode('another secret', 'orders', key)}", headers=admin))


def test_the_feed_since_still_returns_only_what_changed(client, admin):
    full = client.get("/channels/web/inventory-feed", headers=admin).get_json()
    again = client.get(f"/channels/web/inventory-feed?since={full['cursor']}", headers=admin)
    assert again.status_code == 200 and again.get_json()["items"] == [], again.get_json()

"""Limits (issues 4 and 11): each exceeded limit is a 4xx in the one error shape, and changes nothing.

- request body size (``OMNIALLOC_MAX_BODY_BYTES``, default 1 MiB) -> 413;
- lines per order (``OMNIALLOC_MAX_LINES_PER_ORDER``, default 100) -> 422 naming ``lines``;
- rules in total (``OMNIALLOC_MAX_RULES``, default 500) -> 422;
- page size: a ``limit`` above the documented maximum of a list (200; 1000 for ``/inventory``) -> 422
  naming ``query.limit``; within it, a list never returns more than ``OMNIALLOC_MAX_PAGE_SIZE`` items
  (clamped, with a cursor to the rest), as README's settings table says.

The app runs with small limits (``settings`` below) so the tests stay fast; one test checks the
1 MiB default.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from omnialloc.config import Settings
from tests.api.conftest import auth, order_body

SMALL = dict(max_body_bytes=16 * 1024, max_lines_per_order=5, max_rules=3, max_page_size=4)


@pytest.fixture
def settings(clean_db_url) -> Settings:
    return Settings(database_url=clean_db_url, **SMALL)


@pytest.fixture
def admin(keys) -> dict[str, str]:
    return auth(keys["admin"])


def _error(response, status: int) -> dict:
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert set(body) == {"status", "title", "detail", "errors"} and body["status"] == status, body
    assert body["detail"], body
    return body


def _count(uow_factory, table_name: str) -> int:
    from omnialloc.store.tables import load_all

    table = load_all().tables[table_name]
    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


# ---------------------------------------------------------------- body size
def _padded(body: dict, size: int) -> bytes:
    """A valid JSON body of exactly ``size`` bytes (trailing whitespace is still valid JSON)."""
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


def test_a_body_over_the_size_limit_is_413_and_creates_nothing(client, admin, uow_factory):
    raw = _padded(order_body("too-big"), SMALL["max_body_bytes"] + 1)
    r = client.post("/orders", data=raw, content_type="application/json", headers=admin)
    error = _error(r, 413)
    assert str(SMALL["max_body_bytes"]) in error["detail"]
    assert _count(uow_factory, "orders") == 0


def test_a_csv_import_over_the_size_limit_is_413(client, admin, uow_factory):
    from omnialloc.store.tables.inventory import inventory

    with uow_factory(readonly=True) as uow:
        before = uow.conn.execute(sa.select(sa.func.sum(inventory.c.on_hand))).scalar_one()
    rows = "".join(f"CHN-FC1,SKU-{i % 9000 + 1:04d},1\n" for i in range(2000))
    r = client.post("/inventory/imports?mode=delta", data=("node,sku,qty\n" + rows).encode(),
                    content_type="text/csv", headers=admin)
    _error(r, 413)
    with uow_factory(readonly=True) as uow:
        assert uow.conn.execute(sa.select(sa.func.sum(inventory.c.on_hand))).scalar_one() == before


def test_a_body_of_exactly_the_limit_is_read(client, admin):
    r = client.post("/orders", data=_padded(order_body("fits"), SMALL["max_body_bytes"]),
                    content_type="application/json", headers=admin)
    assert r.status_code == 201, r.get_json()


def test_the_default_body_limit_is_one_mebibyte(clean_db_url, clean_engine, keys):
    from omnialloc.api import create_app

    app = create_app(Settings(database_url=clean_db_url), engine=clean_engine)
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    raw = _padded(order_body("default-too-big"), 1024 * 1024 + 1)
    r = app.test_client().post("/orders", data=raw, content_type="application/json", headers=auth(keys["admin"]))
    _error(r, 413)


# ---------------------------------------------------------------- lines per order
def test_lines_over_the_per_order_limit_are_422_naming_lines(client, admin, uow_factory):
    lines = [{"sku": f"SKU-{i:04d}", "qty": 1} for i in range(1, SMALL["max_lines_per_order"] + 2)]
    r = client.post("/orders", json=order_body("many-lines", lines=lines), headers=admin)
    error = _error(r, 422)
    assert any(e["field"] == "lines" and str(SMALL["max_lines_per_order"]) in e["message"] for e in error["errors"]), error
    assert _count(uow_factory, "orders") == 0


def test_lines_at_the_per_order_limit_are_accepted(client, admin):
    lines = [{"sku": f"SKU-{i:04d}", "qty": 1} for i in range(1, SMALL["max_lines_per_order"] + 1)]
    r = client.post("/orders", json=order_body("max-lines", lines=lines), headers=admin)
    assert r.status_code == 201, r.get_json()


def test_the_default_line_limit_is_100():
    assert Settings(database_url="sqlite://").max_lines_per_order == 100


# ---------------------------------------------------------------- rules in total
def _rule(n: int) -> dict:
    return {"name": f"limit rule {n}", "kind": "validation", "condition": 'order.payment_mode == "COD"',
            "actions": [{"type": "add_tag", "tag": f"t{n}"}]}


def test_rules_beyond_the_total_limit_are_422_and_not_stored(client, admin):
    existing = len(client.get("/rules", headers=admin).get_json()["items"])
    assert existing <= SMALL["max_rules"]
    for n in range(SMALL["max_rules"] - existing):
        r = client.post("/rules", json=_rule(n), headers=admin)
        assert r.status_code == 201, r.get_json()
    r = client.post("/rules", json=_rule(99), headers=admin)
    error = _error(r, 422)
    assert str(SMALL["max_rules"]) in error["detail"] and "OMNIALLOC_MAX_RULES" in error["detail"], error
    names = [rule["name"] for rule in client.get("/rules", headers=admin).get_json()["items"]]
    assert len(names) == SMALL["max_rules"] and "limit rule 99" not in names


def test_a_deleted_rule_frees_its_place(client, admin):
    existing = len(client.get("/rules", headers=admin).get_json()["items"])
    ids = [client.post("/rules", json=_rule(n), headers=admin).get_json()["id"]
           for n in range(SMALL["max_rules"] - existing)]
    _error(client.post("/rules", json=_rule(50), headers=admin), 422)
    assert client.delete(f"/rules/{ids[0]}", headers=admin).status_code in (200, 204)
    assert client.post("/rules", json=_rule(50), headers=admin).status_code == 201


# ---------------------------------------------------------------- page size
LISTS = {"/orders": 200, "/shipments": 200, "/returns": 200, "/transfers": 200, "/notifications": 200,
         "/inventory": 1000}


@pytest.mark.parametrize("path", sorted(LISTS))
def test_a_page_size_above_the_documented_maximum_is_422(client, admin, path):
    for bad in (LISTS[path] + 1, 0, -1):
        error = _error(client.get(f"{path}?limit={bad}", headers=admin), 422)
        assert any(e["field"] == "query.limit" for e in error["errors"]), error


def test_a_page_never_holds_more_than_the_configured_page_size(client, admin):
    """``limit`` within the documented maximum is clamped to OMNIALLOC_MAX_PAGE_SIZE, with a cursor to the rest."""
    r = client.get("/inventory?limit=1000", headers=admin)
    assert r.status_code == 200, r.get_json()
    page = r.get_json()
    assert len(page["items"]) == SMALL["max_page_size"] and page["next_cursor"], page
    for n in range(SMALL["max_page_size"] + 2):
        r = client.post("/orders", json=order_body(f"page-{n}", lines=[{"sku": "SKU-0001", "qty": 1}]), headers=admin)
        assert r.status_code == 201, r.get_json()
    page = client.get("/orders?limit=200", headers=admin).get_json()
    assert len(page["items"]) == SMALL["max_page_size"] and page["next_cursor"], page
    rest = client.get(f"/orders?limit=200&cursor={page['next_cursor']}", headers=admin).get_json()
    assert len(rest["items"]) == 2


# ---------------------------------------------------------------- one range for every quantity (issue 20, item 10)
def test_a_receipt_that_would_take_on_hand_past_the_quantity_range_is_422_and_changes_nothing(client, admin,
                                                                                             uow_factory):
    """SQLite used to store on_hand above 2^31-1 where PostgreSQL refuses it: both answer 422 now."""
    from omnialloc.domain.quantities import QTY_MAX

    with uow_factory(readonly=True) as uow:
        before = uow.inventory.get("CHN-FC1", "SKU-0001").on_hand
    receipt = {"node": "CHN-FC1", "sku": "SKU-0001", "delta": 10**9, "reason": "receipt"}
    r = client.post("/inventory/adjustments", json={"adjustments": [receipt] * 3}, headers=admin)
    error = _error(r, 422)
    assert f"{QTY_MAX:,}" in error["detail"], error
    with uow_factory(readonly=True) as uow:
        assert uow.inventory.get("CHN-FC1", "SKU-0001").on_hand == before


@pytest.mark.parametrize("path, body, field", [
    ("/orders/ord_x/cancel", {"reason": "r", "lines": [{"line_no": 1, "qty": 2**31}]}, "lines.0.qty"),
    ("/orders/ord_x/cancel", {"reason": "r", "lines": [{"line_no": 2**63, "qty": 1}]}, "lines.0.line_no"),
])
def test_an_integer_input_above_the_quantity_range_is_422_naming_it(client, admin, path, body, field):
    error = _error(client.post(path, json=body, headers=admin), 422)
    assert field in {e["field"] for e in error["errors"]}, error

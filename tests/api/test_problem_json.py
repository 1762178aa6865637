"""Every error the app answers is the one shape, served as application/problem+json (RFC 9457; issue 20, item 8).

Success bodies stay application/json. The server's own answers (past gunicorn's limits) are
checked against a live gunicorn in tests/reliability/test_http_edges.py.
"""

from __future__ import annotations

import json

import pytest

from omnialloc.config import Settings
from tests.api.conftest import auth, order_body

SHAPE = {"status", "title", "detail", "errors"}


@pytest.fixture
def settings(clean_db_url) -> Settings:
    return Settings(database_url=clean_db_url, max_body_bytes=4096)


def _problem(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.headers["Content-Type"] == "application/problem+json", r.headers
    body = json.loads(r.get_data())
    assert set(body) == SHAPE and body["status"] == status and body["title"] and body["detail"], body
    return body


def test_every_error_status_is_problem_json(client, keys):
    admin, node = auth(keys["admin"]), auth(keys["node_chn"])
    _problem(client.post("/orders", data=b"{", content_type="application/json", headers=admin), 400)
    _problem(client.get("/orders"), 401)
    _problem(client.get("/rules", headers=node), 403)
    _problem(client.get("/orders/ord_nope", headers=admin), 404)
    _problem(client.delete("/orders", headers=admin), 405)
    order = client.post("/orders", json=order_body("pj-1"), headers=admin).get_json()
    _problem(client.post("/orders", json=order_body("pj-1", payment_mode="COD"), headers=admin), 409)
    _problem(client.post("/orders", data=b" " * 5000, content_type="application/json", headers=admin), 413)
    _problem(client.get("/orders?x=" + "y" * 5000, headers=admin), 414)
    _problem(client.post("/orders", data=json.dumps(order_body("pj-2")), content_type="text/plain", headers=admin),
             415)
    _problem(client.post(f"/orders/{order['id']}/cancel", json={}, headers=admin), 422)
    _problem(client.get("/health", headers={"X-Big": "z" * 9000}), 431)


def test_successes_stay_application_json(client, keys):
    r = client.get("/orders", headers=auth(keys["admin"]))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"


def test_the_openapi_document_says_errors_are_problem_json(client):
    spec = client.get("/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for code, response in op["responses"].items():
                if code[0] in "45":
                    assert set(response["content"]) == {"application/problem+json"}, (method, path, code)

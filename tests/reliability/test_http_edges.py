"""The HTTP edge of a live gunicorn (issue 20, items 8 and idempotency keys).

Every error a client can receive is the API's one shape as application/problem+json: an over-long
request target or oversized headers are answered by the app (its limits: api.intake) when within
gunicorn's limits (api.serving), and by gunicorn's worker (api.gunicorn_workers) past them, never
by gunicorn's HTML page. An Idempotency-Key holds across workers: the keys are in the store.
"""

from __future__ import annotations

import json
import socket
import threading

import httpx
import pytest

from omnialloc.api.intake import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_TARGET_BYTES

SHAPE = {"status", "title", "detail", "errors"}


def _raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    """Send ``request`` on a fresh connection; (status, headers, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(request)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)
            if length is not None and len(body) >= length:
                break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _get(port: int, target: str, headers: list[tuple[str, str]] = ()) -> tuple[int, dict, bytes]:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return _raw(port, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n".encode())


def _problem(answer, status: int) -> dict:
    code, headers, body = answer
    assert code == status, (code, body[:300])
    assert headers["content-type"] == "application/problem+json", headers
    problem = json.loads(body)
    assert set(problem) == SHAPE and problem["status"] == status, problem
    return problem


@pytest.mark.parametrize("size, who", [(MAX_TARGET_BYTES + 1000, "app"), (10_000, "server")])
def test_an_over_long_url_is_414_in_the_error_shape(gunicorn, size, who):
    target = "/orders?channel=" + "x" * (size - len("/orders?channel="))
    problem = _problem(_get(gunicorn.port, target), 414)
    assert problem["title"] == "URI too long"
    if who == "app":
        assert f"{MAX_TARGET_BYTES:,}" in problem["detail"], problem


@pytest.mark.parametrize("size, who", [(MAX_HEADER_FIELD_BYTES + 2000, "app"), (20_000, "server")])
def test_an_oversized_header_is_431_in_the_error_shape(gunicorn, size, who):
    problem = _problem(_get(gunicorn.port, "/health", [("X-Big", "y" * size)]), 431)
    assert problem["title"] == "Request header fields too large"
    if who == "app":
        assert problem["errors"] == [{"field": "header.X-Big", "message": f"at most {MAX_HEADER_FIELD_BYTES} bytes"}]


@pytest.mark.parametrize("count", [MAX_HEADER_FIELDS + 20, 400])
def test_too_many_headers_is_431_in_the_error_shape(gunicorn, count):
    _problem(_get(gunicorn.port, "/health", [(f"X-H{i}", "1") for i in range(count)]), 431)


def test_a_malformed_request_is_400_in_the_error_shape(gunicorn):
    _problem(_raw(gunicorn.port, b"GARBAGE\r\n\r\n"), 400)
    _problem(_raw(gunicorn.port, b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"), 400)


def test_within_the_limits_the_app_serves(gunicorn):
    code, headers, body = _get(gunicorn.port, "/health", [("X-Ok", "z" * 4000)])
    assert code == 200 and json.loads(body)["status"] == "ok"


def test_the_apps_errors_are_problem_json_through_the_server(gunicorn, admin_token):
    _problem(_get(gunicorn.port, "/no/such/path"), 404)
    _problem(_get(gunicorn.port, "/orders"), 401)
    _problem(_raw(gunicorn.port, b"DELETE /orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 405)


def test_an_idempotency_key_holds_across_workers(gunicorn, admin_token, clean_engine):
    import sqlalchemy as sa

    from omnialloc.store.tables.inventory import inventory

    def on_hand() -> int:
        with clean_engine.connect() as conn:
            return conn.execute(sa.select(inventory.c.on_hand).where(inventory.c.node == "CHN-FC1",
                                                                     inventory.c.sku == "SKU-0001")).scalar_one()

    before = on_hand()
    body = {"adjustments": [{"node": "CHN-FC1", "sku": "SKU-0001", "delta": 7, "reason": "receipt"}]}
    headers = {"Authorization": f"Bearer {admin_token}", "Idempotency-Key": "across-workers"}
    barrier = threading.Barrier(12)
    answers = []

    def send():
        with httpx.Client(base_url=gunicorn.url, timeout=60) as client:  # a connection each: both workers serve
            barrier.wait()
            r = client.post("/inventory/adjustments", json=body, headers=headers)
            answers.append((r.status_code, r.content, r.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=send) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert len(answers) == 12 and {(s, b) for s, b, _ in answers} == {(200, answers[0][1])}, answers
    assert sum(r is None for _, _, r in answers) == 1
    assert on_hand() == before + 7

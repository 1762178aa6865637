"""Idempotency under retries: the same capture sent 20 times at once, through a real gunicorn, makes one order."""

from __future__ import annotations

import threading

import httpx
import sqlalchemy as sa

from omnialloc.services.invariants import check
from omnialloc.store.tables.orders import orders

BODY = {"channel": "web", "external_id": "retry-storm-1", "payment_mode": "PREPAID",
        "ship_to": {"name": "A", "line1": "1 Road", "city": "Chennai", "pin": "600002"},
        "lines": [{"sku": "SKU-0001", "qty": 2}]}


def test_twenty_concurrent_identical_captures_create_one_order(gunicorn, admin_token, clean_engine):
    barrier = threading.Barrier(20)
    results: list[tuple[int, dict]] = []

    def send():
        with httpx.Client(base_url=gunicorn.url, timeout=30) as client:  # own connection per retry
            barrier.wait()
            r = client.post("/orders", json=BODY, headers={"Authorization": f"Bearer {admin_token}"})
            results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(code for code, _ in results)
    assert len(results) == 20
    assert codes.count(201) == 1 and codes.count(200) == 19, codes
    assert len({body["id"] for _, body in results}) == 1
    with clean_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar() == 1
    report = check(clean_engine)
    assert report.ok, report.summary()

    # The same key with a different body is a conflict, never a second order.
    other = {**BODY, "lines": [{"sku": "SKU-0001", "qty": 3}]}
    r = httpx.post(gunicorn.url + "/orders", json=other, headers={"Authorization": f"Bearer {admin_token}"}, timeout=30)
    assert r.status_code == 409 and r.json()["status"] == 409
    with clean_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar() == 1


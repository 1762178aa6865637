"""An answer is a success if and only if its change committed (issue 20, item 2, beyond receipts): releasing a
hold allocates in the same transaction, so a failure mid-way leaves the order on hold for the retry instead of
released and never planned. SQLite and PostgreSQL (PostgreSQL really loses its connection)."""

from __future__ import annotations

from omnialloc.services.invariants import check
from tests.integration.lifecycle.conftest import order_status
from tests.reliability.test_faults import _drop_connection_on_first_reserve


def test_a_hold_release_that_fails_mid_allocation_changes_nothing_and_its_retry_allocates(
        capture, api, clean_engine, monkeypatch, db_backend):
    order = capture([("SKU-0001", 1)])
    assert api("post", f"/orders/{order['id']}/hold", {"reason": "fraud check"})[0] == 200
    fired = _drop_connection_on_first_reserve(monkeypatch, db_backend)

    status, body = api("post", f"/orders/{order['id']}/release", {"reason": "cleared"})
    assert fired and status == 503, body
    assert order_status(clean_engine, order["id"]) == "ON_HOLD"  # was VALIDATED, and the retry a 409

    status, body = api("post", f"/orders/{order['id']}/release", {"reason": "cleared"})
    assert status == 200 and body["status"] == "ALLOCATED", body
    report = check(clean_engine)
    assert report.ok, report.summary()

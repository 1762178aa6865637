"""Backorder retries (issue 20 items 2-3, issue 30): a receipt answers once its stock is stored and queues
the retries in its own transaction; the worker gives arriving or released stock to the most urgent waiting
order first; the queue is claimed safely by several workers. SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from omnialloc.domain.errors import DomainError
from omnialloc.services.orders import backorders, lifecycle
from omnialloc.services.access import SYSTEM
from omnialloc.services.invariants import check
from omnialloc.store.repositories.orders import BackorderCandidate
from tests.integration.lifecycle.conftest import order_status

SKU = "SKU-0003"


def _jobs(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT sku, reason FROM backorder_jobs ORDER BY id"))]


def _receive(api, node: str, qty: int, sku: str = SKU):
    return api("post", "/inventory/adjustments", {"adjustments": [
        {"node": node, "sku": sku, "delta": qty, "reason": "receipt"}]})


@pytest.fixture
def sold_out(stock_only_at, clean_engine):
    """SKU is nowhere in stock (CHN-FC1 has a row at 0) and the queue starts empty."""
    stock_only_at(SKU, {"CHN-FC1": 0})
    with clean_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM backorder_jobs"))


# ------------------------------------------------------------------ issue 30: priority decides
def test_the_urgent_order_gets_the_one_unit_that_arrives_although_the_ordinary_one_waited_longer(
        sold_out, capture, api, clean_engine, drain_backorders):
    """The issue's repro: A (priority 0) captured, then B (priority 10); one unit arrives: B gets it."""
    a = capture([(SKU, 1)], priority=0)
    b = capture([(SKU, 1)], priority=10)
    assert a["status"] == b["status"] == "BACKORDERED"
    status, out = _receive(api, "CHN-FC1", 1)
    assert status == 200, out
    tally = drain_backorders()
    assert tally.allocated_ids == [b["id"]]
    assert order_status(clean_engine, b["id"]) == "ALLOCATED"
    assert order_status(clean_engine, a["id"]) == "BACKORDERED"
    assert check(clean_engine).ok


def test_a_validation_rule_s_priority_decides_who_gets_the_unit(sold_out, capture, api, clean_engine,
                                                                drain_backorders):
    """The same, with the priority set as in the issue: a validation rule on the tag ``urgent``."""
    status, rule = api("post", "/rules", {"name": "urgent first", "kind": "validation",
                                          "condition": '"urgent" in order.tags',
                                          "actions": [{"type": "set_priority", "priority": 10}]})
    assert status == 201, rule
    a = capture([(SKU, 1)])
    b = capture([(SKU, 1)], tags=["urgent"])
    assert (a["priority"], b["priority"]) == (0, 10)
    _receive(api, "CHN-FC1", 1)
    assert drain_backorders().allocated_ids == [b["id"]]
    assert order_status(clean_engine, a["id"]) == "BACKORDERED"


def test_stock_released_by_a_cancel_goes_to_the_most_urgent_waiting_order(sold_out, stock_only_at, capture, api,
                                                                        clean_engine, drain_backorders):
    stock_only_at(SKU, {"CHN-FC1": 1})
    holder = capture([(SKU, 1)])
    assert holder["status"] == "ALLOCATED"
    low, high = capture([(SKU, 1)], priority=1), capture([(SKU, 1)], priority=5)
    status, _ = api("post", f"/orders/{holder['id']}/cancel", {"reason": "changed mind"})
    assert status == 200
    assert (SKU, "released") in _jobs(clean_engine)
    assert drain_backorders().allocated_ids == [high["id"]]
    assert order_status(clean_engine, low["id"]) == "BACKORDERED"


def test_at_equal_priority_the_earlier_promise_then_the_older_order_goes_first(sold_out, capture, api,
                                                                              drain_backorders):
    old_no_promise = capture([(SKU, 1)])
    late_promise = capture([(SKU, 1)], promised_days=9)
    early_promise = capture([(SKU, 1)], promised_days=3)
    newer_no_promise = capture([(SKU, 1)])
    _receive(api, "CHN-FC1", 4)
    assert drain_backorders().allocated_ids == [early_promise["id"], late_promise["id"], old_no_promise["id"],
                                                newer_no_promise["id"]]


def test_an_order_the_stock_cannot_complete_is_skipped_for_one_it_completes(sold_out, capture, api, clean_engine,
                                                                           drain_backorders):
    big = capture([(SKU, 3)], priority=9)
    small = capture([(SKU, 1)], priority=1)
    _receive(api, "CHN-FC1", 2)
    assert drain_backorders().allocated_ids == [small["id"]]
    assert order_status(clean_engine, big["id"]) == "BACKORDERED"
    _receive(api, "CHN-FC1", 2)
    assert drain_backorders().allocated_ids == [big["id"]]


def _candidate(i, priority, promised_days, age_minutes):
    at = datetime(2030, 1, 1, tzinfo=UTC) - timedelta(minutes=age_minutes)
    return BackorderCandidate(f"ord_{i:03d}", priority, promised_days, at, None, {SKU: 1})


def test_urgency_orders_by_priority_then_promise_date_then_age():
    """Against a reference written here: compare two candidates field by field, as the docs say."""
    from functools import cmp_to_key

    def reference(x, y):
        if x.priority != y.priority:
            return -1 if x.priority > y.priority else 1
        px = x.created_at + timedelta(days=x.promised_days) if x.promised_days is not None else None
        py = y.created_at + timedelta(days=y.promised_days) if y.promised_days is not None else None
        if (px is None) != (py is None):
            return -1 if py is None else 1
        if px is not None and px != py:
            return -1 if px < py else 1
        if x.created_at != y.created_at:
            return -1 if x.created_at < y.created_at else 1
        return -1 if x.order_id < y.order_id else (1 if x.order_id > y.order_id else 0)

    grid = itertools.product([0, 3, 10], [None, 1, 2, 5], [0, 30, 60 * 24 * 2, 60 * 24 * 4])
    cands = [_candidate(i, *combo) for i, combo in enumerate(grid)]
    assert sorted(cands, key=backorders.urgency) == sorted(cands, key=cmp_to_key(reference))


# ------------------------------------------------------------------ issue 20, item 2: the answer tells the truth
def test_a_receipt_succeeds_when_a_waiting_order_was_cancelled_meanwhile(sold_out, capture, api, clean_engine,
                                                                         monkeypatch):
    """The receipt's answer is about the receipt: it never runs a waiting order's allocation, so an order
    cancelled meanwhile (its allocation refused) cannot turn a stored receipt into an error."""
    waiting = capture([(SKU, 1)])

    def refused(*_a, **_k):
        raise DomainError(f"order {waiting['id']} is CANCELLED; only VALIDATED, BACKORDERED or ALLOCATED "
                          "orders can be allocated")

    monkeypatch.setattr(lifecycle, "allocate", refused)
    with clean_engine.connect() as conn:
        before = conn.execute(sa.text("SELECT on_hand FROM inventory WHERE node = 'CHN-FC1' AND sku = :s"),
                              {"s": SKU}).scalar_one()
    status, out = _receive(api, "CHN-FC1", 5)
    assert status == 200, out
    assert out == {"applied": 1, "backorder_retries_queued": 1}
    with clean_engine.connect() as conn:
        after = conn.execute(sa.text("SELECT on_hand FROM inventory WHERE node = 'CHN-FC1' AND sku = :s"),
                             {"s": SKU}).scalar_one()
    assert after == before + 5
    assert (SKU, "receipt") in _jobs(clean_engine)


def test_the_worker_skips_an_order_cancelled_after_it_was_listed_and_serves_the_next(
        sold_out, capture, api, ctx, clean_engine, drain_backorders, monkeypatch):
    first, second = capture([(SKU, 1)], priority=9), capture([(SKU, 1)], priority=1)
    _receive(api, "CHN-FC1", 1)
    real = lifecycle.allocate

    def cancelled_first(ctx_, order_id, *args, **kwargs):
        if order_id == first["id"]:  # the customer cancels between the worker's listing and its allocation
            lifecycle.cancel(ctx_, SYSTEM, order_id, "customer cancelled")
        return real(ctx_, order_id, *args, **kwargs)

    monkeypatch.setattr(lifecycle, "allocate", cancelled_first)
    assert drain_backorders().allocated_ids == [second["id"]]
    assert order_status(clean_engine, first["id"]) == "CANCELLED"
    assert check(clean_engine).ok


def test_a_refused_receipt_queues_nothing(sold_out, capture, api, clean_engine):
    capture([(SKU, 1)])
    with clean_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM backorder_jobs"))
    status, _ = api("post", "/inventory/adjustments", {"adjustments": [
        {"node": "CHN-FC1", "sku": SKU, "delta": 5, "reason": "receipt"},
        {"node": "CHN-FC1", "sku": "NO-SUCH-SKU", "delta": 1, "reason": "receipt"}]})
    assert status == 422
    assert _jobs(clean_engine) == []


def test_a_retry_that_still_cannot_allocate_writes_nothing(sold_out, capture, api, clean_engine, drain_backorders):
    order = capture([(SKU, 2)])
    with clean_engine.connect() as conn:
        events = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
        plans = conn.execute(sa.text("SELECT count(*) FROM allocations")).scalar_one()
    _receive(api, "CHN-FC1", 1)  # one unit: not enough for the order
    tally = drain_backorders()
    assert tally.allocated == 0 and tally.jobs >= 1
    with clean_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one() == events + 1  # the receipt's
        assert conn.execute(sa.text("SELECT count(*) FROM allocations")).scalar_one() == plans
    assert order_status(clean_engine, order["id"]) == "BACKORDERED"


# ------------------------------------------------------------------ the queue
def test_a_stock_import_and_a_transfer_receipt_queue_retries_in_their_own_transaction(
        sold_out, stock_only_at, capture, client, admin, api, clean_engine, drain_backorders):
    first, second = capture([(SKU, 1)]), capture([(SKU, 1)])
    with clean_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM backorder_jobs"))
    r = client.post("/inventory/imports?mode=delta&node=CHN-FC1", data=f"sku,qty\n{SKU},1\n".encode(),
                    content_type="text/csv", headers=admin)
    assert r.status_code == 200 and r.get_json()["backorder_retries_queued"] == 1, r.get_json()
    assert _jobs(clean_engine) == [(SKU, "receipt")]
    assert drain_backorders().allocated_ids == [first["id"]]

    stock_only_at(SKU, {"CHN-FC1": 0, "MUM-FC1": 1})
    status, transfer = api("post", "/transfers", {"source": "MUM-FC1", "destination": "BLR-FC1",
                                                  "lines": [{"sku": SKU, "qty": 1}], "reason": "rebalance"})
    assert status == 201, transfer
    assert api("post", f"/transfers/{transfer['id']}/dispatch", {})[0] == 200
    status, received = api("post", f"/transfers/{transfer['id']}/receive", {})
    assert status == 200 and received["backorder_retries_queued"] == 1, received
    assert drain_backorders().allocated_ids == [second["id"]]


def test_one_worker_at_a_time_holds_a_sku_and_a_dead_worker_s_rows_come_back(clean_engine, db_backend):
    from omnialloc.store.repositories.backorders import BackorderJobRepository as Jobs

    def claim(worker, at, limit=100):
        with clean_engine.begin() as conn:
            return Jobs(conn).claim(worker, now=at, stale_before=at - timedelta(seconds=300), limit=limit)

    with clean_engine.begin() as conn:
        Jobs(conn).add([f"SKU-{i:04d}" for i in range(1, 11)], "receipt")
        Jobs(conn).add(["SKU-0001"], "released")  # a later row of the oldest SKU
    now = datetime.now(UTC)
    a = claim("worker-a", now, limit=4)  # four SKUs, with all their rows
    assert sorted(sku for _, sku in a) == ["SKU-0001", "SKU-0001", "SKU-0002", "SKU-0003", "SKU-0004"]
    b = claim("worker-b", now)
    assert [sku for _, sku in b] == [f"SKU-{i:04d}" for i in range(5, 11)]
    with clean_engine.begin() as conn:  # stock arrives again for a SKU worker-a is busy with: it waits for a
        Jobs(conn).add(["SKU-0002"], "receipt")
    assert claim("worker-c", now) == []
    with clean_engine.begin() as conn:
        assert Jobs(conn).finish([i for i, _ in a], "worker-a") == 5
    assert [sku for _, sku in claim("worker-c", now)] == ["SKU-0002"]
    # worker-b dies; after the lease its rows are claimed again, and its late finish deletes nothing.
    later = now + timedelta(seconds=301)
    again = claim("worker-d", later)
    assert {i for i, _ in again} >= {i for i, _ in b}
    with clean_engine.begin() as conn:
        assert Jobs(conn).finish([i for i, _ in b], "worker-b") == 0
        assert Jobs(conn).finish([i for i, _ in again], "worker-d") == len(again)
    if db_backend == "postgresql":
        # A row locked by another transaction (say, being deleted) is skipped, not waited for.
        with clean_engine.begin() as conn:
            Jobs(conn).add(["SKU-0020", "SKU-0021"], "receipt")
        with clean_engine.connect() as holder, holder.begin():
            locked = holder.execute(sa.text("SELECT id FROM backorder_jobs WHERE sku = 'SKU-0020' FOR UPDATE")).scalar()
            with clean_engine.connect() as conn, conn.begin():
                conn.exec_driver_sql("SET LOCAL statement_timeout = '5s'")  # waiting would fail the claim
                got = Jobs(conn).claim("worker-e", now=later, stale_before=now, limit=100)
        assert locked not in {i for i, _ in got} and "SKU-0021" in {sku for _, sku in got}


def test_the_notify_worker_allocates_backorders_as_make_run_starts_it(sold_out, capture, api, clean_db_url,
                                                                     clean_engine, tmp_path):
    """``omnialloc notify-worker`` (what ``make run`` starts beside the API) runs the queue."""
    import os
    import signal
    import subprocess
    import sys
    import time

    order = capture([(SKU, 1)])
    env = {**os.environ, "OMNIALLOC_DATABASE_URL": clean_db_url, "OMNIALLOC_EMAIL_PROVIDER": "log",
           "OMNIALLOC_BACKORDER_POLL_MS": "100"}
    log = open(tmp_path / "worker.log", "wb")
    worker = subprocess.Popen([sys.executable, "-m", "omnialloc.cli", "notify-worker", "--poll", "0.2"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        _receive(api, "CHN-FC1", 1)
        deadline = time.monotonic() + 60
        while order_status(clean_engine, order["id"]) != "ALLOCATED" and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.1)
        assert order_status(clean_engine, order["id"]) == "ALLOCATED", (tmp_path / "worker.log").read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        log.close()
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()
    assert _jobs(clean_engine) == []


def test_concurrent_workers_never_oversell_and_serve_by_priority(sold_out, capture, api, ctx, clean_engine):
    """Three workers drain one queue at once: exactly the stock's worth of orders is allocated, and they are
    the most urgent ones."""
    orders = [capture([(SKU, 1)], priority=p) for p in (0, 7, 3, 9, 1, 8, 2, 6)]
    _receive(api, "CHN-FC1", 3)
    _receive(api, "CHN-FC1", 1)
    errors = []

    def work():
        try:
            backorders.drain(ctx)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    allocated = sorted(o["priority"] for o in orders if order_status(clean_engine, o["id"]) == "ALLOCATED")
    assert allocated == [6, 7, 8, 9]
    report = check(clean_engine)
    assert report.ok, report.summary()


# ------------------------------------------------------------------ issue 20 item 3: the worker yields to requests
def test_the_worker_pauses_between_allocations_only_while_stock_changes_keep_arriving(
        sold_out, capture, api, clean_engine, settings):
    """A paced pass (the worker's): after each slice it pauses if a change queued a retry since its last
    look, and not otherwise; paced, it still serves by priority and oversells nothing."""
    from omnialloc.services.context import Context

    paced = Context(clean_engine, settings.model_copy(update={"backorder_slice_ms": 1, "backorder_busy_pause_ms": 20}))
    pacer = backorders.Pacer(paced)
    pacer.step()  # first look: nothing to compare with, no pause
    assert pacer.paused == 0
    pacer.started -= 1
    pacer.step()  # nothing queued since
    assert pacer.paused == 0
    orders = [capture([(SKU, 1)], priority=p) for p in (0, 9, 4, 7)]  # each queues its SKU: changes arriving
    _receive(api, "CHN-FC1", 2)
    pacer.started -= 1
    pacer.step()
    assert pacer.paused > 0
    tally = backorders.run_once(paced, pacer=pacer)
    assert sorted(o["priority"] for o in orders if o["id"] in tally.allocated_ids) == [7, 9]
    assert check(clean_engine).ok

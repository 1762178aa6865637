"""Two (or more) senders at once never deliver a message twice: threads with their own engines, and processes."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from notify_support import notify_settings
from pytest_httpserver import HTTPServer
from werkzeug import Response

from omnialloc.notify.email import SmtpConfig, SmtpSender
from omnialloc.notify.sms import HttpSmsProvider
from omnialloc.services.context import Context
from omnialloc.services.notifications.worker import Dispatcher
from omnialloc.store.engine import create_engine

OMNIALLOC = str(Path(sys.executable).parent / "omnialloc")


@pytest.fixture
def sms_counter():
    """A threaded HTTP SMS endpoint that counts deliveries per Idempotency-Key (and is a little slow)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    seen: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def handle(request):
        time.sleep(0.01)
        with lock:
            seen[request.headers["Idempotency-Key"]] += 1
        return Response('{"id": "ok"}', status=200, content_type="application/json")

    server.expect_request("/sms", method="POST").respond_with_handler(handle)
    yield server, seen
    server.clear()
    server.stop()


def _confirm_many(add_order, record_event, n):
    orders = [add_order() for _ in range(n)]
    for order in orders:
        record_event("order", order.id, from_status="VALIDATED", to_status="ALLOCATED")
    return orders


def test_concurrent_dispatchers_with_separate_connections_never_double_send(clean_db_url, add_order, record_event,
                                                                           rows, smtp_server, sms_counter):
    server, seen = sms_counter
    _confirm_many(add_order, record_event, 15)
    settings = notify_settings(notify_batch_size=2)
    engines = [create_engine(clean_db_url) for _ in range(4)]
    tallies, errors = [], []
    barrier = threading.Barrier(len(engines))

    def work(engine, n):
        try:
            dispatcher = Dispatcher(Context(engine=engine, settings=settings), worker_id=f"w{n}",
                                    email=SmtpSender(SmtpConfig(port=smtp_server.port, timeout=5)),
                                    sms=HttpSmsProvider(server.url_for("/sms"), "t", timeout=5))
            barrier.wait()
            tallies.append(dispatcher.drain())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e, n)) for n, e in enumerate(engines)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for e in engines:
        e.dispose()
    assert errors == []
    got = rows()
    assert len(got) == 30 and {r["status"] for r in got} == {"sent"}
    assert {r["attempts"] for r in got} == {1}
    assert sum(t.sent for t in tallies) == 30
    assert sum(1 for t in tallies if t.sent) >= 2, "the work should actually have been shared"
    assert sorted(seen.values()) == [1] * 15
    assert set(seen) == {r["idempotency_key"] for r in got if r["channel"] == "sms"}
    ids = [m.message["Message-ID"] for m in smtp_server.received]
    assert len(ids) == 15 and len(set(ids)) == 15


def _env(clean_db_url, **extra):
    env = dict(os.environ)
    env.update(OMNIALLOC_DATABASE_URL=clean_db_url, OMNIALLOC_NOTIFY_BACKOFF_SECONDS="0",
               OMNIALLOC_NOTIFY_BATCH_SIZE="2", OMNIALLOC_SMTP_TIMEOUT_SECONDS="5", **extra)
    return env


def test_two_notify_send_processes_at_once_never_double_send(clean_db_url, add_order, record_event, rows,
                                                             smtp_server, sms_counter):
    server, seen = sms_counter
    _confirm_many(add_order, record_event, 12)
    env = _env(clean_db_url, OMNIALLOC_SMTP_PORT=str(smtp_server.port), OMNIALLOC_SMS_PROVIDER="http",
               OMNIALLOC_SMS_URL=server.url_for("/sms"), OMNIALLOC_SMS_TOKEN="t")
    procs = [subprocess.Popen([OMNIALLOC, "notify-send", "--once"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    got = rows()
    assert len(got) == 24 and {r["status"] for r in got} == {"sent"}
    assert sorted(seen.values()) == [1] * 12
    assert len({m.message["Message-ID"] for m in smtp_server.received}) == len(smtp_server.received) == 12
    assert len({r["claimed_by"] for r in got}) >= 1


def test_notify_worker_sends_and_stops_gracefully_on_sigterm(clean_db_url, add_order, record_event, rows,
                                                              smtp_server):
    env = _env(clean_db_url, OMNIALLOC_SMTP_PORT=str(smtp_server.port), OMNIALLOC_SMS_PROVIDER="log")
    proc = subprocess.Popen([OMNIALLOC, "notify-worker", "--poll", "0.2"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _confirm_many(add_order, record_event, 2)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(r["status"] == "sent" for r in rows()):
            time.sleep(0.2)
        assert {r["status"] for r in rows()} == {"sent"}
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "notify-worker stopped: claimed 4, sent 4" in out
    assert len(smtp_server.received) == 2

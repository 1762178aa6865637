"""Unit-test fixtures for the edge adapters.

``server``: a threaded local HTTP server per test that plays the other side of an adapter (a stalled answer must
not block the client's retry). ``our_log``: captures every log record from DEBUG up; calling it returns what our
side logged (the fake server's own access log, werkzeug's, is the other side's), to look for secrets in.
"""

from __future__ import annotations

import logging

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture
def server():
    s = HTTPServer(host="127.0.0.1", threaded=True)
    s.start()
    try:
        yield s
        s.check()  # a handler that raised (a fake's own bug) or an assertion it made fails the test
    finally:
        s.clear()
        if s.is_running():
            s.stop()


@pytest.fixture
def our_log(caplog):
    caplog.set_level(logging.DEBUG)
    return lambda: "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records
                             if not r.name.startswith("werkzeug"))

"""Unit-test fixtures. ``server``: a threaded local HTTP server per test that plays the other side of an adapter
(a stalled answer must not block the client's retry)."""

from __future__ import annotations

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

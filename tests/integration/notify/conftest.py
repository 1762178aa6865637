"""Fixtures for notification integration tests: real SMTP (aiosmtpd) and HTTP (pytest-httpserver) servers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import SmtpServer  # noqa: E402


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()

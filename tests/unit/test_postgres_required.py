"""The test suite's PostgreSQL rule (tests/conftest.py): where PostgreSQL is required, an unreachable server
fails the run; it is never quietly skipped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import postgres_required

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("environ, required", [
    ({}, False),
    ({"CI": ""}, False),
    ({"CI": "false"}, False),
    ({"CI": "true"}, True),
    ({"CI": "1"}, True),
    ({"OMNIALLOC_TEST_POSTGRES_URL": "postgresql://postgres@db:5432/test"}, True),
])
def test_postgres_is_required_in_ci_and_when_a_url_is_given(environ, required):
    assert postgres_required(environ) is required


def test_an_unreachable_required_server_fails_the_run_instead_of_skipping(tmp_path):
    """A run with the URL pointing at a closed port: its PostgreSQL tests error, none is skipped, exit code 1."""
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CI": "true",
           "OMNIALLOC_TEST_POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{port}/test"}
    target = "tests/integration/notify/test_notify_status_machine.py::test_requeue_refuses_a_row_that_is_not_dead_or_skipped"
    run = subprocess.run([sys.executable, "-m", "pytest", target, "-q", "-p", "no:cacheprovider", "-m", "postgres",
                          "-rA"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "PostgreSQL is required in this run" in out, out
    assert out.count("ERROR tests/") == 2 and "SKIPPED" not in out, out

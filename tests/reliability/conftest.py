"""Reliability tests: the worker helpers in this folder must be importable by spawned processes."""

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


import pytest  # noqa: E402


@pytest.fixture
def gunicorn(clean_db_url, clean_engine, tmp_path):
    """A real gunicorn (2 workers) serving the clean store; yields the running server."""
    from gunicorn_server import Gunicorn

    from omnialloc.services.network import cache

    cache.invalidate()
    server = Gunicorn(clean_db_url, workers=2, log=tmp_path / "gunicorn.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()

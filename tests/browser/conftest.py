"""Browser fixtures: the whole app served on a free port, and Debian's Chromium driven by Playwright.

No browser is downloaded: Playwright launches /usr/bin/chromium (``make test``
installs it with apt when missing). Without a browser or the ``playwright``
package every browser test SKIPS with the reason. The server is the real app
(werkzeug in a thread) on the ``clean_engine`` store; tests run on SQLite only
-- the services behind each screen are covered on PostgreSQL by tests/api.
Screenshots go to test-artifacts/browser/ (gitignored).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.api.conftest import keys  # noqa: F401 - one API key per role, as in the API tests

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    explicit = os.environ.get("OMNIALLOC_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    path = _chromium()
    if path is None:
        pytest.skip("no chromium on PATH: `apt-get install -y chromium` (make test tries this) to run browser tests")
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - a browser that cannot start is a skip, with the reason
            pytest.skip(f"chromium at {path} did not start: {exc}")
        yield b
        b.close()


@pytest.fixture
def live(request, db_backend, clean_db_url, clean_engine):
    """(base_url, app) for the real app served by werkzeug in a thread. On SQLite only, unless the test is
    marked ``both_backends`` (then on PostgreSQL too)."""
    if db_backend != "sqlite" and request.node.get_closest_marker("both_backends") is None:
        pytest.skip("browser tests run on SQLite; tests/api covers the console's services on PostgreSQL")
    from werkzeug.serving import make_server

    from omnialloc.api import create_app
    from omnialloc.config import Settings
    from omnialloc.services.network import cache

    cache.invalidate()
    app = create_app(Settings(database_url=clean_db_url), engine=clean_engine)
    with clean_engine.begin() as conn:  # signed tracking works as in tests/api (a delivered order can be returned)
        from omnialloc.store.repositories.carriers import CarrierRepository
        from tests.api.conftest import CARRIER_SECRET

        repo = CarrierRepository(conn)
        for carrier in repo.list():
            repo.set_webhook_secret(carrier.code, CARRIER_SECRET)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def open_as(browser, live):
    """open_as(token, width=1280, height=800) -> a logged-in Playwright page in its own context."""
    base, _ = live
    contexts = []

    def _open(token: str, width: int = 1280, height: int = 800):
        ctx = browser.new_context(viewport={"width": width, "height": height}, base_url=base)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto("/console/login")
        page.get_by_label("API key").fill(token)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    yield _open
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

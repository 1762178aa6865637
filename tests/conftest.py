"""Shared test fixtures: every database test runs on SQLite and, when available, on PostgreSQL.

PostgreSQL is required when ``OMNIALLOC_TEST_POSTGRES_URL`` is set or the run is
CI (``CI`` set to true, as CI services do; then ``postgresql://postgres@127.0.0.1:5432/test``
unless the URL says otherwise): an unreachable or unusable server then fails every
PostgreSQL test instead of skipping it, so a CI run cannot pass on SQLite alone.
Outside CI, with no URL, PostgreSQL is used when something answers on
127.0.0.1:5432 and its tests are skipped (with the reason) otherwise. Each run
gets private schemas, created at first use and dropped at the end.

Fixtures (all lazy: a test that asks for none of them pays no database cost):

``db_backend``
    ``"sqlite"`` or ``"postgresql"``; every test that uses a database fixture
    runs once per backend (ids ``[sqlite]`` / ``[postgresql]``).
``clean_engine`` / ``engine``
    A migrated store with the demo network loaded, fresh for this test
    (SQLite: a copy of a template file; PostgreSQL: every non-reference table
    truncated and the reference tables restored from a snapshot). Write freely.
    ``engine`` is the same fixture under the short name.
``shared_engine``
    One demo-loaded store for the whole session, for read-only tests that want
    to skip even the fast reset. Do not write through it.
``uow_factory``
    ``uow_factory()`` / ``uow_factory(readonly=True)`` -> a ``UnitOfWork`` on ``clean_engine``.
``clean_db_url``
    The URL of the ``clean_engine`` database, schema included, for code that
    builds its own engine (CLI, subprocesses, gunicorn): set it as
    ``OMNIALLOC_DATABASE_URL``.
``empty_db_url``
    A URL to a brand-new empty database (no tables): for migration tests.
``admin_token``
    A fresh admin API key (the bearer token) in ``clean_engine``.

Reset rule: tables named in ``omnialloc.store.tables.REFERENCE_TABLES`` are
restored to the demo data; every other table in the metadata is emptied. A new
table is therefore reset without touching this file; add it to
REFERENCE_TABLES only if it is loaded by ``load_demo``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs PostgreSQL")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    config.addinivalue_line("markers", "db: uses a database (runs on every available backend)")


def pytest_collection_modifyitems(items):
    # Mark the PostgreSQL variants so `-m "not postgres"` gives a SQLite-only run.
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_backend") == "postgresql":
            item.add_marker(pytest.mark.postgres)


# --------------------------------------------------------------------------- PostgreSQL discovery

_pg_state: dict[str, object] = {}


def postgres_required(environ=os.environ) -> bool:
    """PostgreSQL must work in this run: a URL was given, or this is CI."""
    ci = environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")
    return bool(environ.get("OMNIALLOC_TEST_POSTGRES_URL")) or ci


def postgres_url() -> str | None:
    """The PostgreSQL server to test against, or None (probed once per run)."""
    if "url" not in _pg_state:
        if postgres_required():
            _pg_state["url"] = os.environ.get("OMNIALLOC_TEST_POSTGRES_URL") or DEFAULT_PG_URL
            _pg_state["explicit"] = True
        else:
            _pg_state["url"] = DEFAULT_PG_URL if _port_open("127.0.0.1", 5432) else None
            _pg_state["explicit"] = False
    return _pg_state["url"]  # type: ignore[return-value]


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def url_with_schema(url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections use ``schema`` (psycopg ``options``), usable by any process."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


# --------------------------------------------------------------------------- stores per backend


@dataclass
class BackendStore:
    """Everything one backend needs for the session: a template to reset from, engines to clean up."""

    backend: str
    workdir: Path
    base_url: str | None = None          # PostgreSQL server URL
    schema: str | None = None            # PostgreSQL working schema (clean_engine)
    snapshot_schema: str | None = None   # PostgreSQL pristine copy of the reference tables
    template: Path | None = None         # SQLite template file
    working_engine: object = None
    shared: object = None
    dirty: bool = True
    counter: int = 0
    resets: int = 0
    schemas: list[str] = field(default_factory=list)
    engines: list[object] = field(default_factory=list)

    # ------------------------------------------------------------- setup
    def setup(self) -> None:
        if self.backend == "sqlite":
            self.template = self.workdir / "template.db"
            url = f"sqlite:///{self.template}"
            _migrate_and_load(url)
        else:
            tag = f"{os.getpid()}_{secrets.token_hex(3)}"
            self.schema = self.new_schema(f"oa_test_{tag}")
            self.snapshot_schema = self.new_schema(f"oa_snap_{tag}")
            _migrate_and_load(self.base_url, schema=self.schema)
            from sqlalchemy import text

            from omnialloc.store.engine import create_engine
            from omnialloc.store.tables import REFERENCE_TABLES

            self.working_engine = create_engine(self.base_url, schema=self.schema)
            self.engines.append(self.working_engine)
            with self.working_engine.begin() as conn:
                for name in sorted(REFERENCE_TABLES):
                    conn.execute(text(f'CREATE TABLE "{self.snapshot_schema}"."{name}" AS '
                                      f'SELECT * FROM "{self.schema}"."{name}"'))
            self.dirty = False

    def new_schema(self, name: str) -> str:
        import sqlalchemy as sa

        admin = sa.create_engine(self.base_url, poolclass=sa.pool.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        admin.dispose()
        self.schemas.append(name)
        return name

    def drop_schema(self, name: str) -> None:
        import sqlalchemy as sa

        admin = sa.create_engine(self.base_url, poolclass=sa.pool.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()
        if name in self.schemas:
            self.schemas.remove(name)

    def teardown(self) -> None:
        for engine in self.engines:
            engine.dispose()
        for name in list(self.schemas):
            self.drop_schema(name)

    # ------------------------------------------------------------- per test
    def clean(self):
        """(engine, url) of a fresh demo-loaded store."""
        _invalidate_caches()
        if self.backend == "sqlite":
            self.counter += 1
            path = self.workdir / f"test-{self.counter}.db"
            shutil.copyfile(self.template, path)
            url = f"sqlite:///{path}"
            from omnialloc.store.engine import create_engine

            engine = create_engine(url)
            self.engines.append(engine)
            return engine, url
        if self.dirty:
            self.reset()
        self.dirty = True
        return self.working_engine, url_with_schema(self.base_url, self.schema)

    def release(self, engine) -> None:
        if self.backend == "sqlite":
            engine.dispose()
            self.engines.remove(engine)
            path = Path(engine.url.database)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def reset(self) -> None:
        """Empty every table, then copy the reference tables back from the snapshot (one transaction).

        DELETE, not TRUNCATE: a test leaves a handful of rows and DELETE of a
        small table is ~10x faster than TRUNCATE's new-file dance.
        """
        from sqlalchemy import text

        from omnialloc.store.tables import REFERENCE_TABLES, load_all

        tables = load_all().sorted_tables
        with self.working_engine.begin() as conn:
            for table in reversed(tables):
                conn.execute(text(f'DELETE FROM "{table.name}"'))
            for table in tables:
                if table.name in REFERENCE_TABLES:
                    conn.execute(text(f'INSERT INTO "{table.name}" SELECT * FROM '
                                      f'"{self.snapshot_schema}"."{table.name}"'))
            sequences = conn.execute(text("SELECT sequence_name FROM information_schema.sequences "
                                          "WHERE sequence_schema = current_schema()")).scalars().all()
            for name in sequences:
                conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART'))
        self.dirty = False
        self.resets += 1
        if self.resets % 20 == 0:  # DELETE leaves dead rows; clear them before they slow every reset down
            names = ", ".join(f'"{t.name}"' for t in tables)
            with self.working_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"VACUUM {names}"))

    def shared_engine(self):
        if self.shared is None:
            from omnialloc.store.engine import create_engine

            if self.backend == "sqlite":
                path = self.workdir / "shared.db"
                shutil.copyfile(self.template, path)
                self.shared = create_engine(f"sqlite:///{path}")
            else:
                schema = self.new_schema(f"oa_shared_{os.getpid()}_{secrets.token_hex(3)}")
                _migrate_and_load(self.base_url, schema=schema)
                self.shared = create_engine(self.base_url, schema=schema)
            self.engines.append(self.shared)
        return self.shared

    def empty_url(self):
        """(url, cleanup) for a database with nothing in it."""
        if self.backend == "sqlite":
            self.counter += 1
            path = self.workdir / f"empty-{self.counter}.db"

            def cleanup():
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)

            return f"sqlite:///{path}", cleanup
        schema = self.new_schema(f"oa_empty_{os.getpid()}_{secrets.token_hex(3)}")
        return url_with_schema(self.base_url, schema), lambda: self.drop_schema(schema)


def _migrate_and_load(url: str, *, schema: str | None = None) -> None:
    from omnialloc.services.network.demo import load_demo
    from omnialloc.store.engine import create_engine
    from omnialloc.store.migrate import upgrade

    upgrade(url, "head", schema=schema)
    engine = create_engine(url, schema=schema)
    try:
        load_demo(engine=engine, key_file=None)
    finally:
        engine.dispose()


def _invalidate_caches() -> None:
    # The allocation service caches the network per process; each test gets a fresh store.
    try:
        from omnialloc.services.network.cache import invalidate
    except ImportError:
        return
    invalidate()


@pytest.fixture(scope="session")
def _stores():
    # Our own temp folder, not pytest's basetemp: concurrent pytest sessions prune
    # each other's old basetemp folders, which would delete the template mid-run.
    root = Path(tempfile.mkdtemp(prefix="omnialloc-tests-"))
    stores: dict[str, BackendStore] = {}
    yield stores, root
    for store in stores.values():
        store.teardown()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request) -> str:
    if request.param == "postgresql" and postgres_url() is None:
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (set OMNIALLOC_TEST_POSTGRES_URL to use another)")
    return request.param


@pytest.fixture(scope="session")
def backend_store(_stores, db_backend) -> BackendStore:
    stores, root = _stores
    if db_backend not in stores:
        (root / db_backend).mkdir()
        store = BackendStore(db_backend, root / db_backend)
        if db_backend == "postgresql":
            store.base_url = postgres_url()
            from sqlalchemy.exc import OperationalError

            try:
                store.setup()
                unusable = None
            except OperationalError as exc:
                store.teardown()
                unusable = str(exc.orig)
            except Exception:
                store.teardown()
                raise
            if unusable is not None:
                if not _pg_state.get("explicit"):
                    pytest.skip(f"PostgreSQL not usable: {unusable}")
                # Required (a URL given, or CI): fail every PostgreSQL test (pytest caches this failure for
                # the session) rather than let the run pass on SQLite alone.
                pytest.fail(f"PostgreSQL is required in this run (OMNIALLOC_TEST_POSTGRES_URL or CI is set) but "
                            f"{store.base_url} is not usable: {unusable}", pytrace=False)
        else:
            store.setup()
        stores[db_backend] = store
    return stores[db_backend]


@pytest.fixture
def _clean(backend_store):
    engine, url = backend_store.clean()
    yield engine, url
    backend_store.release(engine)


@pytest.fixture
def clean_engine(_clean):
    return _clean[0]


@pytest.fixture
def engine(clean_engine):
    return clean_engine


@pytest.fixture
def clean_db_url(_clean) -> str:
    return _clean[1]


@pytest.fixture
def shared_engine(backend_store):
    return backend_store.shared_engine()


@pytest.fixture
def uow_factory(clean_engine):
    from omnialloc.store.uow import UnitOfWork

    def make(readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(clean_engine, readonly=readonly)

    return make


@pytest.fixture
def empty_db_url(backend_store):
    url, cleanup = backend_store.empty_url()
    yield url
    cleanup()


@pytest.fixture
def admin_token(uow_factory) -> str:
    from omnialloc.services.access import create_key

    with uow_factory() as uow:
        token, _ = create_key(uow, name="test-admin", role="admin")
        uow.commit()
    return token


@pytest.fixture
def drain_backorders(clean_engine, clean_db_url):
    """``drain_backorders()`` runs the backorder retry queue of ``clean_engine`` until it is empty, as the
    worker (``omnialloc notify-worker``) would, and returns its tally: tests run queued retries explicitly."""
    from omnialloc.config import Settings
    from omnialloc.services.context import Context

    ctx = Context(clean_engine, Settings(database_url=clean_db_url))

    def run():
        from omnialloc.services.orders.backorders import drain

        return drain(ctx)
    return run

"""Engines, configured once per database URL.

SQLite (the embedded default) is set up for concurrent writers:

* WAL journal, so readers never block the writer and vice versa;
* a 30 s busy timeout, so a writer waits for the lock instead of failing;
* foreign keys on (SQLite leaves them off per connection);
* pysqlite's own transaction handling off (``isolation_level = None``) and every
  transaction begun by us: ``BEGIN IMMEDIATE`` for writes, which takes the
  write lock up front. With the default deferred BEGIN two transactions can
  both read the same stock and then both write, i.e. oversell, or fail to
  upgrade their read lock. Read-only units of work (``readonly=True``) begin a
  deferred transaction: a consistent snapshot without the write lock.

PostgreSQL gets a checked, bounded pool, and statements with native ``$n`` placeholders sent as they are
(see ``store.fastexec.engine_options``). ``schema=`` puts a private schema first
on the search path (tests run in one schema per run). The check on checkout looks
at the idle connection's socket instead of pinging the server (SQLAlchemy's
``pool_pre_ping``): a server that ended the session (a terminated backend, a
restart, a crash) has closed the socket or written its FATAL message to it, so
the socket reads as ready; a live idle session's never does. That costs a poll
instead of a round trip per request (one of the ~15 a capture+allocate had),
and a dead connection is still replaced before use (see
:func:`_closed_by_server`). ``pool_pre_ping=True`` still selects SQLAlchemy's ping.
"""

from __future__ import annotations

import select
import threading
from pathlib import Path

import sqlalchemy as sa
from pydantic_core import to_json
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from omnialloc.store.fastexec import engine_options

BUSY_TIMEOUT_MS = 30_000
READONLY_OPTION = "omnialloc_readonly"

_engines: dict[tuple[str, str | None], Engine] = {}
_lock = threading.Lock()


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (and ``schema``), created on first use."""
    key = (str(url), schema)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = create_engine(url, schema=schema)
        return engine


def dispose_engines() -> None:
    """Close every cached engine's pool (tests, process shutdown, after fork)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def create_engine(url: str, *, schema: str | None = None, foreign_keys: bool = True, **kwargs) -> Engine:
    """A new, uncached engine. ``foreign_keys=False`` is for SQLite batch migrations only."""
    u = make_url(url)
    # A statement's values never appear in an error's text (which reaches logs): they may be a customer's
    # phone, e-mail or address.
    kwargs.setdefault("hide_parameters", True)
    if u.get_backend_name() == "sqlite":
        return _sqlite_engine(u, foreign_keys=foreign_keys, **kwargs)
    if u.get_backend_name() == "postgresql":
        return _postgresql_engine(u, schema=schema, **kwargs)
    return sa.create_engine(u, **kwargs)


def has_schema(engine: Engine) -> bool:
    """Whether the database has the store's tables (``omnialloc db upgrade`` has run)."""
    with engine.connect() as conn:
        return sa.inspect(conn).has_table("nodes")


def is_sqlite(engine_or_url) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def sqlite_path(url) -> Path | None:
    """The file behind an SQLite URL (None for in-memory)."""
    u = make_url(url)
    db = u.database
    if not db or db == ":memory:" or db.startswith("file::memory:"):
        return None
    return Path(db)


def ensure_sqlite_dir(url) -> None:
    """Create the parent folder of an SQLite file so a fresh checkout just works."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        path = sqlite_path(u)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(u, *, foreign_keys: bool, **kwargs) -> Engine:
    ensure_sqlite_dir(u)
    connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = sa.create_engine(u, connect_args=connect_args, **kwargs)
    in_memory = sqlite_path(u) is None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # We emit BEGIN ourselves (see _on_begin); pysqlite must not.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            if not in_memory:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        readonly = conn.get_execution_options().get(READONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _postgresql_engine(u, *, schema: str | None, **kwargs) -> Engine:
    fast = engine_options("postgresql")  # native placeholders for store.fastexec (none under OMNIALLOC_PLAIN_CORE)
    connect_args = {**fast.pop("connect_args", {}), **kwargs.pop("connect_args", {})}
    for key, value in fast.items():
        kwargs.setdefault(key, value)
    if schema:
        if not schema.replace("_", "").isalnum():
            raise ValueError(f"bad schema name {schema!r}")
        connect_args["options"] = f"-csearch_path={schema}"
    socket_check = kwargs.setdefault("pool_pre_ping", False) is False
    # JSON/JSONB parameters (stored plans, event payloads) encoded by pydantic-core's serializer rather than
    # json.dumps: the same JSON values, ~5x less CPU, which showed as ~2% of a worker's time per capture.
    kwargs.setdefault("json_serializer", to_json)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_recycle", 1800)
    engine = sa.create_engine(u, connect_args=connect_args, **kwargs)
    if socket_check:
        event.listen(engine, "checkout", _closed_by_server)
    return engine


def _closed_by_server(dbapi_conn, _record, _proxy) -> None:
    """Pool checkout: refuse a psycopg connection the server has ended while it sat in the pool.

    An idle session (no query in flight: the pool rolled it back on return) gets no bytes from the
    server unless the server is ending it, so a readable socket, a closed or broken connection all
    mean dead. ``DisconnectionError`` makes the pool drop it and connect afresh (up to three times).
    """
    try:
        if dbapi_conn.closed or dbapi_conn.broken:
            raise sa.exc.DisconnectionError("connection closed")
        poller = select.poll()
        poller.register(dbapi_conn.pgconn.socket, select.POLLIN | select.POLLPRI)
        if poller.poll(0):
            raise sa.exc.DisconnectionError("the server ended the idle session")
    except sa.exc.DisconnectionError:
        raise
    except Exception as exc:  # (the socket is gone: psycopg raises when asked for it)
        raise sa.exc.DisconnectionError(f"connection unusable: {exc}") from exc

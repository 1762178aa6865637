"""Engine and unit of work: SQLite in WAL with BEGIN IMMEDIATE, rollback by default, no oversell under concurrency."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from omnialloc.store.engine import BUSY_TIMEOUT_MS, create_engine, make_engine
from omnialloc.store.tables.inventory import inventory
from omnialloc.store.uow import UnitOfWork


@pytest.fixture
def sqlite_only(db_backend):
    if db_backend != "sqlite":
        pytest.skip("SQLite-specific set-up")


def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(sqlite_only, clean_engine):
    with clean_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_write_units_begin_immediate_and_read_units_do_not(sqlite_only, clean_engine):
    begins = []

    @event.listens_for(clean_engine, "before_cursor_execute")
    def spy(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    try:
        with UnitOfWork(clean_engine) as uow:
            uow.nodes.list()
        with UnitOfWork(clean_engine, readonly=True) as uow:
            uow.nodes.list()
    finally:
        event.remove(clean_engine, "before_cursor_execute", spy)
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]


def test_sqlite_write_unit_holds_the_write_lock_from_its_first_statement(sqlite_only, clean_engine):
    path = clean_engine.url.database
    with UnitOfWork(clean_engine):
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            assert other.execute("SELECT count(*) FROM nodes").fetchone()[0] > 0  # readers are not blocked
        finally:
            other.close()


def test_sqlite_read_unit_does_not_block_a_writer(sqlite_only, clean_engine, demo):
    with UnitOfWork(clean_engine, readonly=True) as reader:
        reader.nodes.list()
        with UnitOfWork(clean_engine) as writer:
            assert writer.inventory.adjust(demo["node"], demo["sku"], 1)
            writer.commit()


def test_leaving_without_commit_rolls_back(uow_factory, demo):
    with uow_factory() as uow:
        uow.inventory.adjust(demo["node"], demo["sku"], 1000)
        before = uow.inventory.get(demo["node"], demo["sku"]).on_hand
    with uow_factory(readonly=True) as uow:
        assert uow.inventory.get(demo["node"], demo["sku"]).on_hand == before - 1000


def test_an_exception_rolls_back(uow_factory, demo):
    with uow_factory(readonly=True) as uow:
        before = uow.inventory.get(demo["node"], demo["sku"]).on_hand
    with pytest.raises(RuntimeError), uow_factory() as uow:
        uow.inventory.adjust(demo["node"], demo["sku"], 1000)
        raise RuntimeError("boom")
    with uow_factory(readonly=True) as uow:
        assert uow.inventory.get(demo["node"], demo["sku"]).on_hand == before


def test_a_unit_can_go_on_after_commit(uow_factory, demo):
    with uow_factory() as uow:
        uow.inventory.adjust(demo["node"], demo["sku"], 1)
        uow.commit()
        uow.inventory.adjust(demo["node"], demo["sku"], 1)
        uow.commit()
        after = uow.inventory.get(demo["node"], demo["sku"]).on_hand
    with uow_factory(readonly=True) as uow:
        assert uow.inventory.get(demo["node"], demo["sku"]).on_hand == after


def test_make_engine_caches_one_engine_per_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert make_engine(url) is make_engine(url)
    assert make_engine(url) is not make_engine(f"sqlite:///{tmp_path / 'y.db'}")


def test_concurrent_reservers_on_separate_connections_never_oversell(clean_db_url, db_backend, demo):
    """Many threads, each with its own engine (= connection), race for 20 units of ATP."""
    node, sku = demo["node"], demo["sku"]
    setup = create_engine(clean_db_url)
    with setup.begin() as conn:
        conn.execute(inventory.update().where(inventory.c.node == node, inventory.c.sku == sku)
                     .values(on_hand=20, reserved=0, safety_stock=0))
    workers, attempts = 8, 6
    engines = [create_engine(clean_db_url) for _ in range(workers)]
    start = threading.Barrier(workers)

    def run(engine) -> int:
        won = 0
        start.wait()
        for _ in range(attempts):
            with UnitOfWork(engine) as uow:
                # read-then-write, the dangerous shape: check ATP, then reserve
                if uow.inventory.atp_for([sku], nodes=[node]).get((node, sku), 0) >= 1:
                    if uow.inventory.reserve(node, sku, 1):
                        won += 1
                uow.commit()
        return won

    try:
        with ThreadPoolExecutor(workers) as pool:
            won = sum(pool.map(run, engines))
        with setup.connect() as conn:
            row = conn.execute(sa.select(inventory.c.on_hand, inventory.c.reserved)
                               .where(inventory.c.node == node, inventory.c.sku == sku)).one()
    finally:
        for engine in (setup, *engines):
            engine.dispose()
    assert won == 20
    assert (row.on_hand, row.reserved) == (20, 20)


def test_a_pooled_postgresql_connection_the_server_ended_is_replaced_at_checkout(clean_db_url, db_backend):
    # The pool checks an idle connection's socket instead of pinging (store.engine._closed_by_server).
    if db_backend != "postgresql":
        pytest.skip("PostgreSQL pool check")
    engine = create_engine(clean_db_url, pool_size=1, max_overflow=0)
    pid = "SELECT pg_backend_pid()"
    try:
        with engine.connect() as conn:
            first = conn.exec_driver_sql(pid).scalar()
        with engine.connect() as conn:  # a live idle connection is reused as it is
            assert conn.exec_driver_sql(pid).scalar() == first
        with create_engine(clean_db_url, poolclass=sa.pool.NullPool).connect() as admin:
            assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({first}, 5000)").scalar()
        with engine.connect() as conn:  # no error: the dead one is dropped before use
            assert conn.exec_driver_sql(pid).scalar() != first
    finally:
        engine.dispose()


def test_a_wrongly_assumed_revision_fails_the_commit_and_writes_nothing(uow_factory, new_order):
    from omnialloc.store.uow import StaleRevision

    order = new_order()
    with uow_factory() as uow:
        uow.assume_revision("not-the-stored-token")
        assert uow.revision() == "not-the-stored-token"  # what the caches are checked against meanwhile
        uow.orders.add(order)
        with pytest.raises(StaleRevision):
            uow.commit()  # read before committing (nothing read it along)
    with uow_factory(readonly=True) as uow:
        assert uow.orders.get(order.id) is None
        stored = uow.revision()
    with uow_factory() as uow:  # the right token: confirmed by the INSERT (PostgreSQL) or at commit
        uow.assume_revision(stored)
        uow.confirm_revision(uow.orders.add(order, with_revision=True))
        uow.commit()
    with uow_factory(readonly=True) as uow:
        assert uow.orders.get(order.id) is not None

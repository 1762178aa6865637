"""Migrations: up and down on every backend, and the upgraded schema equals the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from omnialloc.store import migrate
from omnialloc.store.engine import create_engine
from omnialloc.store.tables import load_all
from omnialloc.store.tables.common import ENUM_TYPES

metadata = load_all()


def _inspect(url):
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            insp = sa.inspect(conn)
            tables = set(insp.get_table_names())
            enums = set()
            if conn.dialect.name == "postgresql":
                enums = set(conn.execute(sa.text(
                    "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "WHERE n.nspname = current_schema() AND t.typtype = 'e'")).scalars())
            return tables, enums
    finally:
        engine.dispose()


def _diff(url):
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, metadata)
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_and_records_head(empty_db_url):
    migrate.upgrade(empty_db_url)
    tables, _ = _inspect(empty_db_url)
    assert set(metadata.tables) <= tables
    assert migrate.current(empty_db_url) == migrate.head()


def test_schema_after_upgrade_matches_the_models(empty_db_url):
    migrate.upgrade(empty_db_url)
    assert _diff(empty_db_url) == []


def test_downgrade_to_base_drops_every_table_and_enum_type(empty_db_url):
    migrate.upgrade(empty_db_url)
    migrate.downgrade(empty_db_url, "base")
    tables, enums = _inspect(empty_db_url)
    assert tables <= {"alembic_version"}
    assert enums == set()
    assert migrate.current(empty_db_url) is None


def test_upgrade_down_up_round_trip_leaves_no_diff(empty_db_url):
    migrate.upgrade(empty_db_url)
    migrate.downgrade(empty_db_url)
    migrate.upgrade(empty_db_url)
    assert _diff(empty_db_url) == []


def test_upgrade_is_a_no_op_when_already_at_head(empty_db_url):
    migrate.upgrade(empty_db_url)
    migrate.upgrade(empty_db_url)
    assert migrate.current(empty_db_url) == migrate.head()


def test_enum_types_are_native_on_postgresql(empty_db_url, db_backend):
    if db_backend != "postgresql":
        pytest.skip("native enum types exist on PostgreSQL only")
    migrate.upgrade(empty_db_url)
    _, enums = _inspect(empty_db_url)
    assert enums == {e.name for e in ENUM_TYPES}


def test_sqlite_upgrade_creates_the_missing_parent_folder(tmp_path):
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'omnialloc.db'}"
    migrate.upgrade(url)
    assert (tmp_path / "a" / "b" / "omnialloc.db").is_file()


def test_an_unreachable_database_raises_operational_error():
    with pytest.raises(OperationalError):
        migrate.upgrade("postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2")

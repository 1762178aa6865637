"""Statements on the DBAPI cursor (store.fastexec) behave as Core's execution of them, on both databases."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from omnialloc.store.fastexec import Fast
from omnialloc.store.types import JSONType, UTCDateTime

META = sa.MetaData()
T = sa.Table("fastexec_probe", META, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(20)),
             sa.Column("at", UTCDateTime), sa.Column("doc", JSONType), sa.Column("n", sa.Integer, server_default="7"))
INSERT = Fast(T.insert())
RENAME = Fast(T.update().where(T.c.id == sa.bindparam("b_id")).values(name=sa.bindparam("b_name")))
NAMES = Fast(sa.select(T.c.id, T.c.name).where(T.c.id.in_(sa.bindparam("ids", expanding=True))).order_by(T.c.id))
NAMES_FROM = Fast(sa.select(T.c.id, T.c.name).where(T.c.id.in_(sa.bindparam("ids", expanding=True)),
                                                     T.c.id >= sa.bindparam("min_id")).order_by(T.c.id))
FIRST_N = Fast(sa.select(T.c.n).where(T.c.id == 1))  # a value built into the statement
AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture
def probe(clean_engine):
    META.create_all(clean_engine)
    yield clean_engine
    META.drop_all(clean_engine)


def _rows(n: int) -> list[dict]:
    return [{"id": i, "name": f"n{i}", "at": AT, "doc": {"i": [i]}} for i in range(1, n + 1)]


def test_values_are_converted_as_core_converts_them_and_read_back_through_core(probe):
    with probe.begin() as conn:
        INSERT.executemany(conn, _rows(3))
    with probe.connect() as conn:
        row = conn.execute(sa.select(T).where(T.c.id == 2)).one()
    assert (row.name, row.at, row.doc, row.n) == ("n2", AT, {"i": [2]}, 7)


def test_row_counts_in_lists_and_built_in_values(probe):
    with probe.begin() as conn:
        INSERT.executemany(conn, _rows(4))
        assert RENAME.rowcount(conn, {"b_id": 2, "b_name": "two"}) == 1
        assert RENAME.rowcount(conn, {"b_id": 99, "b_name": "none"}) == 0
        assert NAMES.rows(conn, {"ids": [1, 2, 3]}) == [(1, "n1"), (2, "two"), (3, "n3")]
        assert NAMES.rows(conn, {"ids": [4]}) == [(4, "n4")]
        assert FIRST_N.first(conn, {}) == (7,)
        assert NAMES_FROM.rows(conn, {"ids": [1, 2, 3], "min_id": 2}) == [(2, "two"), (3, "n3")]


def test_a_single_parameter_set_given_to_executemany_is_written(probe):
    with probe.begin() as conn:
        INSERT.executemany(conn, _rows(1))  # (run as one execute: see Fast.executemany)
    with probe.connect() as conn:
        assert conn.execute(sa.select(T.c.id, T.c.doc)).all() == [(1, {"i": [1]})]


def test_statements_join_the_connections_transaction_and_roll_back_with_it(probe):
    with probe.connect() as conn:
        INSERT.executemany(conn, _rows(2))  # begins a transaction, as Core's autobegin would
        assert conn.in_transaction()
        conn.rollback()
    with probe.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(T)).scalar() == 0


def test_driver_errors_arrive_as_sqlalchemy_errors(probe):
    with probe.begin() as conn:
        INSERT.executemany(conn, _rows(1))
    with probe.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        INSERT.executemany(conn, _rows(1))


def test_cursor_listeners_see_each_statement(probe):
    seen = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split()[0])

    event.listen(probe, "before_cursor_execute", spy)
    try:
        with probe.begin() as conn:
            INSERT.executemany(conn, _rows(1))
            RENAME.rowcount(conn, {"b_id": 1, "b_name": "x"})
    finally:
        event.remove(probe, "before_cursor_execute", spy)
    assert [s for s in seen if s != "BEGIN"] == ["INSERT", "UPDATE"]


PARENT = sa.Table("fastexec_parent", META, sa.Column("id", sa.String(10), primary_key=True),
                  sa.Column("name", sa.String(20), nullable=False))
CHILD = sa.Table("fastexec_child", META, sa.Column("parent_id", sa.ForeignKey("fastexec_parent.id"), primary_key=True),
                 sa.Column("no", sa.Integer, primary_key=True), sa.Column("doc", JSONType))


def test_a_parent_and_its_children_go_in_one_statement_on_postgresql(probe, db_backend):
    if db_backend != "postgresql":
        pytest.skip("a data-modifying CTE: PostgreSQL only (SQLite keeps two statements)")
    from omnialloc.store.fastexec import insert_with_children, parent_child_params

    parent = {"id": "p1", "name": "one"}
    children = [{"parent_id": "p1", "no": i, "doc": {"i": i}} for i in (1, 2)]
    stmt = insert_with_children(PARENT, tuple(parent), CHILD, tuple(children[0]), 2)
    with probe.begin() as conn:
        stmt.rowcount(conn, parent_child_params(parent, children))
    with probe.connect() as conn:
        assert conn.execute(sa.select(PARENT.c.name)).scalars().all() == ["one"]
        assert conn.execute(sa.select(CHILD.c.no, CHILD.c.doc).order_by(CHILD.c.no)).all() == [(1, {"i": 1}),
                                                                                               (2, {"i": 2})]
    orphan = [{"parent_id": "p9", "no": 1, "doc": None}]
    with probe.connect() as conn, pytest.raises(sa.exc.IntegrityError):  # the duplicate parent fails it all
        insert_with_children(PARENT, tuple(parent), CHILD, tuple(orphan[0]), 1).rowcount(
            conn, parent_child_params(parent, orphan))
    with probe.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(CHILD)).scalar() == 2


def test_psycopg_memoises_the_placeholders_of_long_multi_row_statements():
    # (store.fastexec raises psycopg's limits; if a psycopg release renames them, this says so)
    psycopg_queries = pytest.importorskip("psycopg._queries")
    import omnialloc.store.fastexec  # noqa: F401

    assert psycopg_queries.MAX_CACHED_STATEMENT_LENGTH >= 32 * 1024
    assert psycopg_queries.MAX_CACHED_STATEMENT_PARAMS >= 512

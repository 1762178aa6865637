"""Hot statements run on the DBAPI cursor, with their SQL compiled once per dialect.

Through Core, every execution of an already cached statement still costs ~50-80 us of
Python (execution context, cache key, parameter processing, result metadata) on top of
the driver; capture + allocate runs ~17 statements, which made it ~20% of a worker's
CPU per order. ``Fast(stmt)`` compiles ``stmt`` on first use for each dialect and keeps
the SQL text, the parameter order (SQLite's ``?`` style is positional, psycopg's
``%(name)s`` named) and Core's bind processors (so values are converted exactly as Core
converts them: UTC datetimes, JSON, ...), then runs it on the connection's DBAPI cursor
in the connection's transaction. What Core would do around it is kept:

* a connection not yet in a transaction begins one first (SQLite: ``BEGIN IMMEDIATE``);
* ``before_cursor_execute`` / ``after_cursor_execute`` listeners see the statement;
* driver errors go through the connection's own handling: wrapped as SQLAlchemy
  exceptions (``IntegrityError``, ``OperationalError``, ...) and a lost connection
  invalidated, as if Core had run the statement.

For statements whose parameters all come from the caller (no Python-side column
defaults: our tables have server defaults only) and whose result columns need no
conversion (ints and strings; rows are plain tuples). An ``expanding`` IN parameter is
rendered for each list length it is used with; an INSERT for each set of columns given.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection
from sqlalchemy.sql import ClauseElement


def _cache_long_psycopg_queries() -> None:
    """Let psycopg keep its placeholder conversion of our longer statements too.

    psycopg turns ``%(name)s`` placeholders into ``$n`` on every execute, memoised only for queries up
    to 4,096 bytes and 50 parameters (module constants of psycopg 3, read at each call). The multi-row
    statements here (an order and its lines, events and their outbox rows: ~60-200 parameters) are
    fixed texts run thousands of times, and re-parsing them cost ~7% of a worker's CPU per order
    (py-spy). The memo stays an LRU of 128 queries, so the larger limits bound its memory (~4 MB)."""
    try:
        from psycopg import _queries
    except ImportError:  # (SQLite only)
        return
    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH") and hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 32 * 1024)
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 512)


_cache_long_psycopg_queries()


class Fast:
    __slots__ = ("stmt", "_compiled", "_expanding", "_required", "_inserts")

    def __init__(self, stmt: ClauseElement):
        self.stmt = stmt
        self._compiled: dict = {}
        binds = stmt._get_embedded_bindparams()
        self._expanding = tuple(sorted(b.key for b in binds if b.expanding))
        self._required = frozenset(b.key for b in binds if b.required and not b.expanding)
        # An INSERT without .values() takes its columns from the parameters (compiled per column set).
        self._inserts = getattr(stmt, "is_insert", False) and not stmt._values and not stmt._multi_values

    def _for(self, dialect, params: dict):
        lengths = tuple(len(params[k]) for k in self._expanding)
        columns = tuple(params) if self._inserts else None  # an INSERT's columns are the keys given
        key = (dialect, lengths, columns)
        found = self._compiled.get(key)
        if found is None:
            stmt = self.stmt
            kwargs = {}
            if self._expanding:
                # Render each IN list's placeholders (key_1, key_2, ...) for this length (rendering them
                # builds the parameters, so the statement's other parameters need a placeholder value).
                stmt = stmt.params({**dict.fromkeys(self._required),
                                    **{k: [None] * n for k, n in zip(self._expanding, lengths, strict=True)}})
                kwargs["compile_kwargs"] = {"render_postcompile": True}
            comp = stmt.compile(dialect=dialect, column_keys=list(columns) if columns else None, **kwargs)
            names = list(comp.positiontup) if dialect.positional else None
            processors = dict(comp._bind_processors)
            # Values built into the statement (``column == 1``) are parameters too.
            fixed = {name: bp.value for bp, name in comp.bind_names.items()
                     if not bp.required and name not in self._expanding and name not in self._required}
            found = self._compiled[key] = (comp.string, names, processors, fixed)
        return found

    def _args(self, sql_names, processors, fixed, params: dict):
        if fixed:
            params = {**fixed, **params}
        if self._expanding:
            params = dict(params)
            for k in self._expanding:
                for i, v in enumerate(params.pop(k), 1):
                    params[f"{k}_{i}"] = v
        if processors:
            params = {k: (processors[k](v) if k in processors else v) for k, v in params.items()}
        if sql_names is not None:
            return tuple(params[n] for n in sql_names)
        return params

    def _run(self, conn: Connection, params: dict, many: list[dict] | None = None):
        if not conn.in_transaction():
            conn.begin()
        sql, names, processors, fixed = self._for(conn.dialect, params if many is None else many[0])
        args = (self._args(names, processors, fixed, params) if many is None
                else [self._args(names, processors, fixed, p) for p in many])
        cursor = conn.connection.dbapi_connection.cursor()
        events = conn._has_events or conn.engine._has_events
        try:
            if events:
                conn.dispatch.before_cursor_execute(conn, cursor, sql, args, None, many is not None)
            if many is None:
                cursor.execute(sql, args)
            else:
                cursor.executemany(sql, args)
            if events:
                conn.dispatch.after_cursor_execute(conn, cursor, sql, args, None, many is not None)
        except BaseException as exc:
            conn._handle_dbapi_exception(exc, sql, args, cursor, None)
            raise  # (the call above raises; this is for the reader)
        return cursor

    def rowcount(self, conn: Connection, params: dict) -> int:
        cursor = self._run(conn, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def rows(self, conn: Connection, params: dict) -> list[tuple]:
        cursor = self._run(conn, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def first(self, conn: Connection, params: dict) -> tuple | None:
        cursor = self._run(conn, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()

    def executemany(self, conn: Connection, many: list[dict]) -> None:
        """One statement for many parameter sets (every set with the same keys)."""
        if not many:
            return
        if len(many) == 1:
            # psycopg runs executemany in pipeline mode, whose machinery cost more worker CPU than the
            # statement for the one row an allocation usually has (a shipment counter, say).
            self._run(conn, many[0]).close()
            return
        self._run(conn, many[0], many).close()


_WITH_CHILDREN: dict = {}


def insert_with_children(parent, parent_keys: tuple[str, ...], child, child_keys: tuple[str, ...], n: int,
                         returning=None) -> Fast:
    """PostgreSQL: one statement inserting a parent row and ``n`` child rows
    (``WITH p AS (INSERT INTO parent ...) INSERT INTO child VALUES (...) x n``), built once per shape.

    Parameters: ``p_<column>`` for the parent, ``c<i>_<column>`` for child i. The children's foreign keys
    are checked at the end of the statement, when the parent row exists. One round trip instead of two
    (an order and its lines, a shipment and its lines). ``returning``: a scalar expression the statement
    also returns (once per child row), e.g. a value read along in the same round trip; keep it one object
    per use (it is part of the cache key)."""
    key = (parent.name, parent_keys, child.name, child_keys, n, id(returning))
    fast = _WITH_CHILDREN.get(key)
    if fast is None:
        import sqlalchemy as sa

        head = parent.insert().values(
            {c: sa.bindparam(f"p_{c}", type_=parent.c[c].type) for c in parent_keys}).cte(f"new_{parent.name}")
        rows = [{c: sa.bindparam(f"c{i}_{c}", type_=child.c[c].type) for c in child_keys} for i in range(n)]
        stmt = child.insert().values(rows).add_cte(head)
        fast = _WITH_CHILDREN[key] = Fast(stmt if returning is None else stmt.returning(returning))
    return fast


def parent_child_params(parent_row: dict, child_rows: list[dict]) -> dict:
    """The parameters of :func:`insert_with_children` for these rows."""
    params = {f"p_{k}": v for k, v in parent_row.items()}
    for i, row in enumerate(child_rows):
        params.update({f"c{i}_{k}": v for k, v in row.items()})
    return params


NOT_READ = object()  # what insert_row_and_children returns for ``returning`` where it could not read it along


def insert_row_and_children(conn, parent, parent_insert: Fast, row: dict, child, children_insert: Fast,
                            child_rows: list[dict], *, returning=None):
    """Insert a parent row and its child rows (an order and its lines, a shipment and its lines): one
    statement on PostgreSQL (:func:`insert_with_children`), the parent's and an executemany elsewhere.

    ``returning``: a scalar expression to read along on PostgreSQL (see :func:`insert_with_children`);
    returns its value, or :data:`NOT_READ` (the caller reads it otherwise if it needs it)."""
    if child_rows and conn.dialect.name == "postgresql":
        fast = insert_with_children(parent, tuple(row), child, tuple(child_rows[0]), len(child_rows), returning)
        params = parent_child_params(row, child_rows)
        if returning is None:
            fast.rowcount(conn, params)
            return NOT_READ
        return fast.first(conn, params)[0]
    parent_insert.rowcount(conn, row)
    children_insert.executemany(conn, child_rows)
    return NOT_READ

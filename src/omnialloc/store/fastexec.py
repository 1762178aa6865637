"""Hot statements compiled once per dialect and shape, then run as driver SQL: the one adapter for them.

Through Core, every execution of an already cached statement still costs Python on top of the driver:
its cache key (long for a multi-row INSERT), the compiled-cache look-up, parameter processing through the
compiled object and result metadata from the compiled columns. capture + allocate runs ~9 statements, and
that was a fifth of a worker's CPU per order. ``Fast(stmt)`` compiles ``stmt`` on first use for each
dialect and shape (the parameter names given: Core compiles an INSERT for the columns given, so do we;
the length of each ``expanding`` IN list) and keeps the SQL text, the parameter order and Core's bind
processors, all from SQLAlchemy's public compiler API (``SQLCompiler.construct_expanded_state``: the SQL
with IN lists rendered, ``positiontup``, ``processors``). Each call then only orders and converts its
values and runs the text through ``Connection.exec_driver_sql``, which keeps everything Core does around a
statement: autobegin (SQLite: ``BEGIN IMMEDIATE``, see ``store.engine``), the cursor event listeners,
driver errors wrapped as SQLAlchemy's (``IntegrityError``, ...) with a lost connection invalidated.

On PostgreSQL the engine sends SQL with native ``$n`` placeholders on psycopg's ``RawCursor``
(:func:`engine_options`): psycopg then passes every statement through as it is, where with ``%(name)s``
placeholders it parses each query on every execute and memoises that only for queries up to 4 KiB and 50
parameters (the multi-row statements here have ~60-200).

For statements whose parameters all come from the caller or the statement (no Python-side column
defaults) and whose result columns need no conversion (ints and strings). A statement or call outside
that, and every statement when ``OMNIALLOC_PLAIN_CORE=1`` is set (read at import), runs on plain Core
(``conn.execute(stmt, params)``), which gives the same rows, stored values and errors: the switch is
there to rule the adapter in or out when something looks wrong, and the suite runs under it.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from omnialloc.config import get_settings

if TYPE_CHECKING:
    #: What :class:`Fast` runs: a statement Core both compiles (to an ``SQLCompiler``) and executes.
    Statement = sa.Select | sa.CompoundSelect | sa.Insert | sa.Update | sa.Delete

#: Run every statement on plain Core, and the engine with the driver's default placeholders (OMNIALLOC_PLAIN_CORE).
PLAIN_CORE = get_settings().plain_core


def engine_options(backend: str) -> dict:
    """``create_engine`` keyword arguments for ``backend`` ("postgresql", "sqlite"): on PostgreSQL, native
    ``$n`` placeholders (SQLAlchemy's ``numeric_dollar`` paramstyle) on psycopg's ``RawCursor``, so that
    psycopg sends statements as they are instead of parsing their placeholders on every execute."""
    if PLAIN_CORE or backend != "postgresql":
        return {}
    import psycopg

    return {"paramstyle": "numeric_dollar", "connect_args": {"cursor_factory": psycopg.RawCursor}}


class _Plan:
    """One compiled shape: driver SQL and how a call's parameters become its arguments."""

    __slots__ = ("sql", "names", "positional", "fixed", "expansion", "_get", "_convert")

    def __init__(self, sql: str, names: tuple[str, ...], processors: dict, positional: bool, fixed: dict,
                 expansion: tuple[tuple[str, tuple[str, ...]], ...]):
        self.sql = sql
        self.names = names  # in placeholder order (a name used twice is there twice)
        self.positional = positional
        self.fixed = fixed  # values the statement carries itself (``column == 1``)
        self.expansion = expansion  # IN list parameter -> its rendered names
        # The values in placeholder order in one C call (a statement here has up to ~200), then the few that
        # a type converts (UTC datetimes, JSON, ...).
        self._get = (operator.itemgetter(*names) if len(names) > 1 else
                     (lambda values, name=names[0]: (values[name],)) if names else (lambda values: ()))
        self._convert = tuple((i, processors[n]) for i, n in enumerate(names) if processors.get(n) is not None)

    def args(self, params: dict):
        values = {**self.fixed, **params} if self.fixed else params
        if self.expansion:
            values = dict(values)
            for key, names in self.expansion:
                items = values.pop(key)
                if len(items) != len(names):
                    raise KeyError(key)  # (another length: a plan of its own)
                values.update(zip(names, items, strict=True))
        args = self._get(values)
        if self._convert:
            args = list(args)
            for i, convert in self._convert:
                args[i] = convert(args[i])
            args = tuple(args)
        return args if self.positional else dict(zip(self.names, args))


@dataclass(slots=True)
class _Family:
    """The plans of one (dialect, parameter names): one per combination of IN list lengths."""

    compiled: SQLCompiler
    expanding: tuple[str, ...]
    core_reason: str | None  # why this shape runs on Core (None: it runs fast)
    plans: dict


class Fast:
    """A statement run through :func:`Connection.exec_driver_sql` with SQL compiled once (see the module)."""

    __slots__ = ("stmt", "_families")

    def __init__(self, stmt: Statement):
        self.stmt = stmt
        self._families: dict = {}

    # -------------------------------------------------------------- planning

    def _family(self, dialect: Dialect, keys: tuple) -> _Family:
        # As Core does, an INSERT or UPDATE is compiled for the parameter names given (column_keys).
        compiled = self.stmt.compile(dialect=dialect, column_keys=list(keys))
        if not isinstance(compiled, SQLCompiler):  # what a select or DML statement compiles to
            raise TypeError(f"{type(self.stmt).__name__} compiles to {type(compiled).__name__}, not an SQLCompiler")
        binds = compiled.binds.values()
        expanding = tuple(sorted({b.key for b in binds if b.expanding}))
        reason: str | None
        if compiled.insert_prefetch or compiled.update_prefetch:
            reason = "Python-side column defaults (Core computes them per execution)"
        elif any(b.callable is not None for b in binds):
            reason = "a parameter whose value a callable gives per execution"
        elif any(b.literal_execute and b.key in keys for b in binds):
            reason = "a literal_execute parameter given by the caller (rendered into the SQL per value)"
        else:
            reason = _needs_result_conversion(self.stmt, dialect)
        return _Family(compiled, expanding, reason, {})

    def _new_plan(self, family: _Family, params: dict) -> _Plan | None:
        """The plan for ``params``' IN list lengths, built from this call's values (None: run on Core)."""
        # The expanded state renders each IN list's placeholders for the lengths given; values built into the
        # statement come back in its parameters, the caller's are ours to supply per call.
        state = family.compiled.construct_expanded_state(params)
        expansion = tuple((k, tuple(state.parameter_expansion.get(k, ()))) for k in family.expanding)
        if any(len(names) != len(params[k]) for k, names in expansion):
            return None  # a tuple IN list renders several names per item
        given = set(params) - set(family.expanding)
        names = state.positiontup if state.positiontup is not None else tuple(state.parameters)
        rendered = {n for _, expanded in expansion for n in expanded}
        binds, dialect = family.compiled.binds, family.compiled.dialect
        if any(n not in binds and n not in rendered for n in names):
            return None  # a name the dialect escapes in the SQL: Core maps it
        # Each value converted as Core converts it: the bind processor of the parameter's type for this dialect
        # (the expanded state gives those of the IN lists' rendered names).
        processors = {n: state.processors.get(n) if n in rendered
                      else binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in set(names)}
        fixed = {n: state.parameters[n] for n in names if n not in given and n not in rendered}
        return _Plan(state.statement, tuple(names), processors, state.positiontup is not None, fixed, expansion)

    def _plan(self, conn: Connection, params: dict) -> _Plan | None:
        """The compiled plan for a call with ``params``, or None when it runs on Core."""
        if PLAIN_CORE or conn.get_execution_options().get("schema_translate_map"):
            return None  # (Core renders a schema translation per execution)
        key = (conn.dialect, tuple(params))
        family = self._families.get(key)
        if family is None:
            try:
                family = self._families[key] = self._family(conn.dialect, key[1])
            except sa.exc.SQLAlchemyError:
                return None  # (a statement Core refuses to compile for these names: Core says why)
        if family.core_reason is not None:
            return None
        lengths = tuple(len(params[k]) for k in family.expanding) if family.expanding else ()
        try:
            return family.plans[lengths]
        except KeyError:
            pass
        try:
            plan = family.plans[lengths] = self._new_plan(family, params)
        except (sa.exc.SQLAlchemyError, KeyError, TypeError):
            return None  # (a value missing, say: Core raises its own error for it; nothing cached)
        return plan

    def explain(self, conn: Connection, params: dict) -> str | None:
        """Why a call with ``params`` would run on plain Core, or None if it runs as driver SQL (tests)."""
        if PLAIN_CORE:
            return "OMNIALLOC_PLAIN_CORE is set"
        if self._plan(conn, params) is not None:
            return None
        family = self._families.get((conn.dialect, tuple(params)))
        return (family and family.core_reason) or "the parameters do not fit a compiled shape"

    # -------------------------------------------------------------- execution

    def _run(self, conn: Connection, params: dict, core_options=None) -> CursorResult:
        plan = self._plan(conn, params)
        if plan is not None:
            try:
                args = plan.args(params)
            except Exception:  # noqa: BLE001  a value missing or refused by its type: Core says so in its own words
                pass
            else:
                return conn.exec_driver_sql(plan.sql, args)
        return conn.execute(self.stmt, params, execution_options=core_options)

    def rowcount(self, conn: Connection, params: dict) -> int:
        """The rows the statement changed (an INSERT's too: Core keeps that only when asked)."""
        return self._run(conn, params, _ROWCOUNT).rowcount

    def rows(self, conn: Connection, params: dict) -> Sequence[sa.Row]:
        """Every row (driver values, see the module)."""
        return self._run(conn, params).all()

    def first(self, conn: Connection, params: dict):
        return self._run(conn, params).first()

    def executemany(self, conn: Connection, many: list[dict]) -> None:
        """One statement for many parameter sets (every set with the same keys)."""
        if not many:
            return
        if len(many) == 1:
            # psycopg runs executemany in pipeline mode, whose machinery cost more worker CPU than the
            # statement for the one row an allocation usually has (a shipment counter, say).
            self._run(conn, many[0]).close()
            return
        plan = self._plan(conn, many[0])
        if plan is not None and not plan.expansion:
            keys = many[0].keys()
            try:
                args = [plan.args(p) if p.keys() == keys else _other_keys() for p in many]
            except Exception:  # noqa: BLE001  (as in _run)
                pass
            else:
                conn.exec_driver_sql(plan.sql, args).close()
                return
        conn.execute(self.stmt, many).close()


_ROWCOUNT = {"preserve_rowcount": True}


def _other_keys():
    raise KeyError("parameter sets with other keys: Core says what it makes of them")


def _needs_result_conversion(stmt: ClauseElement, dialect: Dialect) -> str | None:
    """Why rows of ``stmt`` read as driver values would differ from Core's (None: they would not)."""
    for col in getattr(stmt, "exported_columns", ()):
        impl = col.type.dialect_impl(dialect)
        try:
            converts = impl.result_processor(dialect, None) is not None
        except Exception:  # (a type that needs the driver's column type to decide: assume it converts)
            converts = True
        if converts:
            return f"result column {col.key!r} ({col.type}) is converted by Core"
    return None


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

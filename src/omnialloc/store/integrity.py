"""What a write the database refused means, named the same way on SQLite and PostgreSQL.

A unique, foreign-key, check or not-null violation (``IntegrityError``) and a value the
column cannot hold (``DataError``: an integer out of range, text the encoding refuses)
are the store saying no. Services check first where they can, but a check and the write
are two statements: a concurrent request can slip in between (two shipments shipped at
once with the same AWB). Whatever gets through ends here and becomes a domain error,
so the caller sees a 409 (unique: someone else holds that value) or a 422 (the rest),
never a 500, on either backend.

SQLite names the table and columns of a unique violation in its message and the
constraint name of a named CHECK; PostgreSQL reports the constraint name (SQLSTATE
23505/23503/23514/23502). Both are resolved to (table, columns) through the tables'
metadata, and known ones get a sentence a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy.exc import DataError, IntegrityError

from omnialloc.domain.errors import Conflict, DomainError, FieldError, ValidationFailed
from omnialloc.domain.quantities import QTY_MAX

UNIQUE, FOREIGN_KEY, CHECK, NOT_NULL = "unique", "foreign_key", "check", "not_null"

_SQLSTATE = {"23505": UNIQUE, "23503": FOREIGN_KEY, "23514": CHECK, "23502": NOT_NULL}
_SQLITE_NAME = {"SQLITE_CONSTRAINT_UNIQUE": UNIQUE, "SQLITE_CONSTRAINT_PRIMARYKEY": UNIQUE,
                "SQLITE_CONSTRAINT_FOREIGNKEY": FOREIGN_KEY, "SQLITE_CONSTRAINT_CHECK": CHECK,
                "SQLITE_CONSTRAINT_NOTNULL": NOT_NULL}
_SQLITE_COLUMNS = re.compile(r"constraint failed: ([\w.]+(?:, [\w.]+)*)\s*$")
_SQLITE_INDEX = re.compile(r"constraint failed: index '(\w+)'")  # a unique index on an expression
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")


@dataclass(frozen=True)
class Violation:
    kind: str                      # unique | foreign_key | check | not_null
    table: str | None = None
    columns: tuple[str, ...] = ()
    constraint: str | None = None  # the CHECK's or the key's name, when the backend tells


# (table, columns) of a unique key, or the name of a unique index on an expression -> (field, what to tell)
_UNIQUE_WORDS: dict[tuple[str | None, tuple[str, ...]] | str | None, tuple[str, str]] = {
    ("shipments", ("awb",)): ("awb", "is already used by another shipment"),
    ("returns", ("awb",)): ("awb", "is already used by another return"),
    ("orders", ("channel", "external_id")): (
        "external_id", "an order with this external_id was just captured in this channel by another request"),
    ("returns", ("source_shipment_id",)): ("shipment_id", "this shipment already has a return"),
    ("refunds", ("return_id",)): ("return_id", "this return has already been refunded"),
    ("rule_versions", ("rule_id", "version")): ("version", "the rule was changed by another request at the "
                                                           "same time; read it again and retry"),
    ("idempotency_keys", ("scope", "key")): ("Idempotency-Key", "is being used by another request"),
    "uq_rules_name_live": ("name", "another rule has this name (names are compared without case); choose another "
                                   "or edit that rule"),
}
_QTY_CHECK = f"must stay between 0 and {QTY_MAX:,}"


class _PsycopgError(Protocol):
    """What :func:`classify` reads of a psycopg error (one with a ``sqlstate``): its ``diag``nostics."""

    diag: Any


def classify(exc: IntegrityError) -> Violation | None:
    """The violation behind ``exc`` (None when the driver tells nothing we know)."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:  # psycopg
        kind = _SQLSTATE.get(sqlstate)
        if kind is None:
            return None
        diag = cast(_PsycopgError, orig).diag
        table, name = diag.table_name, diag.constraint_name
        if kind == NOT_NULL:
            return Violation(kind, table, (diag.column_name,) if diag.column_name else ())
        return Violation(kind, table, _columns_of(table, name), name)
    name = getattr(orig, "sqlite_errorname", "")  # sqlite3 (Python 3.11+)
    kind = _SQLITE_NAME.get(name)
    if kind is None:
        return None
    message = str(orig)
    if kind == CHECK:
        m = _SQLITE_CHECK.search(message)
        constraint = m.group(1) if m else None
        return Violation(kind, _table_of_constraint(constraint), (), constraint)
    m = _SQLITE_INDEX.search(message)
    if m:
        return Violation(kind, _table_of_index(m.group(1)), (), m.group(1))
    m = _SQLITE_COLUMNS.search(message)
    if not m:
        return Violation(kind)
    qualified = [c.split(".", 1) for c in m.group(1).split(", ")]
    table = qualified[0][0] if len(qualified[0]) == 2 else None
    return Violation(kind, table, tuple(c[-1] for c in qualified))


def refusal(exc: IntegrityError | DataError) -> DomainError:
    """The domain error to answer with: Conflict (409) for a taken unique value, ValidationFailed (422) else."""
    if isinstance(exc, DataError):
        what = _DATA_WORDS.get(getattr(exc.orig, "sqlstate", None), _DATA_WORDS[None])
        return ValidationFailed(f"a value in the request cannot be stored: {what}",
                                field_errors=[FieldError("body", what)])
    v = classify(exc)
    if v is None:
        return Conflict("the change clashes with data stored at the same time; read it again and retry")
    if v.kind == UNIQUE:
        field, message = _UNIQUE_WORDS.get((v.table, v.columns)) or _UNIQUE_WORDS.get(v.constraint) or (
            ".".join(v.columns) or "body", f"another {v.table or 'row'} already has this value")
        return Conflict(f"{field}: {message}", field_errors=[FieldError(field, message)])
    if v.kind == FOREIGN_KEY:
        field = ".".join(v.columns) or "body"
        return ValidationFailed(f"{field}: refers to something that does not exist (any more)",
                                field_errors=[FieldError(field, "refers to nothing stored")])
    if v.kind == CHECK:
        checked = _check_field(v.constraint)
        message = _QTY_CHECK if checked else f"breaks the store's rule {v.constraint or ''}".rstrip()
        return ValidationFailed(f"{checked or 'a value'}: {message}",
                                field_errors=[FieldError(checked or "body", message)])
    column = ".".join(v.columns) or "body"
    return ValidationFailed(f"{column}: is required", field_errors=[FieldError(column, "is required")])


_DATA_WORDS = {
    "22003": f"a number is out of the range the store keeps (quantities and counts {_QTY_CHECK})",
    "22001": "a text is longer than the store keeps",
    None: f"a value is out of range or not valid text (quantities and counts {_QTY_CHECK})",
}


def _check_field(constraint: str | None) -> str | None:
    """The quantity a range CHECK guards (``ck_inventory_on_hand_range`` -> ``on_hand``), or None."""
    if constraint and constraint.endswith("_range"):
        table = _table_of_constraint(constraint)
        if table is not None:
            return constraint[len(f"ck_{table}_"):-len("_range")]
    return None


def _tables():
    from omnialloc.store.tables import load_all

    return load_all().tables


def _columns_of(table: str | None, constraint: str | None) -> tuple[str, ...]:
    t = _tables().get(table) if table else None
    if t is None or not constraint:
        return ()
    for c in (*t.constraints, *t.indexes):
        if c.name == constraint:
            return tuple(col.name for col in c.columns)
    return ()


def _table_of_index(name: str) -> str | None:
    return next((t.name for t in _tables().values() if any(ix.name == name for ix in t.indexes)), None)


def _table_of_constraint(constraint: str | None) -> str | None:
    if not constraint:
        return None
    for name in sorted(_tables(), key=len, reverse=True):  # longest first: order_lines before orders
        if constraint.startswith(f"ck_{name}_"):
            return name
    return None

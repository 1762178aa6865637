"""The store's failures under the store's names, for code outside ``store/`` that tells them apart.

Services and the console import no SQLAlchemy; where one must react to how a
statement failed (a capture racing another for the same external id, a console
page while the database is down), it catches these. ``store.integrity`` turns a
refused write into a domain error for the API.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

#: The database refused a write: a unique, foreign-key, check or not-null constraint.
WriteRefused = IntegrityError
#: The database refused a value: out of its column's range, too long, not of its type.
ValueRefused = DataError
#: The database could not run the statement: unreachable, connection lost, locked too long.
StoreUnavailable = OperationalError
#: Any failure the database driver reported (the three above among them).
StoreError = DBAPIError


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` is a driver failure that lost its connection (the pool replaces it): the store is
    unavailable for this request, whatever the failure's class."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


__all__ = ["StoreError", "StoreUnavailable", "ValueRefused", "WriteRefused", "connection_lost"]

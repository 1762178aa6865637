"""The store's failures under the store's names, for code outside ``store/`` that tells them apart.

Services and the console import no SQLAlchemy; where one must react to how a
statement failed (a capture racing another for the same external id, a console
page while the database is down), it catches these. ``store.integrity`` turns a
refused write into a domain error for the API.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

#: The database refused a write: a unique, foreign-key, check or not-null constraint.
WriteRefused = IntegrityError
#: The database could not run the statement: unreachable, connection lost, locked too long.
StoreUnavailable = OperationalError

__all__ = ["StoreUnavailable", "WriteRefused"]

"""The reference revision token (``tables.rules.rules_revision``): one random token that changes with every
change to the rules or to the reference data the order path caches (nodes, SKUs, channels, carriers, rate
cards, serviceability, promise tables).

Every repository that writes such data calls :func:`bump_revision` (or :func:`changed` after an UPDATE) in
the same transaction; each process keys its caches by the token and reads it once per transaction
(``UnitOfWork.revision``, which keeps what it read, or wrote, in ``conn.info[REVISION_SEEN]``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from omnialloc.store.fastexec import Fast
from omnialloc.store.tables.rules import rules_revision

#: ``conn.info`` key under which a unit of work keeps the token its transaction read (or wrote).
REVISION_SEEN = "omnialloc_revision"

_REVISION = Fast(sa.select(rules_revision.c.token).where(rules_revision.c.id == 1))  # read per order: built once,
# run on the DBAPI cursor (store.fastexec)


def read_revision(conn: Connection) -> str | None:
    """The stored token (None before the first change, e.g. after a test reset)."""
    row = _REVISION.first(conn, {})
    return None if row is None else row[0]


def bump_revision(conn: Connection) -> str:
    """A new random token in ``conn``'s transaction: every process reloads its compiled rules (and cached
    network, SKUs, channels) on its next call."""
    token = secrets.token_hex(16)
    conn.info[REVISION_SEEN] = token  # this transaction now sees its own change
    now = datetime.now(UTC)
    q = rules_revision.update().where(rules_revision.c.id == 1).values(token=token, updated_at=now)
    if conn.execute(q).rowcount == 1:
        return token
    try:
        with conn.begin_nested():
            conn.execute(rules_revision.insert().values(id=1, token=token, updated_at=now))
    except IntegrityError:  # a concurrent first change inserted the row: update it instead
        conn.execute(q)
    return token


def changed(conn: Connection, rowcount: int) -> bool:
    """Whether an UPDATE of reference data hit its row; bumps the revision token when it did."""
    if rowcount == 1:
        bump_revision(conn)
    return rowcount == 1

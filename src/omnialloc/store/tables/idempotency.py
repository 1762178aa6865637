"""Idempotency keys of unsafe API requests (issue 20): one row per (caller, key), kept 24 hours.

On the store's one ``MetaData`` (``store.tables.common``).

``scope`` is who sent the key (the SHA-256 of the API key, or of the signed webhook's
path), so two callers never share a key. A row is ``pending`` while a request holds it
(``owner``, since ``claimed_at``), ``committed`` once that request's change committed
(set in the change's own transaction), ``done`` once its answer (status, content type,
headers, body) is stored; a request that changed nothing deletes its row. Rows past
``expires_at`` count as free and are pruned (``services.idempotency``).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import JSONType, UTCDateTime

IDEMPOTENCY_STATES = ("pending", "committed", "done")

idempotency_keys = sa.Table(
    "idempotency_keys", metadata,
    sa.Column("scope", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),  # sha256 of method, path, query and body
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(500), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(32), nullable=False),        # the request holding the key
    sa.Column("response_status", sa.Integer, nullable=True),
    sa.Column("response_type", sa.String(200), nullable=True),
    sa.Column("response_headers", JSONType, nullable=True),
    sa.Column("response_body", sa.LargeBinary, nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("claimed_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False, index=True),
    sa.CheckConstraint(f"state IN {IDEMPOTENCY_STATES!r}", name="state_known"),
)

"""The backorder retry queue: stock became allocatable for a SKU, so its waiting orders are tried again.

On the store's one ``MetaData`` (``store.tables.common``).

``backorder_jobs``: one row per SKU whose available-to-promise rose (a receipt, an
adjustment, a stock import, a transfer in, a restock, a released reservation) or
that an order started waiting for. The row is written in the same transaction as
the change, so a committed change always has its job and a rolled-back one none;
the request that made the change does not wait for the retries
(``services.orders.backorders``). Append-only: a change never updates a row another
writer or the worker may hold, so receipts never wait on the worker's locks.
A worker claims rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a compare-and-set
under SQLite's write lock), marks them with a lease, allocates, and deletes them;
a row whose lease ran out (its worker died) is claimed again.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import BigIntId, UTCDateTime

backorder_jobs = sa.Table(
    "backorder_jobs", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),  # receipt, released, waiting, sweep, ...
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("claimed_by", sa.String(80), nullable=True),
    sa.Column("claimed_at", UTCDateTime(), nullable=True),
)

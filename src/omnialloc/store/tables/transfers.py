"""Transfers: stock transfer orders between nodes.

On the store's one ``MetaData`` (``store.tables.common``).

- ``transfers``: one row per transfer order from ``source`` to ``destination``
  (CREATED -> DISPATCHED (in transit) -> RECEIVED, or CREATED -> CANCELLED;
  ``domain.states.TRANSFER_MACHINE``). Stock leaves the source's on-hand at
  dispatch and arrives in the destination's on-hand at receipt; between the two
  the units are "in transit" and counted only here.
- ``transfer_lines``: SKU and quantity per transfer; ``received_qty`` is what
  the destination counted in (short receipts are recorded, not hidden).

A transfer holds no reservation while CREATED (the invariant "reserved ==
sum of live shipments" stays exact); dispatch is a conditional decrement that
never takes reserved units.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import UTCDateTime

transfers = sa.Table(
    "transfers", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("source", sa.String(64), sa.ForeignKey("nodes.code"), nullable=False),
    sa.Column("destination", sa.String(64), sa.ForeignKey("nodes.code"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("origin", sa.String(32), nullable=False, server_default="manual"),  # manual | rebalance | bopis
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("dispatched_at", UTCDateTime(), nullable=True),
    sa.Column("received_at", UTCDateTime(), nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # idempotency key of a planned transfer (rebalance: "<plan id>:<from>-><to>"): a re-run finds it, never doubles it
    sa.Column("plan_key", sa.String(200), nullable=True, unique=True),
    sa.CheckConstraint("source <> destination", name="distinct_nodes"),
    sa.Index(None, "status"),
    sa.Index(None, "created_at", "id"),
)

transfer_lines = sa.Table(
    "transfer_lines", metadata,
    sa.Column("transfer_id", sa.String(40), sa.ForeignKey("transfers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("sku", sa.String(64), sa.ForeignKey("skus.code"), primary_key=True),
    sa.Column("qty", sa.Integer, nullable=False),
    sa.Column("received_qty", sa.Integer, nullable=True),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.CheckConstraint("received_qty IS NULL OR (received_qty >= 0 AND received_qty <= qty)",
                       name="received_qty_range"),
)

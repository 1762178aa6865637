"""The nightly batch: batch plans and their per-order moves.

On the store's one ``MetaData`` (``store.tables.common``).

- ``batch_runs``: one row per ``batch plan``: when, the before/after summary,
  and its state (PLANNED -> APPLYING -> APPLIED). The plan is persisted so
  ``batch apply`` can be killed and re-run: it finishes the rest.
- ``batch_moves``: one row per order whose allocation the plan changes: the
  live shipments it was planned against (ids + versions, the optimistic
  check), the new shipments (node, carrier, lines, cost), and ``state``:
  PENDING, APPLIED (in the same transaction as the order's change, so an
  order is either fully old or fully new), or SKIPPED with the reason.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import JSONType, UTCDateTime

batch_runs = sa.Table(
    "batch_runs", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),   # PLANNED | APPLYING | APPLIED
    sa.Column("summary", JSONType, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("applied_at", UTCDateTime(), nullable=True),
)

batch_moves = sa.Table(
    "batch_moves", metadata,
    sa.Column("run_id", sa.String(40), sa.ForeignKey("batch_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("order_id", sa.String(40), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("old", JSONType, nullable=False),   # {"order_version": v, "shipments": [[id, version], ...]}
    sa.Column("new", JSONType, nullable=False),   # [{"node", "carrier", "lines": {line_no: qty}, "cost_paise"}]
    sa.Column("cost_before_paise", sa.BigInteger, nullable=False),
    sa.Column("cost_after_paise", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),    # PENDING | APPLIED | SKIPPED
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("applied_at", UTCDateTime(), nullable=True),
    sa.Index(None, "run_id", "state", "seq"),
)

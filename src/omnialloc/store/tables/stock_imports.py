"""What each stock import changed, per position (issue 10: what-if replay across imports).

On the store's one ``MetaData`` (``store.tables.common``).

``inventory_import_changes``: one row per (node, SKU) whose ``on_hand`` or
``safety_stock`` a stock import changed, with the values before and after.
Written set-based by ``services.inventory.stock_import`` in the import's own transaction,
before the apply (so a failed or killed import leaves neither stock changes nor
rows here). The import's time is that of its ``inventory``/``imported`` event
(``entity_id`` = ``import_id``), so replays can undo and redo imports in time
order. No primary key: pass 1 of the import refuses duplicate (node, SKU) rows,
and an index on ``import_id`` is all the readers need (an append-only index on
one repeated value stays cheap on a 1M-row import).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata

inventory_import_changes = sa.Table(
    "inventory_import_changes", metadata,
    sa.Column("import_id", sa.String(40), nullable=False, index=True),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("on_hand_before", sa.Integer, nullable=False),
    sa.Column("on_hand_after", sa.Integer, nullable=False),
    sa.Column("safety_before", sa.Integer, nullable=False),
    sa.Column("safety_after", sa.Integer, nullable=False),
)

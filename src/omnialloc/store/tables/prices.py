"""Stock prices: the published opportunity price per (node, SKU), paise per unit, with the time of the
refresh that computed it (``omnialloc prices refresh``; read by real-time allocation when prices are enabled).

On the store's one ``MetaData`` (``store.tables.common``).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import UTCDateTime

stock_prices = sa.Table(
    "stock_prices", metadata,
    sa.Column("node", sa.String(64), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("price_paise", sa.BigInteger, nullable=False),
    sa.Column("computed_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("price_paise >= 0", name="price_nonneg"),
)

"""Stock opportunity prices per (node, SKU): written by the nightly refresh, read by real-time allocation.

A price is the marginal value of one unit of stock at a node (paise per unit), the dual of its stock row in
the batch LP (``services.batch.prices``). A refresh replaces the whole table in one transaction, so a reader
sees one refresh's prices or the previous one's, never a mix.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables.prices import stock_prices as P


class StockPriceRepository(Repository):
    def for_skus(self, skus: Iterable[str]) -> dict[tuple[str, str], int]:
        """The published prices of these SKUs: (node, sku) -> paise per unit (absent = 0)."""
        skus = list(skus)
        if not skus:
            return {}
        q = sa.select(P.c.node, P.c.sku, P.c.price_paise).where(P.c.sku.in_(skus))
        return {(r.node, r.sku): int(r.price_paise) for r in self.conn.execute(q)}

    def replace(self, prices: Iterable[tuple[str, str, int]], computed_at: datetime) -> None:
        """Publish ``prices`` ((node, sku, paise per unit) triples) in place of every earlier one."""
        self.conn.execute(P.delete())
        rows = [dict(node=n, sku=s, price_paise=p, computed_at=computed_at) for n, s, p in prices]
        if rows:
            self.conn.execute(P.insert(), rows)

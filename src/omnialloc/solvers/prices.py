"""Stock opportunity prices per (node, SKU) from the batch LP's duals.

The batch LP is solved over the open orders plus the expected demand of the
next horizon (passed in as extra orders: e.g. one pseudo-order per region x
SKU with the trailing demand, lanes to the region's nodes). The dual of the
stock row of (node, SKU) is the marginal value of one more unit there: what
real-time allocation should add per unit it takes from that node (the
single-order model's lookahead term), so an order does not take the last
unit the next orders need more. Rows that cannot bind have price 0.

Prices are integer paise per unit, rounded half up.

`stock` replaces the problem's stock in the LP's stock rows only (patterns
are still generated from the problem's own, whole-unit stock): a fluid
forecast prices a horizon longer or shorter than its sample with the stock
scaled to the sample's share, and an LP needs no whole units, so a cell of
2 units facing a tenth of the horizon keeps 0.2 rather than rounding to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .batch.model import solve_model
from .batch.patterns import build_patterns
from .batch.problem import BatchData


@dataclass
class OpportunityPrices:
    node_codes: list[str]
    skus: list[str]
    rows: list[tuple[str, str, int]]  # (node, sku, paise per unit), only > 0
    lp_status: str
    lp_value: float | None

    def as_dict(self) -> dict[tuple[str, str], int]:
        return {(n, s): p for n, s, p in self.rows}


def opportunity_prices(d: BatchData, time_limit: float = 300.0,
                       stock: np.ndarray | None = None) -> OpportunityPrices:
    pats = build_patterns(d)
    lp = solve_model(d, pats, time_limit=time_limit, stock=stock)
    rows: list[tuple[str, str, int]] = []
    if lp.stock_dual is not None:
        for (n, s), dual in zip(lp.stock_rows.tolist(), lp.stock_dual.tolist()):
            price = int(np.floor(dual + 0.5))
            if price > 0:
                rows.append((d.node_codes[n], d.skus[s], price))
    rows.sort()
    return OpportunityPrices(d.node_codes, d.skus, rows, lp.status, lp.objective)

"""Stock opportunity prices: refresh prices scarce stock near demand; enabled, they steer real-time allocation."""

from __future__ import annotations

import sqlalchemy as sa
from test_batch_service import SKU, _capture, _ctx, _stock

from omnialloc.config import Settings
from omnialloc.services.batch import prices
from omnialloc.services.context import Context
from omnialloc.store.tables.prices import stock_prices


def _price(engine, node: str, paise: int) -> None:
    with engine.begin() as conn:
        conn.execute(stock_prices.insert().values(node=node, sku=SKU, price_paise=paise, computed_at=sa.func.now()))


def test_without_the_setting_prices_are_ignored(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"CHN-FC1": 5, "BLR-FC1": 5})
    _price(clean_engine, "CHN-FC1", 50_000)
    assert _capture(ctx, "p-off")["shipments"][0]["node"] == "CHN-FC1"


def test_enabled_prices_keep_an_order_off_the_node_whose_stock_is_worth_more(clean_engine, clean_db_url):
    _ctx(clean_engine, clean_db_url)
    ctx = Context(clean_engine, Settings(database_url=clean_db_url, prices_enabled=True))
    _stock(clean_engine, {"CHN-FC1": 5, "BLR-FC1": 5})
    _price(clean_engine, "CHN-FC1", 50_000)
    assert _capture(ctx, "p-on")["shipments"][0]["node"] == "BLR-FC1"


def test_refresh_prices_the_scarce_stock_next_to_the_demand(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"CHN-FC1": 2, "DEL-FC1": 50})
    for i in range(4):
        _capture(ctx, f"h-{i}")
    r = prices.refresh(ctx, trailing_days=7, horizon_days=7)
    assert r["expected_units"] == 4
    with clean_engine.connect() as conn:
        got = {(row.node, row.sku): row.price_paise for row in conn.execute(sa.select(stock_prices))}
    assert got.get(("CHN-FC1", SKU), 0) > 0
    assert ("DEL-FC1", SKU) not in got

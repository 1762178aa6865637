"""Rebalancing against a real store: history in Chennai, stock in Delhi -> transfer to Chennai; apply creates it."""

from __future__ import annotations

import sqlalchemy as sa
from test_batch_service import SKU, _capture, _ctx, _stock

from omnialloc.services import rebalance
from omnialloc.store.tables_omni import transfer_lines, transfers


def test_plan_moves_stock_towards_the_demand_and_apply_creates_transfer_orders(clean_engine, clean_db_url, tmp_path):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"DEL-FC1": 200})
    for i in range(8):
        _capture(ctx, f"r-{i}", qty=5)
    s = rebalance.plan(ctx, days=7, horizon_days=7, out_dir=str(tmp_path))
    moved = [t for t in s["transfer_list"] if t[2] == SKU]
    assert moved and all(t[0] == "DEL-FC1" for t in moved)
    assert any(t[1].startswith("CHN-") for t in moved)  # the Chennai node nearest the demand
    assert s["coverage_after"] > s["coverage_before"]
    assert s["saving_paise"] > 0
    assert (tmp_path / "coverage.png").exists()
    r = rebalance.apply(ctx, str(tmp_path))
    assert r["created"] and not r["refused"]
    with clean_engine.connect() as conn:
        rows = conn.execute(sa.select(transfers.c.source, transfers.c.destination, transfers.c.origin,
                                      transfer_lines.c.sku, transfer_lines.c.qty)
                            .join(transfer_lines, transfer_lines.c.transfer_id == transfers.c.id)).all()
    assert {(r.source, r.destination, r.origin) for r in rows} == {(t[0], t[1], "rebalance") for t in moved}


def test_an_analyst_forecast_csv_replaces_the_history(clean_engine, clean_db_url, tmp_path):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"DEL-FC1": 200})
    f = tmp_path / "forecast.csv"
    f.write_text(f"region,sku,qty\nTN,{SKU},30\n")
    s = rebalance.plan(ctx, forecast_csv=str(f))
    assert s["source"] == "csv" and s["forecast_units"] == 30
    assert any(t[0] == "DEL-FC1" and t[2] == SKU for t in s["transfer_list"])

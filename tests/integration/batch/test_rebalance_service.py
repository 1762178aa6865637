"""Rebalancing against a real store: history in Chennai, stock in Delhi -> transfer to Chennai; apply creates it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from test_batch_service import SKU, _capture, _ctx, _stock

from omnialloc.domain.errors import ValidationFailed
from omnialloc.reports import rebalance_plan
from omnialloc.services.batch import rebalance
from omnialloc.store.tables.transfers import transfer_lines, transfers


def _plan(ctx, out_dir, **kw) -> dict:
    """Plan and write the plan folder, as `omnialloc rebalance plan --out` does."""
    s = rebalance.plan(ctx, **kw)
    rebalance_plan.write(out_dir, s)
    return s


def _apply(ctx, plan_dir) -> dict:
    """Apply the plan folder, as `omnialloc rebalance apply --plan` does."""
    folder = rebalance_plan.read(plan_dir)
    r = rebalance.apply(ctx, folder.plan_id, folder.lanes)
    rebalance_plan.mark_applied(folder, r)
    return r


def test_plan_moves_stock_towards_the_demand_and_apply_creates_transfer_orders(clean_engine, clean_db_url, tmp_path):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"DEL-FC1": 200})
    for i in range(8):
        _capture(ctx, f"r-{i}", qty=5)
    s = _plan(ctx, tmp_path, days=7, horizon_days=7)
    moved = [t for t in s["transfer_list"] if t[2] == SKU]
    assert moved and all(t[0] == "DEL-FC1" for t in moved)
    assert any(t[1].startswith("CHN-") for t in moved)  # the Chennai node nearest the demand
    assert s["coverage_after"] > s["coverage_before"]
    assert s["saving_paise"] > 0
    assert (tmp_path / "coverage.png").exists()
    r = _apply(ctx, tmp_path)
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


def _transfer_lanes(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return sorted((r.source, r.destination) for r in conn.execute(
            sa.select(transfers.c.source, transfers.c.destination).where(transfers.c.origin == "rebalance")))


def test_apply_killed_with_sigkill_and_rerun_creates_every_transfer_exactly_once(clean_engine, clean_db_url, tmp_path):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"DEL-FC1": 300})
    f = tmp_path / "forecast.csv"
    f.write_text(f"region,sku,qty\nTN,{SKU},30\nMH,{SKU},30\nWB,{SKU},30\n")
    s = _plan(ctx, tmp_path, forecast_csv=str(f))
    lanes = sorted({(t[0], t[1]) for t in s["transfer_list"]})
    assert len(lanes) >= 3
    env = {**os.environ, "OMNIALLOC_DATABASE_URL": clean_db_url, rebalance.SLEEP_ENV: "1.0"}
    cmd = [sys.executable, "-m", "omnialloc.cli", "rebalance", "apply", "--plan", str(tmp_path)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _transfer_lanes(clean_engine):  # kill after the first transfer
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    first = _transfer_lanes(clean_engine)
    assert 1 <= len(first) < len(lanes)
    env.pop(rebalance.SLEEP_ENV)
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "created by an earlier, interrupted apply" in rerun.stdout
    assert _transfer_lanes(clean_engine) == lanes  # every lane once: none lost, none doubled
    with pytest.raises(ValidationFailed, match="already applied"):  # a finished plan: refused, creates nothing
        _apply(ctx, tmp_path)
    assert _transfer_lanes(clean_engine) == lanes


def test_create_transfer_with_a_plan_key_is_idempotent(clean_engine, clean_db_url):
    from omnialloc.services.inventory.transfers import create_transfer

    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"DEL-FC1": 50})
    a = create_transfer(ctx, "DEL-FC1", "CHN-FC1", {SKU: 5}, origin="rebalance", plan_key="reb_x:DEL-FC1->CHN-FC1")
    b = create_transfer(ctx, "DEL-FC1", "CHN-FC1", {SKU: 5}, origin="rebalance", plan_key="reb_x:DEL-FC1->CHN-FC1")
    assert a["id"] == b["id"] and _transfer_lanes(clean_engine) == [("DEL-FC1", "CHN-FC1")]


def test_rebalancing_never_moves_a_dropship_vendors_stock(clean_engine, clean_db_url, tmp_path):
    """Issue 22: only the vendor has stock; demand in Chennai; no transfer may touch the vendor."""
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"DS-LDH1": 500})
    for i in range(6):
        _capture(ctx, f"v-{i}", qty=5)
    _stock(clean_engine, {"DS-LDH1": 500, "DEL-FC1": 100})
    s = _plan(ctx, tmp_path, days=7, horizon_days=7)
    with clean_engine.connect() as conn:
        vendors = {r[0] for r in conn.execute(sa.text("SELECT code FROM nodes WHERE kind = 'dropship_vendor'"))}
    assert "DS-LDH1" in vendors
    assert s["transfer_list"] and all(t[0] not in vendors and t[1] not in vendors for t in s["transfer_list"])
    # every transfer says what justifies it: a saving above its cost
    assert all(t[5] > 0 for t in s["transfer_list"])
    # a plan file edited to move the vendor's stock is refused at apply, and nothing is created for it
    with open(tmp_path / "transfers.csv", "a") as f:
        f.write(f"DS-LDH1,CHN-FC1,{SKU},5,100,1\n")
    r = _apply(ctx, tmp_path)
    assert "DS-LDH1->CHN-FC1" in r["refused"]
    with clean_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM transfers WHERE source = 'DS-LDH1'")).scalar() == 0

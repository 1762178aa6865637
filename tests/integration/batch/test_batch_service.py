"""Nightly batch against a real store: plan never worse than live, apply per order, skips, kill -9 resumes;
the batch honours the routing and split rules real-time allocation honours."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from omnialloc.config import Settings
from omnialloc.reports import batch_plan
from omnialloc.services.batch import reoptimize
from omnialloc.services.fulfilment import shipments as fulfilment
from omnialloc.services.orders import lifecycle
from omnialloc.services.rules import admin
from omnialloc.services.access import SYSTEM
from omnialloc.services.context import Context
from omnialloc.services.invariants import check
from omnialloc.services.network.cache import invalidate
from omnialloc.store.engine import READONLY_OPTION
from omnialloc.store.tables.batch import batch_moves
from omnialloc.store.tables.inventory import inventory
from omnialloc.store.tables.shipments import shipments

SKU = "SKU-0001"


def _ctx(engine, url, **settings) -> Context:
    invalidate()
    return Context(engine, Settings(database_url=url, **settings))


def _stock(engine, levels: dict[str, int], sku: str = SKU) -> None:
    """Set on_hand of ``sku`` (safety stock 0) at the given nodes and 0 elsewhere (only where nothing is reserved)."""
    with engine.begin() as conn:
        conn.execute(inventory.update().where(inventory.c.sku == sku, inventory.c.reserved == 0)
                     .values(on_hand=0, safety_stock=0))
        for node, q in levels.items():
            row = conn.execute(sa.select(inventory.c.reserved).where(inventory.c.node == node,
                                                                      inventory.c.sku == sku)).first()
            if row is None:
                conn.execute(inventory.insert().values(node=node, sku=sku, on_hand=q, reserved=0, safety_stock=0,
                                                       updated_at=sa.func.now()))
            else:
                conn.execute(inventory.update().where(inventory.c.node == node, inventory.c.sku == sku)
                             .values(on_hand=q + row.reserved, safety_stock=0))


def _capture(ctx, ext: str, pin: str = "600002", qty: int = 1) -> dict:
    body = {"channel": "web", "external_id": ext, "payment_mode": "PREPAID",
            "ship_to": {"name": "A", "line1": "1 Road", "city": "Chennai", "pin": pin},
            "lines": [{"sku": SKU, "qty": qty}]}
    view, _ = lifecycle.capture(ctx, SYSTEM, body)
    return view


def _far_allocated(engine, url, n: int) -> tuple[Context, list[dict]]:
    """n Chennai orders allocated from Delhi (Chennai had no stock), then Chennai receives stock."""
    ctx = _ctx(engine, url)
    _stock(engine, {"DEL-FC1": 50})
    views = [_capture(ctx, f"b-{i}") for i in range(n)]
    assert all(v["status"] == "ALLOCATED" and v["shipments"][0]["node"] == "DEL-FC1" for v in views)
    _stock(engine, {"CHN-FC1": 50})
    return ctx, views


def _nodes_of(engine, order_id: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return sorted((r.node, r.status) for r in conn.execute(
            sa.select(shipments.c.node, shipments.c.status).where(shipments.c.order_id == order_id)))


def test_plan_moves_orders_to_the_cheaper_node_and_apply_makes_it_so(clean_engine, clean_db_url, tmp_path):
    ctx, views = _far_allocated(clean_engine, clean_db_url, 3)
    summary = reoptimize.plan_batch(ctx)
    batch_plan.write(tmp_path, summary, reoptimize.planned_moves(ctx, summary["run_id"]))
    assert summary["moves"] == 3
    assert summary["after"]["total"] < summary["before"]["total"]
    assert summary["bound_paise"] <= summary["after"]["total"]
    assert (tmp_path / "moves.csv").read_text().count("DEL-FC1") == 3
    assert (tmp_path / "chart.png").stat().st_size > 1000
    tally = reoptimize.apply_batch(ctx, batch_plan.run_id_in(tmp_path))
    assert tally["applied"] == 3 and tally["skipped"] == 0
    for v in views:
        assert _nodes_of(clean_engine, v["id"]) == [("CHN-FC1", "ALLOCATED"), ("DEL-FC1", "CANCELLED")]
    assert check(clean_engine).ok, check(clean_engine).summary()


def test_a_plan_over_an_already_optimal_store_changes_nothing(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"CHN-FC1": 5, "DEL-FC1": 5})
    _capture(ctx, "opt-1")
    summary = reoptimize.plan_batch(ctx)
    assert summary["moves"] == 0
    assert summary["after"]["total"] <= summary["before"]["total"]


def test_apply_skips_an_order_accepted_meanwhile(clean_engine, clean_db_url):
    ctx, views = _far_allocated(clean_engine, clean_db_url, 2)
    summary = reoptimize.plan_batch(ctx)
    fulfilment.accept(ctx, SYSTEM, views[0]["shipments"][0]["id"])
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["applied"] == 1 and tally["skipped"] == 1
    assert "accepted" in tally["skips"][views[0]["id"]]
    assert _nodes_of(clean_engine, views[0]["id"]) == [("DEL-FC1", "ACCEPTED")]
    assert check(clean_engine).ok, check(clean_engine).summary()


def test_apply_never_oversubscribes_stock_taken_meanwhile(clean_engine, clean_db_url):
    ctx, views = _far_allocated(clean_engine, clean_db_url, 2)
    summary = reoptimize.plan_batch(ctx)
    _stock(clean_engine, {"CHN-FC1": 1})  # someone sold most of Chennai's stock meanwhile
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["applied"] == 1 and tally["skipped"] == 1
    assert "no longer available" in next(iter(tally["skips"].values()))
    assert check(clean_engine).ok, check(clean_engine).summary()


def test_apply_killed_with_sigkill_leaves_orders_whole_and_a_rerun_finishes(clean_engine, clean_db_url, tmp_path):
    ctx, views = _far_allocated(clean_engine, clean_db_url, 4)
    summary = reoptimize.plan_batch(ctx)
    batch_plan.write(tmp_path, summary, reoptimize.planned_moves(ctx, summary["run_id"]))
    env = {**os.environ, "OMNIALLOC_DATABASE_URL": clean_db_url, reoptimize.SLEEP_ENV: "1.0"}
    cmd = [sys.executable, "-m", "omnialloc.cli", "batch", "apply", "--plan", str(tmp_path)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill inside the second order's transaction
        with clean_engine.connect() as conn:  # a read that does not queue for SQLite's write lock
            conn = conn.execution_options(**{READONLY_OPTION: True})
            done = conn.execute(sa.select(sa.func.count()).select_from(batch_moves)
                                .where(batch_moves.c.state == "APPLIED")).scalar()
        if done >= 1:
            time.sleep(0.5)
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert check(clean_engine).ok, check(clean_engine).summary()
    states = [_nodes_of(clean_engine, v["id"]) for v in views]
    old, new = [("DEL-FC1", "ALLOCATED")], [("CHN-FC1", "ALLOCATED"), ("DEL-FC1", "CANCELLED")]
    assert all(s in (old, new) for s in states), states
    assert 1 <= states.count(new) < len(views)
    env.pop(reoptimize.SLEEP_ENV)
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert all(_nodes_of(clean_engine, v["id"]) == new for v in views)
    assert check(clean_engine).ok, check(clean_engine).summary()


def _planned_moves(engine, run_id: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(batch_moves.c.order_id, batch_moves.c.new)
                            .where(batch_moves.c.run_id == run_id)).all()
    return sorted((r.order_id, "+".join(p["node"] for p in r.new)) for r in rows)


def test_plan_on_a_dask_local_cluster_matches_the_in_process_plan(clean_engine, clean_db_url):
    """The service's Dask path for real: `dask=True` starts a LocalCluster of worker processes
    (processes=True, as `omnialloc batch plan --dask` does), ships the chunks, and maps the answers back."""
    ctx, views = _far_allocated(clean_engine, clean_db_url, 3)
    local = reoptimize.plan_batch(ctx)
    ticks = []
    remote = reoptimize.plan_batch(ctx, dask=True, progress=lambda done, total: ticks.append((done, total)))
    assert remote["moves"] == local["moves"] == 3
    assert remote["after"] == local["after"] and remote["bound_paise"] == local["bound_paise"]
    assert _planned_moves(clean_engine, remote["run_id"]) == _planned_moves(clean_engine, local["run_id"])
    assert ticks and ticks[-1][0] == ticks[-1][1]


def test_plan_with_a_scheduler_address_uses_that_cluster(clean_engine, clean_db_url):
    """`--scheduler tcp://host:port`: here a LocalCluster started by the test (threads, processes=False, TCP)."""
    from dask.distributed import LocalCluster

    ctx, views = _far_allocated(clean_engine, clean_db_url, 2)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                      dashboard_address=":0") as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        summary = reoptimize.plan_batch(ctx, scheduler=cluster.scheduler_address)
        worker = next(iter(cluster.workers.values()))
        assert worker.state.executed_count >= 1  # the chunks ran on that cluster's worker
    assert summary["moves"] == 2
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["applied"] == 2
    for v in views:
        assert _nodes_of(clean_engine, v["id"]) == [("CHN-FC1", "ALLOCATED"), ("DEL-FC1", "CANCELLED")]
    assert check(clean_engine).ok, check(clean_engine).summary()


# --------------------------------------------------------------------------- rules
A, B = "SKU-0001", "SKU-0002"
WEB = 'order.channel == "web"'


def _capture_skus(ctx, ext: str, skus: list[str], qty: int = 1) -> dict:
    body = {"channel": "web", "external_id": ext, "payment_mode": "PREPAID",
            "ship_to": {"name": "A", "line1": "1 Road", "city": "Chennai", "pin": "600002"},
            "lines": [{"sku": s, "qty": qty} for s in skus]}
    view, _ = lifecycle.capture(ctx, SYSTEM, body)
    assert view["status"] == "ALLOCATED"
    return view


def _rule(ctx, kind: str, *actions) -> None:
    admin.create_rule(ctx, SYSTEM, {"name": f"{kind} {actions[0]['type']}", "kind": kind, "condition": WEB,
                                          "actions": list(actions)})


def _planned(engine, run_id: str) -> dict[str, list[str]]:
    """order id -> nodes of its planned shipments."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(batch_moves.c.order_id, batch_moves.c.new).where(batch_moves.c.run_id == run_id))
        return {r.order_id: sorted(p["node"] for p in r.new) for r in rows}


def _live_nodes(engine, order_id: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(r.node for r in conn.execute(sa.select(shipments.c.node).where(
            shipments.c.order_id == order_id, shipments.c.status != "CANCELLED")))


def test_batch_never_moves_an_order_to_a_node_a_routing_rule_forbids(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {"DEL-FC1": 50})
    views = [_capture_skus(ctx, f"r-{i}", [A]) for i in range(3)]
    _rule(ctx, "routing", {"type": "exclude_nodes", "nodes": ["CHN-FC1"], "reason": "under audit"})
    _stock(clean_engine, {"CHN-FC1": 50, "BLR-FC1": 50})  # Chennai is nearest, Bengaluru next
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    planned = _planned(clean_engine, summary["run_id"])
    assert set(planned) == {v["id"] for v in views}
    assert all(nodes == ["BLR-FC1"] for nodes in planned.values())
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert tally["applied"] == 3
    assert all(_live_nodes(clean_engine, v["id"]) == ["BLR-FC1"] for v in views)


@pytest.mark.parametrize("action", [
    {"type": "no_split"},
    {"type": "max_shipments", "count": 1},
    {"type": "keep_together", "skus": [A, B]},
    {"type": "min_shipment_value", "paise": 300_000},  # 5 x SKU-0001 alone is worth Rs 2,695
], ids=lambda a: a["type"])
def test_batch_never_splits_an_order_a_split_rule_keeps_whole(clean_engine, clean_db_url, action):
    ctx = _ctx(clean_engine, clean_db_url, split_penalty_paise=0)
    _stock(clean_engine, {"DEL-FC1": 50}, sku=A)
    _stock(clean_engine, {"DEL-FC1": 50}, sku=B)
    views = [_capture_skus(ctx, f"s-{i}", [A, B], qty=5) for i in range(2)]
    assert all(len(v["shipments"]) == 1 for v in views)
    # A only in Chennai, B only in Bengaluru: two near shipments (~Rs 317) beat one from Delhi (~Rs 425)
    _stock(clean_engine, {"CHN-FC1": 50}, sku=A)
    _stock(clean_engine, {"BLR-FC1": 50}, sku=B)
    free = _planned(clean_engine, reoptimize.plan_batch(ctx, min_saving_paise=0)["run_id"])
    assert free and all(nodes == ["BLR-FC1", "CHN-FC1"] for nodes in free.values())

    _rule(ctx, "split", action)
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    assert summary["moves"] == 0
    assert summary["after"]["split_orders"] == 0
    assert reoptimize.apply_batch(ctx, summary["run_id"])["applied"] == 0
    assert all(_live_nodes(clean_engine, v["id"]) == ["DEL-FC1"] for v in views)


def test_batch_prices_node_preferences_as_real_time_allocation_does(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _rule(ctx, "routing", {"type": "prefer_nodes", "nodes": ["BLR-FC1"], "bonus_paise": 50_000})
    _stock(clean_engine, {"CHN-FC1": 50, "BLR-FC1": 50})
    views = [_capture_skus(ctx, f"p-{i}", [A]) for i in range(2)]
    assert all(v["shipments"][0]["node"] == "BLR-FC1" for v in views)  # not the nearer Chennai FC
    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    assert summary["moves"] == 0
    assert summary["after"]["total"] == summary["before"]["total"]


def test_batch_never_plans_a_carrier_a_shipping_rule_denies(clean_engine, clean_db_url):
    ctx, views = _far_allocated(clean_engine, clean_db_url, 2)
    first = reoptimize.plan_batch(ctx, min_saving_paise=0)["run_id"]
    with clean_engine.connect() as conn:
        used = {p["carrier"] for r in conn.execute(sa.select(batch_moves.c.new).where(batch_moves.c.run_id == first))
                for p in r.new}
    assert used
    _rule(ctx, "shipping", {"type": "deny_carriers", "carriers": sorted(used), "reason": "strike"})
    run = reoptimize.plan_batch(ctx, min_saving_paise=0)["run_id"]
    with clean_engine.connect() as conn:
        moves = [p for r in conn.execute(sa.select(batch_moves.c.new).where(batch_moves.c.run_id == run))
                 for p in r.new]
    assert moves and all(p["node"] == "CHN-FC1" and p["carrier"] not in used for p in moves)

"""`batch apply` keeps a protect_stock rule's floor as real-time allocation does (issue 22): an ordinary
order never takes the units held back for urgent ones, checked by SQL written here."""

from __future__ import annotations

import sqlalchemy as sa
from test_batch_service import _ctx, _stock

from omnialloc.services.access import SYSTEM
from omnialloc.services.batch import reoptimize
from omnialloc.services.invariants import check
from omnialloc.services.orders import lifecycle
from omnialloc.services.rules import admin

SKU = "SKU-0001"
NODE = "CHN-FC1"


def _capture(ctx, ext: str, priority: int = 0) -> dict:
    body = {"channel": "web", "external_id": ext, "payment_mode": "PREPAID", "priority": priority,
            "ship_to": {"name": "A", "line1": "1 Road", "city": "Chennai", "pin": "600002"},
            "lines": [{"sku": SKU, "qty": 1}]}
    view, _ = lifecycle.capture(ctx, SYSTEM, body)
    return view


def _free(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT on_hand - reserved - safety_stock FROM inventory "
                                        "WHERE node = :n AND sku = :s"), {"n": NODE, "s": SKU}).scalar_one())


def _status(engine, order_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT status FROM orders WHERE id = :i"), {"i": order_id}).scalar_one()


def test_batch_apply_leaves_the_protected_units_to_the_orders_they_are_kept_for(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {})  # none anywhere: the orders wait
    admin.create_rule(ctx, SYSTEM, {"name": "keep 2 for urgent orders", "kind": "routing", "condition": "true",
                                    "actions": [{"type": "protect_stock", "skus": [SKU], "units": 2,
                                                 "min_priority": 8}]})
    ordinary = _capture(ctx, "ordinary")
    urgent = _capture(ctx, "urgent", priority=9)
    assert ordinary["status"] == urgent["status"] == "BACKORDERED"
    _stock(clean_engine, {NODE: 2})  # exactly the protected units arrive (no retry runs)

    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    # the urgent order may take them; the ordinary one may not, whatever the plan's order of moves
    assert _status(clean_engine, urgent["id"]) == "ALLOCATED"
    assert _status(clean_engine, ordinary["id"]) == "BACKORDERED"
    assert _free(clean_engine) == 1
    assert check(clean_engine).ok, check(clean_engine).summary()
    assert tally["applied"] >= 1


def test_batch_apply_does_not_give_an_ordinary_order_the_last_protected_units(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    _stock(clean_engine, {})
    admin.create_rule(ctx, SYSTEM, {"name": "keep 2 for urgent orders", "kind": "routing", "condition": "true",
                                    "actions": [{"type": "protect_stock", "skus": [SKU], "units": 2,
                                                 "min_priority": 8}]})
    ordinary = _capture(ctx, "ordinary")
    assert ordinary["status"] == "BACKORDERED"
    _stock(clean_engine, {NODE: 2})

    summary = reoptimize.plan_batch(ctx, min_saving_paise=0)
    tally = reoptimize.apply_batch(ctx, summary["run_id"])
    assert _status(clean_engine, ordinary["id"]) == "BACKORDERED"
    assert _free(clean_engine) == 2  # both protected units still there
    if ordinary["id"] in tally["skips"]:
        assert "protected" in tally["skips"][ordinary["id"]]
    assert check(clean_engine).ok, check(clean_engine).summary()

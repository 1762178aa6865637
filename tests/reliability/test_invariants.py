"""The invariant checker (`omnialloc check`): silent on a healthy store, names each kind of corruption."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from omnialloc.config import Settings
from omnialloc.services.orders import lifecycle
from omnialloc.services.access import SYSTEM
from omnialloc.services.context import Context
from omnialloc.services.invariants import check
from omnialloc.store.tables.events import events
from omnialloc.store.tables.inventory import inventory
from omnialloc.store.tables.orders import order_lines, orders
from omnialloc.store.tables.shipments import shipments


def _allocated_order(clean_engine, clean_db_url, external_id="inv-1", qty=1):
    ctx = Context(clean_engine, Settings(database_url=clean_db_url))
    body = {"channel": "web", "external_id": external_id, "payment_mode": "PREPAID",
            "ship_to": {"name": "A", "line1": "1 Road", "city": "Chennai", "pin": "600002"},
            "lines": [{"sku": "SKU-0001", "qty": qty}]}
    view, _ = lifecycle.capture(ctx, SYSTEM, body)
    assert view["status"] == "ALLOCATED"
    return view


def _exec(engine, stmt):
    with engine.begin() as conn:
        conn.execute(stmt)


def test_a_store_after_normal_use_breaks_no_invariant(clean_engine, clean_db_url):
    _allocated_order(clean_engine, clean_db_url)
    report = check(clean_engine)
    assert report.ok, report.summary()
    assert report.counts["orders"] == 1


def test_reserved_out_of_step_with_shipments_is_named(clean_engine, clean_db_url):
    view = _allocated_order(clean_engine, clean_db_url)
    node = view["shipments"][0]["node"]
    # Drop the reservation (keeping reserved <= on_hand so only the bookkeeping is wrong).
    _exec(clean_engine, inventory.update().where(inventory.c.node == node, inventory.c.sku == "SKU-0001")
          .values(reserved=0))
    report = check(clean_engine)
    assert report.codes() == {"reserved_mismatch"}
    assert f"{node}/SKU-0001" in report.summary()


def test_a_line_placed_twice_is_named(clean_engine, clean_db_url):
    view = _allocated_order(clean_engine, clean_db_url, qty=2)
    _exec(clean_engine, order_lines.update().where(order_lines.c.order_id == view["id"]).values(cancelled_qty=1))
    assert "line_overplaced" in check(clean_engine).codes()


def test_unknown_status_and_a_status_without_its_event_are_named(clean_engine, clean_db_url):
    view = _allocated_order(clean_engine, clean_db_url)
    _exec(clean_engine, orders.update().where(orders.c.id == view["id"]).values(status="LIMBO"))
    _exec(clean_engine, shipments.update().where(shipments.c.order_id == view["id"]).values(status="ACCEPTED"))
    codes = check(clean_engine).codes()
    assert {"unknown_order_status", "missing_status_event"} <= codes


def test_order_status_contradicting_its_shipments_is_named(clean_engine, clean_db_url):
    view = _allocated_order(clean_engine, clean_db_url)
    with clean_engine.begin() as conn:  # SHIPPED while its shipment still holds stock, with a matching event
        conn.execute(orders.update().where(orders.c.id == view["id"]).values(status="SHIPPED"))
        conn.execute(events.insert().values(entity="order", entity_id=view["id"], type="status_changed",
                                            from_status="ALLOCATED", to_status="SHIPPED", actor="test",
                                            at=sa.func.now(), payload={}))
    report = check(clean_engine)
    assert report.codes() == {"order_shipments_inconsistent"}, report.summary()


def test_check_command_exits_non_zero_naming_the_broken_invariant(clean_engine, clean_db_url):
    env = {**os.environ, "OMNIALLOC_DATABASE_URL": clean_db_url}
    cmd = [sys.executable, "-m", "omnialloc.cli", "check"]
    ok = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("OK")
    _exec(clean_engine, inventory.update().where(inventory.c.node == "CHN-FC1", inventory.c.sku == "SKU-0001")
          .values(reserved=1))
    bad = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "reserved_mismatch" in bad.stdout and "CHN-FC1/SKU-0001" in bad.stdout

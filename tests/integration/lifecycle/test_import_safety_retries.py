"""A stock import that changes what is sellable through the safety stock queues backorder retries exactly when
the sellable stock (on_hand - reserved - safety stock) goes up (issue 20 leftover). SQLite and PostgreSQL.

CHN-FC1 holds 2 units of SKU-0001, both kept back as safety stock, so an order for one waits. Lowering the
safety stock in an import (with no change, or even a fall, of the count) makes a unit sellable: the waiting
order gets it from the backorder worker. Raising the safety stock by more than the count grows makes nothing
sellable: nothing is queued. Stock and queue are read with SQL written here.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.integration.lifecycle.conftest import order_status

SKU = "SKU-0001"


@pytest.fixture
def kept_back(stock_only_at, clean_engine, capture):
    """2 on hand at CHN-FC1, safety stock 2; one order for 1 unit waits; the queue starts empty."""
    stock_only_at(SKU, {"CHN-FC1": 2})
    with clean_engine.begin() as conn:
        conn.execute(sa.text("UPDATE inventory SET safety_stock = 2 WHERE node = 'CHN-FC1' AND sku = :s"), {"s": SKU})
    order = capture([(SKU, 1)])
    assert order["status"] == "BACKORDERED"
    with clean_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM backorder_jobs"))
    return order


def _import(client, admin, mode: str, csv: str) -> dict:
    r = client.post(f"/inventory/imports?mode={mode}&node=CHN-FC1", data=csv.encode(), content_type="text/csv",
                    headers=admin)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _position(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(
            "SELECT on_hand, reserved, safety_stock FROM inventory WHERE node = 'CHN-FC1' AND sku = :s"),
            {"s": SKU}).one())


def _queued(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT sku FROM backorder_jobs")).scalars())


@pytest.mark.parametrize("mode, csv", [
    ("delta", f"sku,qty,safety_stock\n{SKU},0,1\n"),       # count unchanged, safety 2 -> 1
    ("delta", f"sku,qty,safety_stock\n{SKU},-1,0\n"),      # one unit written off, safety 2 -> 0: 1 sellable
    ("snapshot", f"sku,qty,safety_stock\n{SKU},2,0\n"),    # same count, safety 2 -> 0
])
def test_lowering_the_safety_stock_in_an_import_gives_the_waiting_order_its_unit(
        kept_back, client, admin, clean_engine, drain_backorders, mode, csv):
    report = _import(client, admin, mode, csv)
    on_hand, reserved, safety = _position(clean_engine)
    assert on_hand - reserved - safety >= 1  # a unit is sellable now
    assert report["backorder_retries_queued"] == 1 and _queued(clean_engine) == [SKU]
    drain_backorders()
    assert order_status(clean_engine, kept_back["id"]) == "ALLOCATED"
    assert _position(clean_engine)[1] == 1


@pytest.mark.parametrize("mode, csv", [
    ("delta", f"sku,qty,safety_stock\n{SKU},1,3\n"),       # +1 on hand, safety 2 -> 3: still nothing sellable
    ("snapshot", f"sku,qty,safety_stock\n{SKU},5,5\n"),    # +3 on hand, safety 2 -> 5
])
def test_a_receipt_whose_units_all_go_to_safety_stock_queues_nothing(
        kept_back, client, admin, clean_engine, drain_backorders, mode, csv):
    report = _import(client, admin, mode, csv)
    on_hand, reserved, safety = _position(clean_engine)
    assert on_hand - reserved - safety <= 0
    assert report["backorder_retries_queued"] == 0 and _queued(clean_engine) == []
    assert order_status(clean_engine, kept_back["id"]) == "BACKORDERED"

"""Backorder retries (issue 30): stock that arrives while a retry pass is running never goes to a less urgent
order before a more urgent one that the pass already passed over for want of it.

The benchmark's audit (benchmarks/backorder_receipts_bench.py) found it: a pass walks its waiting orders from
the most urgent down, each allocation reading the stock of that moment; an urgent order refused early in a
long pass (the suitable stock not there yet) was not looked at again when a receipt brought that stock, and a
less urgent order further down took it. SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.services.invariants import check
from omnialloc.services.orders import lifecycle
from tests.integration.lifecycle.conftest import order_status

SKU, OTHER = "SKU-0003", "SKU-0004"


def _receive(api, qty: int, sku: str = SKU) -> None:
    status, out = api("post", "/inventory/adjustments", {"adjustments": [
        {"node": "CHN-FC1", "sku": sku, "delta": qty, "reason": "receipt"}]})
    assert status == 200, out


def test_a_unit_arriving_mid_pass_completes_the_urgent_order_passed_over_not_a_later_one(
        stock_only_at, capture, api, clean_engine, drain_backorders, monkeypatch):
    stock_only_at(SKU, {"CHN-FC1": 0})
    stock_only_at(OTHER, {"CHN-FC1": 0})
    urgent = capture([(SKU, 2)], priority=10)
    middle = capture([(OTHER, 1)], priority=5)   # tried between the two: the second unit arrives meanwhile
    ordinary = capture([(SKU, 1)], priority=0)
    assert {urgent["status"], middle["status"], ordinary["status"]} == {"BACKORDERED"}
    with clean_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM backorder_jobs"))
    _receive(api, 1)         # one unit: the urgent order (2) is passed over
    _receive(api, 1, OTHER)
    real = lifecycle.allocate

    def receipt_meanwhile(ctx_, order_id, *args, **kwargs):
        if order_id == middle["id"]:
            _receive(api, 1)  # the second unit: now the urgent order can be completed
        return real(ctx_, order_id, *args, **kwargs)

    monkeypatch.setattr(lifecycle, "allocate", receipt_meanwhile)
    allocated = drain_backorders().allocated_ids
    assert order_status(clean_engine, urgent["id"]) == "ALLOCATED"
    assert order_status(clean_engine, ordinary["id"]) == "BACKORDERED"
    assert sorted(allocated) == sorted([middle["id"], urgent["id"]])
    assert check(clean_engine).ok


def test_without_a_passed_over_order_a_pass_reads_no_stock_again(stock_only_at, capture, api, clean_engine,
                                                                drain_backorders, monkeypatch):
    """The check costs nothing in the common case: every order tried so far was allocated."""
    from omnialloc.services.orders import backorders

    stock_only_at(SKU, {"CHN-FC1": 0})
    first, second = capture([(SKU, 1)], priority=3), capture([(SKU, 1)], priority=1)
    with clean_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM backorder_jobs"))
    _receive(api, 2)
    reads = []
    real = backorders._grown
    monkeypatch.setattr(backorders, "_grown", lambda ctx, atp, skus: reads.append(set(skus)) or real(ctx, atp, skus))
    assert drain_backorders().allocated_ids == [first["id"], second["id"]]
    assert all(not skus for skus in reads)

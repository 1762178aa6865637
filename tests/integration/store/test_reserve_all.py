"""An allocation's reservations as one call (``InventoryRepository.reserve_all``): each row by the reservation
rule, and on PostgreSQL one statement that still locks the rows in (node, SKU) order.

The lock order is what keeps concurrent reservers and receipts free of deadlocks (docs/architecture.md: the
reservation); the statement form must not lose it. Expectations are read back with SQL written here.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from omnialloc.store.tables.inventory import inventory
from tests.integration.row_locks import run_behind_a_held_row

ON_HAND, SAFETY = 10, 3  # ATP 7 at each of the two rows


@pytest.fixture
def positions(uow_factory):
    """Two stock rows, in (node, sku) order, each with on_hand 10, safety stock 3, nothing reserved."""
    with uow_factory() as uow:
        rows = [tuple(r) for r in uow.conn.execute(
            sa.select(inventory.c.node, inventory.c.sku).order_by(inventory.c.node, inventory.c.sku).limit(2))]
        for node, sku in rows:
            uow.conn.execute(inventory.update().where(inventory.c.node == node, inventory.c.sku == sku)
                             .values(on_hand=ON_HAND, reserved=0, safety_stock=SAFETY))
        uow.commit()
    assert len(rows) == 2 and rows[0] < rows[1]
    return rows


def _reserved(engine, rows) -> list[int]:
    with engine.connect() as conn:
        return [conn.execute(sa.text("SELECT reserved FROM inventory WHERE node = :n AND sku = :s"),
                             {"n": node, "s": sku}).scalar_one() for node, sku in rows]


def test_every_row_is_reserved_or_the_call_says_it_fell_short(uow_factory, clean_engine, positions):
    a, b = positions
    with uow_factory() as uow:
        assert uow.inventory.reserve_all({b: 7, a: 2})
        uow.commit()
    assert _reserved(clean_engine, positions) == [2, 7]
    with uow_factory() as uow:  # b has no ATP left: short, whatever happened to a (the caller rolls back)
        assert uow.inventory.reserve_all({a: 1, b: 1}) is False
    with uow_factory() as uow:  # a (node, SKU) without a stock row is not reserved
        assert uow.inventory.reserve_all({a: 4, (a[0], "NO-SUCH-SKU"): 1}) is False
    with uow_factory() as uow:  # keep: a protect_stock rule's units stay behind at that row (ATP 5)
        assert uow.inventory.reserve_all({a: 4}, {a: 2}) is False
        assert uow.inventory.reserve_all({a: 3}, {a: 2})
        uow.commit()
    assert _reserved(clean_engine, positions) == [5, 7]
    with uow_factory() as uow, pytest.raises(ValueError):
        uow.inventory.reserve_all({a: 0})
    with uow_factory() as uow, pytest.raises(ValueError):
        uow.inventory.reserve_all({a: 1}, {a: -1})


def test_rows_are_locked_in_node_sku_order(uow_factory, clean_engine, db_backend, positions):
    """While another transaction holds the later row, a reserve_all of both (asked in the other order) waits
    for it holding the earlier row already: it takes its locks in (node, SKU) order, as every reserver does."""
    if db_backend != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): no row locks to order")
    a, b = positions

    def reserve_both():  # asked in the other order
        with uow_factory() as uow:
            done = uow.inventory.reserve_all({b: 2, a: 2})
            uow.commit()
        return done

    outcome = run_behind_a_held_row(clean_engine, a, b, reserve_both)
    assert outcome == [True]
    assert _reserved(clean_engine, positions) == [2, 2]

"""An allocation's reservations as one call (``InventoryRepository.reserve_all``): each row by the reservation
rule, and on PostgreSQL one statement that still locks the rows in (node, SKU) order.

The lock order is what keeps concurrent reservers and receipts free of deadlocks (docs/architecture.md: the
reservation); the statement form must not lose it. Expectations are read back with SQL written here.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from omnialloc.store.tables.inventory import inventory

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
    holder = clean_engine.connect()
    holder.execute(inventory.update().where(inventory.c.node == b[0], inventory.c.sku == b[1])
                   .values(reserved=inventory.c.reserved + 1))
    outcome: list = []

    def reserve_both():
        try:
            with uow_factory() as uow:
                outcome.append(uow.inventory.reserve_all({b: 2, a: 2}))
                uow.commit()
        except Exception as exc:  # (shown by the assertion below)
            outcome.append(exc)

    worker = threading.Thread(target=reserve_both)
    worker.start()
    try:
        with clean_engine.connect() as probe:
            for _ in range(500):  # until the reserver waits for b's lock
                waiting = probe.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                                "'Lock' AND datname = current_database()")).scalar_one()
                probe.rollback()
                if waiting:
                    break
                time.sleep(0.01)
            assert waiting, "the reserver never waited for the held row"
            with pytest.raises(sa.exc.OperationalError, match="could not obtain lock"):
                probe.execute(sa.select(inventory.c.node).where(inventory.c.node == a[0], inventory.c.sku == a[1])
                              .with_for_update(nowait=True))
            probe.rollback()
    finally:
        holder.rollback()
        holder.close()
        worker.join(timeout=30)
    assert outcome == [True]
    assert _reserved(clean_engine, positions) == [2, 2]

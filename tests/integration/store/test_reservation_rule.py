"""The reservation statement refuses to go past ATP by itself, not because of a lock or a CHECK.

On SQLite, writers are serialised by ``BEGIN IMMEDIATE``, so in the concurrency tests
(tests/reliability/test_concurrency.py, the threaded reservers in test_store_engine.py) a reserving
transaction always reads ATP after the previous writer committed: the lock alone keeps them from
overselling, and they would pass with the conditional UPDATE's ATP check removed. Here the ATP a caller
decides on is stale by construction (read in an earlier transaction, before another caller reserved), so
only the statement's own ``WHERE on_hand - reserved - safety_stock >= qty`` can refuse: it must answer
"not reserved" (row count 0) and leave the row untouched. Safety stock keeps the over-reservation below
on_hand, where the ``reserved <= on_hand`` CHECK would not catch it. Both backends; the expectations are
computed with SQL written here.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from omnialloc.store.tables.inventory import inventory

ON_HAND, SAFETY = 10, 3  # ATP 7; reserving 8..10 would still satisfy the CHECK reserved <= on_hand


@pytest.fixture
def position(uow_factory, demo):
    node, sku = demo["node"], demo["sku"]
    with uow_factory() as uow:
        uow.conn.execute(inventory.update().where(inventory.c.node == node, inventory.c.sku == sku)
                         .values(on_hand=ON_HAND, reserved=0, safety_stock=SAFETY))
        uow.commit()
    return node, sku


def _row(uow_factory, node: str, sku: str):
    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.text("SELECT on_hand, reserved, safety_stock, on_hand - reserved - safety_stock "
                                        "AS atp FROM inventory WHERE node = :n AND sku = :s"),
                                {"n": node, "s": sku}).one()


def _atp_as_seen(uow_factory, node: str, sku: str) -> int:
    """What a planner reads: ATP in a read transaction of its own, which ends before it reserves."""
    with uow_factory(readonly=True) as uow:
        return uow.inventory.atp_for([sku], nodes=[node])[(node, sku)]


def test_a_reservation_decided_on_a_stale_atp_is_refused_by_the_statement(uow_factory, position):
    node, sku = position
    first, second = _atp_as_seen(uow_factory, node, sku), _atp_as_seen(uow_factory, node, sku)
    assert first == second == ON_HAND - SAFETY  # both callers believe all 7 units are free
    with uow_factory() as uow:
        assert uow.inventory.reserve(node, sku, first)
        uow.commit()
    # The second caller's write transaction starts after the first committed (on SQLite the lock saw to
    # that): nothing but the statement's condition stands between it and 14 units reserved out of 10.
    with uow_factory() as uow:
        assert uow.inventory.reserve(node, sku, second) is False
        assert uow.inventory.reserve(node, sku, 1) is False  # not even one unit of the safety stock
        uow.commit()
    row = _row(uow_factory, node, sku)
    assert (row.on_hand, row.reserved, row.atp) == (ON_HAND, ON_HAND - SAFETY, 0)


def test_a_quantity_past_atp_but_within_on_hand_is_refused_and_changes_nothing(uow_factory, position):
    node, sku = position
    for qty in range(ON_HAND - SAFETY + 1, ON_HAND + 1):  # 8, 9, 10: the CHECK would allow each of these
        with uow_factory() as uow:
            assert uow.inventory.reserve(node, sku, qty) is False, qty
            uow.commit()
        assert _row(uow_factory, node, sku).reserved == 0
    with uow_factory() as uow:  # and past on_hand: refused by the statement, not by an IntegrityError
        assert uow.inventory.reserve(node, sku, ON_HAND + 1) is False
        uow.commit()


@pytest.mark.parametrize("seed", range(3))
def test_reservations_on_stale_reads_never_exceed_atp(uow_factory, position, seed):
    """Callers each read ATP once, then reserve random amounts in later transactions, interleaved: every
    answer is the one the current row (read with plain SQL) calls for, and the total stops at ATP."""
    node, sku = position
    rnd = random.Random(seed)
    believed = {caller: _atp_as_seen(uow_factory, node, sku) for caller in range(4)}
    for _ in range(16):
        caller = rnd.randrange(4)
        qty = rnd.randint(1, max(1, believed[caller]))
        atp_now = _row(uow_factory, node, sku).atp
        with uow_factory() as uow:
            won = uow.inventory.reserve(node, sku, qty)
            uow.commit()
        assert won == (qty <= atp_now), (caller, qty, atp_now, won)
        if won:
            believed[caller] -= qty
    row = _row(uow_factory, node, sku)
    assert 0 <= row.reserved <= ON_HAND - SAFETY and row.atp >= 0


def test_units_kept_for_higher_priority_orders_are_refused_by_the_statement(uow_factory, position):
    """``keep``: a protect_stock rule's units the reserving order may not take. The statement leaves at
    least that much ATP behind, whatever the caller believed was free."""
    node, sku = position
    atp = ON_HAND - SAFETY  # 7
    with uow_factory() as uow:
        assert uow.inventory.reserve(node, sku, atp - 2 + 1, keep=2) is False  # would leave 1 of the 2 kept
        assert uow.inventory.reserve(node, sku, atp - 2, keep=2)  # leaves exactly the 2 kept units
        assert uow.inventory.reserve(node, sku, 1, keep=2) is False
        assert uow.inventory.reserve(node, sku, 2)  # an order the rule exempts may take them
        uow.commit()
    row = _row(uow_factory, node, sku)
    assert (row.reserved, row.atp) == (atp, 0)
    with uow_factory() as uow, pytest.raises(ValueError):
        uow.inventory.reserve(node, sku, 1, keep=-1)

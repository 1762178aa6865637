"""Stock: the reservation rule (never more than ATP), release/consume/adjust, and the CHECK backstops."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from omnialloc.store.tables.inventory import inventory


@pytest.fixture
def stock(uow_factory, demo):
    """The demo's first stocked (node, sku) set to on_hand 10, safety 2, nothing reserved: ATP 8."""
    node, sku = demo["node"], demo["sku"]
    with uow_factory() as uow:
        uow.conn.execute(inventory.update().where(inventory.c.node == node, inventory.c.sku == sku)
                         .values(on_hand=10, reserved=0, safety_stock=2))
        uow.commit()
    return node, sku


def _pos(uow_factory, node, sku):
    with uow_factory(readonly=True) as uow:
        return uow.inventory.get(node, sku)


def test_reserve_succeeds_up_to_atp(uow_factory, stock):
    with uow_factory() as uow:
        assert uow.inventory.reserve(*stock, 5)
        assert uow.inventory.reserve(*stock, 3)
        uow.commit()
    pos = _pos(uow_factory, *stock)
    assert (pos.on_hand, pos.reserved, pos.atp) == (10, 8, 0)


def test_reserve_beyond_atp_fails_and_changes_nothing(uow_factory, stock):
    with uow_factory() as uow:
        assert not uow.inventory.reserve(*stock, 9)  # ATP is 8: safety stock is not for sale
        assert uow.inventory.reserve(*stock, 8)
        assert not uow.inventory.reserve(*stock, 1)
        uow.commit()
    assert _pos(uow_factory, *stock).reserved == 8


def test_reserve_of_an_unknown_position_fails(uow_factory, demo):
    with uow_factory() as uow:
        assert not uow.inventory.reserve(demo["node"], "NO-SUCH-SKU", 1)


def test_reserve_rejects_a_non_positive_quantity(uow_factory, stock):
    with uow_factory() as uow, pytest.raises(ValueError):
        uow.inventory.reserve(*stock, 0)


def test_release_gives_back_and_refuses_more_than_reserved(uow_factory, stock):
    with uow_factory() as uow:
        uow.inventory.reserve(*stock, 4)
        assert uow.inventory.release(*stock, 3)
        assert not uow.inventory.release(*stock, 2)
        uow.commit()
    assert _pos(uow_factory, *stock).reserved == 1


def test_consume_ships_reserved_units_from_on_hand(uow_factory, stock):
    with uow_factory() as uow:
        uow.inventory.reserve(*stock, 4)
        assert uow.inventory.consume(*stock, 3)
        assert not uow.inventory.consume(*stock, 2)  # only 1 still reserved
        uow.commit()
    pos = _pos(uow_factory, *stock)
    assert (pos.on_hand, pos.reserved) == (7, 1)


def test_adjust_adds_and_removes_stock(uow_factory, stock):
    with uow_factory() as uow:
        assert uow.inventory.adjust(*stock, 5)
        assert uow.inventory.adjust(*stock, -12)
        uow.commit()
    assert _pos(uow_factory, *stock).on_hand == 3


def test_adjust_refuses_a_negative_result(uow_factory, stock):
    with uow_factory() as uow:
        assert not uow.inventory.adjust(*stock, -11)
        uow.commit()
    assert _pos(uow_factory, *stock).on_hand == 10


def test_adjust_refuses_to_drop_below_what_is_reserved(uow_factory, stock):
    with uow_factory() as uow:
        uow.inventory.reserve(*stock, 6)
        assert not uow.inventory.adjust(*stock, -5)
        assert uow.inventory.adjust(*stock, -4)
        uow.commit()
    pos = _pos(uow_factory, *stock)
    assert (pos.on_hand, pos.reserved) == (6, 6)


def test_adjust_up_creates_a_missing_position(uow_factory, demo):
    node = demo["node"]
    with uow_factory() as uow:
        have = {p.sku for p in uow.inventory.list(node=node)}
        sku = next(s for s in demo["skus"] if s not in have)
        assert uow.inventory.adjust(node, sku, 7)
        assert not uow.inventory.adjust(demo["nodes"][-1], "NO-SUCH-SKU", -1)
        uow.commit()
    assert _pos(uow_factory, node, sku).on_hand == 7


def test_atp_for_answers_every_position_of_the_skus_in_one_call(uow_factory, stock, demo):
    node, sku = stock
    with uow_factory() as uow:
        uow.inventory.reserve(node, sku, 3)
        atp = uow.inventory.atp_for([sku])
        everywhere = {p.node: p.atp for p in uow.inventory.list(sku=sku)}
        only_node = uow.inventory.atp_for([sku], nodes=[node])
    assert atp[(node, sku)] == 5
    assert atp == {(n, sku): a for n, a in everywhere.items()}
    assert only_node == {(node, sku): 5}
    assert all(v >= 0 for v in atp.values())


def test_atp_is_never_negative_when_safety_stock_exceeds_free_stock(uow_factory, stock):
    node, sku = stock
    with uow_factory() as uow:
        uow.conn.execute(inventory.update().where(inventory.c.node == node, inventory.c.sku == sku)
                         .values(safety_stock=50))
        assert uow.inventory.atp_for([sku], nodes=[node]) == {(node, sku): 0}
        assert not uow.inventory.reserve(node, sku, 1)


@pytest.mark.parametrize("values", [
    {"on_hand": -1, "reserved": 0},
    {"reserved": -1},
    {"on_hand": 5, "reserved": 6},
    {"safety_stock": -1},
])
def test_check_constraints_reject_impossible_stock(uow_factory, stock, values):
    node, sku = stock
    with uow_factory() as uow, pytest.raises(IntegrityError):
        uow.conn.execute(inventory.update().where(inventory.c.node == node, inventory.c.sku == sku)
                         .values(**values))


def test_foreign_keys_reject_stock_for_an_unknown_node(uow_factory, demo):
    with uow_factory() as uow, pytest.raises(IntegrityError):
        uow.conn.execute(inventory.insert().values(node="NOWHERE", sku=demo["sku"], on_hand=1, reserved=0,
                                                   safety_stock=0, updated_at=sa.func.now()))

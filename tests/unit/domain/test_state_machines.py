"""Status machines, as specifications: every pair of statuses is either a legal move or an IllegalTransition.

The cases are generated from the machine tables in omnialloc.domain.states, so
a new status or transition is covered without editing this file.
"""

from __future__ import annotations

import itertools

import pytest

from omnialloc.domain import IllegalTransition
from omnialloc.domain.enums import OrderStatus, ReturnStatus, ShipmentStatus, TransferStatus
from omnialloc.domain.states import (
    ORDER_MACHINE,
    RETURN_MACHINE,
    SHIPMENT_MACHINE,
    SHIPMENT_PROGRESS,
    TRANSFER_MACHINE,
)

MACHINES = {
    "order": (ORDER_MACHINE, OrderStatus, OrderStatus.CREATED),
    "shipment": (SHIPMENT_MACHINE, ShipmentStatus, ShipmentStatus.ALLOCATED),
    "return": (RETURN_MACHINE, ReturnStatus, ReturnStatus.REQUESTED),
    "transfer": (TRANSFER_MACHINE, TransferStatus, TransferStatus.CREATED),
}


def _cases(legal: bool):
    for name, (machine, statuses, _) in MACHINES.items():
        for src, dst in itertools.product(statuses, statuses):
            if machine.can(src, dst) == legal:
                yield pytest.param(machine, src, dst, id=f"{name}:{src}->{dst}")


@pytest.mark.parametrize("machine, src, dst", list(_cases(legal=True)))
def test_legal_transition_is_allowed(machine, src, dst):
    machine.check(src, dst)  # does not raise
    assert dst in machine.transitions[src]


@pytest.mark.parametrize("machine, src, dst", list(_cases(legal=False)))
def test_illegal_transition_raises_a_domain_error_naming_both_states(machine, src, dst):
    with pytest.raises(IllegalTransition) as info:
        machine.check(src, dst)
    err = info.value
    assert (err.entity, err.current, err.target) == (machine.entity, str(src), str(dst))
    assert str(src) in err.detail and str(dst) in err.detail


@pytest.mark.parametrize("name", MACHINES)
def test_every_status_has_a_row_in_its_machine(name):
    machine, statuses, _ = MACHINES[name]
    assert set(machine.transitions) == set(statuses)


@pytest.mark.parametrize("name", MACHINES)
def test_transitions_only_name_statuses_of_the_same_kind(name):
    machine, statuses, _ = MACHINES[name]
    for src, dst in machine.pairs():
        assert isinstance(src, statuses) and isinstance(dst, statuses)


@pytest.mark.parametrize("name", MACHINES)
def test_no_status_transitions_to_itself(name):
    machine, statuses, _ = MACHINES[name]
    assert not [s for s in statuses if machine.can(s, s)]


@pytest.mark.parametrize("name", MACHINES)
def test_every_status_is_reachable_from_the_initial_one(name):
    machine, statuses, initial = MACHINES[name]
    seen, frontier = {initial}, [initial]
    while frontier:
        for nxt in machine.transitions[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(statuses)


@pytest.mark.parametrize("name", MACHINES)
def test_terminal_statuses_have_no_way_out_and_others_do(name):
    machine, statuses, _ = MACHINES[name]
    for status in statuses:
        assert machine.is_terminal(status) == (not machine.transitions[status])
        if machine.is_terminal(status):
            assert not any(machine.can(status, other) for other in statuses)


@pytest.mark.parametrize("name", MACHINES)
def test_every_non_terminal_status_can_reach_a_terminal_one(name):
    machine, statuses, _ = MACHINES[name]
    for status in statuses:
        seen, frontier = {status}, [status]
        while frontier:
            for nxt in machine.transitions[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert any(machine.is_terminal(s) for s in seen), f"{status} can never finish"


@pytest.mark.parametrize("name, terminals", [
    ("order", {OrderStatus.DELIVERED, OrderStatus.PICKED_UP, OrderStatus.RTO, OrderStatus.CANCELLED}),
    ("shipment", {ShipmentStatus.REJECTED, ShipmentStatus.DELIVERED, ShipmentStatus.RTO_DELIVERED,
                  ShipmentStatus.COLLECTED, ShipmentStatus.CANCELLED}),
    ("return", {ReturnStatus.REJECTED, ReturnStatus.CLOSED, ReturnStatus.CANCELLED}),
    ("transfer", {TransferStatus.RECEIVED, TransferStatus.CANCELLED}),
])
def test_the_terminal_statuses_are_exactly_these(name, terminals):
    machine, statuses, _ = MACHINES[name]
    assert {s for s in statuses if machine.is_terminal(s)} == terminals


def test_shipped_orders_and_shipments_can_no_longer_be_cancelled():
    assert not ORDER_MACHINE.can(OrderStatus.SHIPPED, OrderStatus.CANCELLED)
    assert not ORDER_MACHINE.can(OrderStatus.PARTIALLY_SHIPPED, OrderStatus.CANCELLED)
    for s in (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY):
        assert not SHIPMENT_MACHINE.can(s, ShipmentStatus.CANCELLED)


def test_a_carrier_scan_never_moves_a_shipment_backwards():
    for src, dst in SHIPMENT_MACHINE.pairs():
        if src in SHIPMENT_PROGRESS and dst in SHIPMENT_PROGRESS:
            assert SHIPMENT_PROGRESS[dst] >= SHIPMENT_PROGRESS[src], f"{src} -> {dst}"

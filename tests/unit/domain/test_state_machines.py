"""Status machines against a specification written by hand.

Each table below is the intended life of one entity, typed out from the product's rules (not derived from
``omnialloc.domain.states``): one line per status, the statuses it may move to. Each test compares a machine
with its table both ways: every move listed is allowed by the code, every move not listed is refused with an
``IllegalTransition`` naming both statuses. A move added to or dropped from the code without changing the
table here fails, naming the move.

Work orders and notifications have no machine in the domain; their statuses move inside their services
(``services.returns.work_orders``, the notification dispatcher): their tables are checked against what those services
do, in tests/integration/notify/test_notify_status_machine.py and tests/api/test_work_order_status_machine.py.
"""

from __future__ import annotations

import pytest

from omnialloc.domain import IllegalTransition
from omnialloc.domain.enums import OrderStatus as O
from omnialloc.domain.enums import ReturnStatus as R
from omnialloc.domain.enums import ShipmentStatus as S
from omnialloc.domain.enums import TransferStatus as T
from omnialloc.domain.states import (
    ORDER_MACHINE,
    RETURN_MACHINE,
    SHIPMENT_MACHINE,
    SHIPMENT_PROGRESS,
    TRANSFER_MACHINE,
)

ORDER = {
    O.CREATED:           {O.VALIDATED, O.ON_HOLD, O.CANCELLED},
    O.VALIDATED:         {O.ALLOCATED, O.BACKORDERED, O.ON_HOLD, O.CANCELLED},
    O.ON_HOLD:           {O.VALIDATED, O.CANCELLED},
    # units wait for stock, whatever else shipped: placed again, or cancelled and the rest decides
    O.BACKORDERED:       {O.ALLOCATED, O.PARTIALLY_SHIPPED, O.SHIPPED, O.DELIVERED, O.RTO, O.ON_HOLD,
                          O.CANCELLED},
    # back to BACKORDERED when every node rejected and no other node can take the lines
    O.ALLOCATED:         {O.BACKORDERED, O.PARTIALLY_SHIPPED, O.SHIPPED, O.READY_FOR_PICKUP, O.ON_HOLD,
                          O.CANCELLED},
    # once a parcel left, the order can no longer be cancelled; a rejected rest no node can take waits
    O.PARTIALLY_SHIPPED: {O.BACKORDERED, O.SHIPPED, O.DELIVERED, O.RTO},
    O.SHIPPED:           {O.DELIVERED, O.RTO},
    O.READY_FOR_PICKUP:  {O.PICKED_UP, O.CANCELLED},
    O.DELIVERED:         set(),
    O.PICKED_UP:         set(),
    O.RTO:               set(),
    O.CANCELLED:         set(),
}

_SCANNED = {S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED, S.RTO_INITIATED}
SHIPMENT = {
    S.ALLOCATED:        {S.ACCEPTED, S.REJECTED, S.CANCELLED},
    S.ACCEPTED:         {S.PACKED, S.REJECTED, S.CANCELLED, S.READY_FOR_PICKUP},
    S.PACKED:           {S.SHIPPED, S.CANCELLED, S.READY_FOR_PICKUP},
    # carriers skip scans: after the handover any later scan may come first
    S.SHIPPED:          _SCANNED,
    S.PICKED_UP:        {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED, S.RTO_INITIATED},
    S.IN_TRANSIT:       {S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED, S.RTO_INITIATED},
    S.OUT_FOR_DELIVERY: {S.DELIVERED, S.DELIVERY_FAILED, S.RTO_INITIATED},
    # a failed attempt: another attempt, a late delivery scan, or back to origin
    S.DELIVERY_FAILED:  {S.OUT_FOR_DELIVERY, S.DELIVERED, S.RTO_INITIATED},
    S.RTO_INITIATED:    {S.RTO_DELIVERED},
    S.READY_FOR_PICKUP: {S.COLLECTED, S.CANCELLED},
    S.REJECTED:         set(),
    S.DELIVERED:        set(),
    S.RTO_DELIVERED:    set(),
    S.COLLECTED:        set(),
    S.CANCELLED:        set(),
}

RETURN = {
    R.REQUESTED:        {R.APPROVED, R.REJECTED, R.CANCELLED},
    # dropped off at a node by the buyer: received without a pickup
    R.APPROVED:         {R.PICKUP_SCHEDULED, R.RECEIVED, R.CANCELLED},
    R.PICKUP_SCHEDULED: {R.PICKED_UP, R.IN_TRANSIT, R.RECEIVED, R.CANCELLED},
    R.PICKED_UP:        {R.IN_TRANSIT, R.RECEIVED},
    R.IN_TRANSIT:       {R.RECEIVED},
    R.RECEIVED:         {R.GRADED},
    R.GRADED:           {R.CLOSED},
    R.REJECTED:         set(),
    R.CLOSED:           set(),
    R.CANCELLED:        set(),
}

TRANSFER = {
    T.CREATED:    {T.DISPATCHED, T.CANCELLED},
    # goods on a truck cannot be cancelled, only received
    T.DISPATCHED: {T.RECEIVED},
    T.RECEIVED:   set(),
    T.CANCELLED:  set(),
}

MACHINES = {
    "order": (ORDER_MACHINE, O, ORDER),
    "shipment": (SHIPMENT_MACHINE, S, SHIPMENT),
    "return": (RETURN_MACHINE, R, RETURN),
    "transfer": (TRANSFER_MACHINE, T, TRANSFER),
}


def _listed(table) -> set[tuple]:
    return {(src, dst) for src, targets in table.items() for dst in targets}


@pytest.mark.parametrize("name", MACHINES)
def test_the_tables_name_every_status_once(name):
    """A guard on the tables themselves: a status the enum gained needs its line here."""
    _, statuses, table = MACHINES[name]
    assert set(table) == set(statuses)


@pytest.mark.parametrize("name", MACHINES)
def test_the_machine_allows_exactly_the_moves_of_the_table(name):
    machine, statuses, table = MACHINES[name]
    listed = _listed(table)
    in_code = set(machine.pairs())
    assert not in_code - listed, f"{name}: moves the code allows that the table does not list: {sorted(in_code - listed)}"
    assert not listed - in_code, f"{name}: moves of the table the code refuses: {sorted(listed - in_code)}"
    wrong = []
    for src in statuses:
        for dst in statuses:
            if (src, dst) in listed:
                if not machine.can(src, dst):
                    wrong.append(f"{src}->{dst} refused")
                machine.check(src, dst)  # does not raise
                continue
            if machine.can(src, dst):
                wrong.append(f"{src}->{dst} allowed")
            with pytest.raises(IllegalTransition) as info:
                machine.check(src, dst)
            err = info.value
            assert (err.entity, err.current, err.target) == (name, str(src), str(dst))
            assert str(src) in err.detail and str(dst) in err.detail
    assert not wrong, f"{name}: {wrong}"


@pytest.mark.parametrize("name", MACHINES)
def test_terminal_statuses_are_the_ones_with_no_way_out(name):
    machine, statuses, table = MACHINES[name]
    assert {s for s in statuses if machine.is_terminal(s)} == {s for s, targets in table.items() if not targets}


def test_a_carrier_scan_never_moves_a_shipment_backwards():
    for src, dst in SHIPMENT_MACHINE.pairs():
        if src in SHIPMENT_PROGRESS and dst in SHIPMENT_PROGRESS:
            assert SHIPMENT_PROGRESS[dst] >= SHIPMENT_PROGRESS[src], f"{src} -> {dst}"

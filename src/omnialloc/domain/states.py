"""Status machines for orders, shipments, returns and transfers.

Each machine is the single list of legal moves; services call ``check`` before
changing a status so an illegal move is a clear domain error, never silent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum

from omnialloc.domain.enums import OrderStatus as O
from omnialloc.domain.enums import ReturnStatus as R
from omnialloc.domain.enums import ShipmentStatus as S
from omnialloc.domain.enums import TransferStatus as T
from omnialloc.domain.errors import IllegalTransition


@dataclass(frozen=True)
class StateMachine:
    """Legal transitions of one entity kind; terminal states have no way out."""

    entity: str
    transitions: Mapping[StrEnum, frozenset[StrEnum]]

    def can(self, current: StrEnum, target: StrEnum) -> bool:
        return target in self.transitions.get(current, frozenset())

    def check(self, current: StrEnum, target: StrEnum) -> None:
        if not self.can(current, target):
            raise IllegalTransition(self.entity, str(current), str(target))

    def is_terminal(self, status: StrEnum) -> bool:
        return not self.transitions.get(status)

    def pairs(self) -> Iterable[tuple[StrEnum, StrEnum]]:
        for src, targets in self.transitions.items():
            for dst in targets:
                yield src, dst


def _machine(entity: str, table: Mapping[StrEnum, AbstractSet[StrEnum]]) -> StateMachine:
    return StateMachine(entity, {k: frozenset(v) for k, v in table.items()})


ORDER_MACHINE = _machine("order", {
    O.CREATED: {O.VALIDATED, O.ON_HOLD, O.CANCELLED},
    O.VALIDATED: {O.ALLOCATED, O.BACKORDERED, O.ON_HOLD, O.CANCELLED},
    O.ON_HOLD: {O.VALIDATED, O.CANCELLED},
    # BACKORDERED: some units wait for stock, whatever else of the order has shipped. It ends when they are
    # placed (ALLOCATED, or PARTIALLY_SHIPPED if some left already) or cancelled (then the rest decides).
    O.BACKORDERED: {O.ALLOCATED, O.PARTIALLY_SHIPPED, O.SHIPPED, O.DELIVERED, O.RTO, O.ON_HOLD, O.CANCELLED},
    # ALLOCATED -> BACKORDERED: every node rejected and no other node can take the lines.
    O.ALLOCATED: {O.BACKORDERED, O.PARTIALLY_SHIPPED, O.SHIPPED, O.READY_FOR_PICKUP, O.ON_HOLD, O.CANCELLED},
    # PARTIALLY_SHIPPED -> BACKORDERED: the unshipped rest was rejected and no other node can take it.
    O.PARTIALLY_SHIPPED: {O.BACKORDERED, O.SHIPPED, O.DELIVERED, O.RTO},
    O.SHIPPED: {O.DELIVERED, O.RTO},
    O.READY_FOR_PICKUP: {O.PICKED_UP, O.CANCELLED},
    O.DELIVERED: set(),
    O.PICKED_UP: set(),
    O.RTO: set(),
    O.CANCELLED: set(),
})

_IN_FLIGHT = {S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED, S.RTO_INITIATED}

SHIPMENT_MACHINE = _machine("shipment", {
    S.ALLOCATED: {S.ACCEPTED, S.REJECTED, S.CANCELLED},
    S.ACCEPTED: {S.PACKED, S.REJECTED, S.CANCELLED, S.READY_FOR_PICKUP},
    S.PACKED: {S.SHIPPED, S.CANCELLED, S.READY_FOR_PICKUP},
    # Carriers skip scans, so a later scan may arrive without the earlier ones.
    S.SHIPPED: _IN_FLIGHT,
    S.PICKED_UP: _IN_FLIGHT - {S.PICKED_UP},
    S.IN_TRANSIT: {S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED, S.RTO_INITIATED},
    S.OUT_FOR_DELIVERY: {S.DELIVERED, S.DELIVERY_FAILED, S.RTO_INITIATED},
    # A failed attempt is followed by a re-attempt or by return to origin.
    S.DELIVERY_FAILED: {S.OUT_FOR_DELIVERY, S.DELIVERED, S.RTO_INITIATED},
    S.RTO_INITIATED: {S.RTO_DELIVERED},
    S.READY_FOR_PICKUP: {S.COLLECTED, S.CANCELLED},
    S.REJECTED: set(),
    S.DELIVERED: set(),
    S.RTO_DELIVERED: set(),
    S.COLLECTED: set(),
    S.CANCELLED: set(),
})

RETURN_MACHINE = _machine("return", {
    R.REQUESTED: {R.APPROVED, R.REJECTED, R.CANCELLED},
    R.APPROVED: {R.PICKUP_SCHEDULED, R.RECEIVED, R.CANCELLED},
    R.PICKUP_SCHEDULED: {R.PICKED_UP, R.IN_TRANSIT, R.RECEIVED, R.CANCELLED},
    R.PICKED_UP: {R.IN_TRANSIT, R.RECEIVED},
    R.IN_TRANSIT: {R.RECEIVED},
    R.RECEIVED: {R.GRADED},
    R.GRADED: {R.CLOSED},
    R.REJECTED: set(),
    R.CLOSED: set(),
    R.CANCELLED: set(),
})

TRANSFER_MACHINE = _machine("transfer", {
    T.CREATED: {T.DISPATCHED, T.CANCELLED},
    T.DISPATCHED: {T.RECEIVED},
    T.RECEIVED: set(),
    T.CANCELLED: set(),
})

# Progress order of carrier scans: a tracking event never moves a shipment backwards.
SHIPMENT_PROGRESS = {
    S.SHIPPED: 0, S.PICKED_UP: 1, S.IN_TRANSIT: 2, S.OUT_FOR_DELIVERY: 3, S.DELIVERY_FAILED: 3,
    S.DELIVERED: 5, S.RTO_INITIATED: 4, S.RTO_DELIVERED: 6,
}

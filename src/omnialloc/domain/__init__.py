"""Pure domain model of omnialloc: the nouns of order management and their rules.

Nothing in here does I/O or imports another omnialloc package; the store, the
services and the API all speak in these types.
"""

from omnialloc.domain.errors import Conflict, DomainError, FieldError, IllegalTransition, NotFound, UnknownPin, ValidationFailed
from omnialloc.domain.enums import (
    Capability,
    DeliveryMode,
    Grade,
    NodeKind,
    OrderStatus,
    PaymentMode,
    ReturnReason,
    ReturnResolution,
    ReturnStatus,
    Role,
    ShipmentStatus,
    TransferStatus,
    Zone,
)
from omnialloc.domain.network import Channel, InventoryPosition, Node, Sku
from omnialloc.domain.logistics import Carrier, RateCard, Serviceability
from omnialloc.domain.orders import Address, Order, OrderLine
from omnialloc.domain.shipments import Shipment, ShipmentLine
from omnialloc.domain.events import Event
from omnialloc.domain.states import ORDER_MACHINE, RETURN_MACHINE, SHIPMENT_MACHINE, TRANSFER_MACHINE, StateMachine

__all__ = [
    "Address", "Capability", "Carrier", "Channel", "Conflict", "FieldError", "DeliveryMode", "DomainError", "Event", "Grade",
    "IllegalTransition", "InventoryPosition", "Node", "NodeKind", "NotFound", "ORDER_MACHINE", "Order",
    "OrderLine", "OrderStatus", "PaymentMode", "RETURN_MACHINE", "RateCard", "ReturnReason",
    "ReturnResolution", "ReturnStatus", "Role", "SHIPMENT_MACHINE", "Serviceability", "Shipment",
    "ShipmentLine", "ShipmentStatus", "Sku", "StateMachine", "TRANSFER_MACHINE", "TransferStatus",
    "UnknownPin", "ValidationFailed", "Zone",
]

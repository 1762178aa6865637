"""Closed vocabularies of the domain (statuses, kinds, modes) as string enums.

String values are what the API and the database carry, so they never change
meaning once shipped.
"""

from enum import StrEnum


class NodeKind(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    DROPSHIP_VENDOR = "dropship_vendor"
    RETURN_CENTER = "return_center"


class Capability(StrEnum):
    SHIP = "ship"
    PICKUP_IN_STORE = "pickup_in_store"
    ACCEPT_RETURNS = "accept_returns"
    REFURBISH = "refurbish"
    REPAIR = "repair"


class PaymentMode(StrEnum):
    PREPAID = "PREPAID"
    COD = "COD"


class DeliveryMode(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


class Zone(StrEnum):
    """Indian courier zones: A same city, B same state, C metro to metro, D rest of India, E special."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class OrderStatus(StrEnum):
    CREATED = "CREATED"
    VALIDATED = "VALIDATED"
    ON_HOLD = "ON_HOLD"
    BACKORDERED = "BACKORDERED"
    ALLOCATED = "ALLOCATED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    PICKED_UP = "PICKED_UP"
    RTO = "RTO"
    CANCELLED = "CANCELLED"


class ShipmentStatus(StrEnum):
    ALLOCATED = "ALLOCATED"            # planned and reserved, waiting for the node to accept
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"                # handed over with an AWB, on the manifest
    PICKED_UP = "PICKED_UP"            # carrier scanned it at the node
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    DELIVERED = "DELIVERED"
    RTO_INITIATED = "RTO_INITIATED"
    RTO_DELIVERED = "RTO_DELIVERED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"  # BOPIS: waiting at the store counter
    COLLECTED = "COLLECTED"                # BOPIS: the customer took it
    CANCELLED = "CANCELLED"


class ReturnStatus(StrEnum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PICKUP_SCHEDULED = "PICKUP_SCHEDULED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    RECEIVED = "RECEIVED"
    GRADED = "GRADED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class ReturnReason(StrEnum):
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    SIZE_FIT = "size_fit"
    NOT_AS_DESCRIBED = "not_as_described"
    CHANGED_MIND = "changed_mind"
    DEFECTIVE = "defective"
    RTO = "rto"


class ReturnResolution(StrEnum):
    REFUND = "refund"
    EXCHANGE = "exchange"
    STORE_CREDIT = "store_credit"


class Grade(StrEnum):
    A = "A"  # sellable: restock
    B = "B"  # refurbish
    C = "C"  # recycle: write off
    D = "D"  # repair / service


class TransferStatus(StrEnum):
    CREATED = "CREATED"
    DISPATCHED = "DISPATCHED"
    RECEIVED = "RECEIVED"
    CANCELLED = "CANCELLED"


class Role(StrEnum):
    ADMIN = "admin"
    CHANNEL = "channel"
    NODE = "node"
    CARRIER = "carrier"
    ANALYST = "analyst"

"""Repositories: one small module per aggregate, Core SQL in, domain dataclasses out."""

from omnialloc.store.repositories.allocations import AllocationRepository
from omnialloc.store.repositories.api_keys import ApiKeyRepository
from omnialloc.store.repositories.carriers import CarrierRepository
from omnialloc.store.repositories.channels import ChannelRepository
from omnialloc.store.repositories.events import EventRepository
from omnialloc.store.repositories.inventory import InventoryRepository
from omnialloc.store.repositories.nodes import NodeRepository
from omnialloc.store.repositories.orders import OrderPage, OrderRepository
from omnialloc.store.repositories.shipments import HOLDING_STATUSES, ShipmentRepository
from omnialloc.store.repositories.skus import SkuRepository

__all__ = [
    "AllocationRepository", "ApiKeyRepository", "CarrierRepository", "ChannelRepository", "EventRepository",
    "HOLDING_STATUSES", "InventoryRepository", "NodeRepository", "OrderPage", "OrderRepository",
    "ShipmentRepository", "SkuRepository",
]

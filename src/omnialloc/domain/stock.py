"""Stock as people read it: one (node, SKU) row with its node's kind, a SKU's availability over a set of
nodes, and why a stock import would break the stock.

``InventoryPosition`` (``domain.network``) is what allocation reserves against; these are the views around
it. ATP (available to promise) is on_hand - reserved - safety_stock, never below 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from omnialloc.domain.enums import NodeKind


def atp(on_hand: int, reserved: int, safety_stock: int) -> int:
    return max(0, on_hand - reserved - safety_stock)


@dataclass(frozen=True)
class StockLevel:
    """One stock row as the inventory views show it."""

    node: str
    sku: str
    node_kind: NodeKind
    on_hand: int
    reserved: int
    safety_stock: int
    updated_at: datetime | None = None

    @property
    def atp(self) -> int:
        return atp(self.on_hand, self.reserved, self.safety_stock)


@dataclass(frozen=True)
class SkuAvailability:
    """A SKU's ATP summed over some nodes (each node's ATP counted from 0), and its latest stock change there."""

    sku: str
    atp: int
    changed_at: datetime | None = None


@dataclass(frozen=True)
class ImportShortfall:
    """A position a stock import would leave below zero or below its reserved units.

    ``line``: the file's line of the row (0: a position a snapshot leaves out, which counts it as 0);
    ``qty``: the row's quantity (None for a position left out)."""

    line: int
    node: str
    sku: str
    qty: int | None
    on_hand: int
    reserved: int


class ImportRefused(Exception):
    """The stock's constraints refused a staged import; nothing of it was applied.

    ``shortfalls``: the first offending positions in file order; ``total``: how many there are in all."""

    def __init__(self, shortfalls: list[ImportShortfall], total: int):
        super().__init__(f"{total} position(s) would go below zero or below the reserved units")
        self.shortfalls = shortfalls
        self.total = total

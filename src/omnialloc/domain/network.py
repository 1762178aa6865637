"""The fulfilment network: nodes, SKUs, stock positions and sales channels."""

from __future__ import annotations

from dataclasses import dataclass, field

from omnialloc.domain.enums import Capability, NodeKind


@dataclass
class Node:
    """A place stock ships from or returns to: warehouse, store, dropship vendor, return centre."""

    code: str
    name: str
    kind: NodeKind
    pin: str
    city: str
    state: str
    lat: float
    lon: float
    address: str = ""
    capabilities: frozenset[Capability] = frozenset({Capability.SHIP})
    daily_capacity: int = 1000          # shipments per day
    handling_cost_paise: int = 0        # per shipment
    priority: int = 100                 # lower is preferred (the "priority" strategy)
    active: bool = True
    groups: frozenset[str] = frozenset()  # named node groups, e.g. "south-fcs"
    gstin: str = ""                     # GST registration; empty when the node has none

    def can(self, capability: Capability) -> bool:
        return self.active and capability in self.capabilities


@dataclass
class Sku:
    """A stock-keeping unit with the physical facts that drive shipping cost."""

    code: str
    name: str
    category: str
    unit_weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    unit_price_paise: int
    hazmat: bool = False
    fragile: bool = False
    returnable: bool = True
    hsn_code: str = ""                  # HSN/SAC code for the GST invoice
    gst_rate_bp: int = 0                # GST rate in basis points (1800 = 18%)
    barcodes: tuple[str, ...] = ()      # EAN-13 / UPC-A / EAN-8 codes, in the order given
    active: bool = True                 # inactive: no new orders; kept because orders refer to it

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@dataclass
class InventoryPosition:
    """Stock of one SKU at one node. ATP is what a new order may take."""

    node: str
    sku: str
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0

    @property
    def atp(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety_stock)


@dataclass
class Channel:
    """A sales channel (web shop, marketplace, POS) that sends orders and receives stock feeds."""

    code: str
    name: str
    kind: str = "webshop"               # webshop | marketplace | pos | shopify | woocommerce
    return_window_days: int = 30
    buffer_units: int = 0               # held back from the channel's stock feed
    buffer_percent: int = 0             # percent of ATP held back
    feeding_nodes: frozenset[str] = field(default_factory=frozenset)  # empty = all nodes
    active: bool = True
    return_windows: tuple[tuple[str, int], ...] = ()  # (category, days) over return_window_days, sorted
    default_promise_days: int | None = None  # the promise when an order asks none (None: fastest)
    # How the channel's orders treat a promise they do not carry themselves (the channel's default, a rule's, the
    # fastest date plus slack; issue 24, docs/promise.md): "soft" pays late_penalty_paise per day late (None: the
    # late_paise_per_day setting), "hard" makes a plan that cannot keep it infeasible (the order waits).
    promise_policy: str = "soft"
    late_penalty_paise: int | None = None

"""The one interface every shop push adapter offers, and what a push returns.

The outbox calls an adapter with our own words (an order reference, shipments
with their tracking, a reason, stock per SKU and location) and gets back a
``PushResult`` that says what to do with the outbox row:

* ``DELIVERED``: the shop has it (also when it already had it: every push is
  idempotent on the shop's side, so a retry after a lost answer does no harm);
* ``RETRY``: try again, no sooner than ``retry_after`` seconds when the shop
  said so (429 with ``Retry-After``), else with the outbox's backoff. ``pending``
  holds the part not yet done (stock levels), so a retry need not redo the rest;
* ``FAILED``: permanent; ``detail`` carries the shop's own error text for the
  dead-letter queue. Sending it again cannot succeed until a person changes
  something (a scope, a SKU, the order in the shop).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from omnialloc.edge.http import Reply


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class StockLevel:
    """How many units of ``sku`` the channel may sell from ``location`` (the shop's location id; None: the shop's
    only stock figure, as in WooCommerce)."""

    sku: str
    available: int
    location: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.sku, str) or not self.sku.strip():
            raise ValueError("a stock level needs a SKU")
        if isinstance(self.available, bool) or not isinstance(self.available, int) or self.available < 0:
            raise ValueError(f"available units of {self.sku} must be a whole number >= 0, got {self.available!r}")


@dataclass(frozen=True)
class ShippedLine:
    sku: str
    qty: int

    def __post_init__(self) -> None:
        if isinstance(self.qty, bool) or not isinstance(self.qty, int) or self.qty < 1:
            raise ValueError(f"shipped quantity of {self.sku} must be a whole number >= 1, got {self.qty!r}")


@dataclass(frozen=True)
class ShipmentTracking:
    """One parcel that left for the customer: what is in it and how to follow it."""

    ref: str                              # our shipment id (goes into notes, for people and for idempotency)
    awb: str                              # tracking number
    carrier: str                          # the carrier's name as the shop should show it ("Delhivery")
    lines: tuple[ShippedLine, ...]
    tracking_url: str | None = None
    location: str | None = None           # the shop's location id of the node that shipped it, when known
    notify_customer: bool = True

    def __post_init__(self) -> None:
        if not self.ref or not self.awb:
            raise ValueError("a shipped parcel needs our reference and its AWB")
        if not isinstance(self.lines, tuple) or not self.lines:
            raise ValueError(f"shipment {self.ref} has no lines (a tuple of ShippedLine)")


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    detail: str = ""
    retry_after: float | None = None
    status: int | None = None             # the HTTP status that decided it, if any
    pending: tuple[StockLevel, ...] = ()  # RETRY of set_stock: the levels not yet set
    skipped: tuple[str, ...] = ()         # SKUs the shop does not sell (nothing to set; not an error)

    @property
    def delivered(self) -> bool:
        return self.outcome is Outcome.DELIVERED

    @classmethod
    def ok(cls, detail: str = "", *, skipped: tuple[str, ...] = ()) -> PushResult:
        return cls(Outcome.DELIVERED, detail, skipped=skipped)

    @classmethod
    def unexpected(cls, reply: Reply, shop: str, wanted: str, *, pending: tuple[StockLevel, ...] = ()) -> PushResult:
        """A 2xx that is not the documented answer (a proxy's or a maintenance page): RETRY, the state is re-read."""
        excerpt = " ".join(reply.body[:120].decode("utf-8", errors="replace").split())
        return cls(Outcome.RETRY, f"{shop} answered HTTP {reply.status} without {wanted}: {excerpt!r}",
                   status=reply.status, pending=pending)

    @classmethod
    def from_reply(cls, reply: Reply, *, pending: tuple[StockLevel, ...] = ()) -> PushResult:
        """RETRY or FAILED from a reply that did not succeed."""
        outcome = Outcome.RETRY if reply.transient else Outcome.FAILED
        return cls(outcome, reply.problem, reply.retry_after, reply.status,
                   pending if outcome is Outcome.RETRY else ())


def answer_problem(reply: Reply, shop: str, key: str | None, kind: type, *,
                   pending: tuple[StockLevel, ...] = ()) -> PushResult | None:
    """None when ``reply`` is a success with the documented JSON (a ``kind`` under ``key``); else the result."""
    if not reply.ok:
        return PushResult.from_reply(reply, pending=pending)
    if not reply.holds(key, kind):
        return PushResult.unexpected(reply, shop, f"{key!r}" if key else f"a JSON {kind.__name__}", pending=pending)
    return None


@dataclass(frozen=True)
class CancelReason:
    """Why we cancelled, in the shop's vocabulary where it has one."""

    code: str = "other"                   # customer | inventory | fraud | declined | other
    note: str = ""                        # free text for the shop's staff

    CODES = ("customer", "inventory", "fraud", "declined", "other")

    def __post_init__(self) -> None:
        if self.code not in self.CODES:
            raise ValueError(f"cancel reason must be one of {', '.join(self.CODES)}, got {self.code!r}")


@runtime_checkable
class ShopPush(Protocol):
    """Tell a shop what happened to its order and how much it may sell. Never raises for a shop's failure."""

    channel_kind: str

    def fulfil(self, order_ref: str, shipments: tuple[ShipmentTracking, ...], *, all_shipped: bool = True
               ) -> PushResult:
        """Mark the parcels shipped in the shop, with their tracking (once per parcel, however often called).
        ``all_shipped``: the whole order has now left (shops with one order status move it on)."""

    def cancel(self, order_ref: str, reason: CancelReason) -> PushResult:
        """Cancel the order in the shop (delivered if it already is)."""

    def set_stock(self, levels: tuple[StockLevel, ...]) -> PushResult:
        """Set the sellable quantity of each SKU (per location where the shop has locations)."""

    def close(self) -> None: ...

"""Global inventory: the stock view across nodes, adjustments with reason codes, stock arriving.

* ``list_positions`` / ``sku_view``: on_hand, reserved, safety stock and
  available-to-promise (ATP = on_hand - reserved - safety_stock, never below 0)
  per node, and totals by node kind (warehouse, store, dropship vendor, ...).
* ``adjust``: all-or-nothing on-hand changes, each with a reason code and an
  ``inventory`` event; a result below zero (or below what is reserved) is refused.
* every increase (adjustment, import, transfer receipt, restock) queues a
  retry of the backordered orders wanting those SKUs in its own transaction;
  the backorder worker allocates them (``services/orders/backorders.py``).

Bulk CSV imports live in ``services/inventory/stock_import.py``; transfers in
``services/inventory/transfers.py``.
"""

from __future__ import annotations

from collections import defaultdict

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import FieldError, NotFound, ValidationFailed
from omnialloc.domain.stock import StockLevel
from omnialloc.services import paging
from omnialloc.services.access import Principal
from omnialloc.services import bus
from omnialloc.services.events import record
from omnialloc.services.messages import RetryBackorders

# Which way each reason moves stock: +1 only up, -1 only down, 0 either way.
REASON_SIGN = {
    "receipt": +1, "transfer_in": +1, "return": +1, "rto": +1,
    "damage": -1, "transfer_out": -1,
    "cycle_count": 0, "correction": 0,
}
READERS = (Role.ADMIN, Role.ANALYST, Role.NODE)


def adjust(ctx, principal: Principal, adjustments: list[dict]) -> dict:
    """Apply all adjustments or none; a result below zero (or below what is reserved) is refused."""
    principal.require(Role.ADMIN, Role.NODE)
    errors = []
    for a in adjustments:
        if not principal.sees_node(a["node"]):
            raise NotFound(f"node {a['node']} not found")
    for i, a in enumerate(adjustments):
        sign = REASON_SIGN.get(a["reason"])
        if sign is None:
            errors.append(FieldError(f"adjustments.{i}.reason", f"unknown reason {a['reason']!r}"))
        elif a["delta"] == 0:
            errors.append(FieldError(f"adjustments.{i}.delta", "a zero adjustment changes nothing; leave it out"))
        elif sign * a["delta"] < 0:
            direction = "add" if sign > 0 else "remove"
            errors.append(FieldError(f"adjustments.{i}.delta",
                                     f"reason {a['reason']!r} can only {direction} stock (delta {a['delta']})"))
    if errors:
        raise ValidationFailed("no adjustment was applied: " + errors[0].message, field_errors=errors)
    with ctx.uow() as uow:
        # one read for both, not one a line
        nodes_known, skus_known = uow.inventory.known({a["node"] for a in adjustments}, {a["sku"] for a in adjustments})
        # Stock rows in (node, SKU) order, as allocations reserve them: a receipt's UPDATE locks its row until
        # the commit, and two writers taking two rows in opposite orders would deadlock.
        for i, a in sorted(enumerate(adjustments), key=lambda item: (item[1]["node"], item[1]["sku"])):
            if a["node"] not in nodes_known:
                errors.append(FieldError(f"adjustments.{i}.node", f"unknown node {a['node']!r}"))
            elif a["sku"] not in skus_known:
                errors.append(FieldError(f"adjustments.{i}.sku", f"unknown SKU {a['sku']!r}"))
            elif not uow.inventory.adjust(a["node"], a["sku"], a["delta"]):
                errors.append(FieldError(f"adjustments.{i}.delta",
                                         f"would take on-hand of {a['sku']} at {a['node']} below zero or below "
                                         "the reserved units"))
            else:
                record(uow, "inventory", f"{a['node']}:{a['sku']}", "adjusted", principal.actor, reason=a["reason"],
                       delta=a["delta"], note=a.get("note", ""), node=a["node"], sku=a["sku"])
        if errors:
            errors.sort(key=lambda e: int(e.field.split(".")[1]))  # (in the request's order)
            raise ValidationFailed("no adjustment was applied: " + errors[0].message, field_errors=errors)
        # Waiting orders get the new stock from the backorder worker, not in this request: the answer
        # reports what this transaction stored (services.orders.backorders).
        queued = bus.send(uow, RetryBackorders.of({a["sku"] for a in adjustments if a["delta"] > 0}, "receipt"))
        uow.commit()
    return {"applied": len(adjustments), "backorder_retries_queued": queued}


# ------------------------------------------------------------------ views
def list_positions(ctx, principal: Principal, *, sku: str | None = None, node: str | None = None,
                   kind: str | None = None, limit: int = 100, cursor: str | None = None) -> dict:
    """Stock rows ordered by (node, sku), filtered, with cursor pagination. A node key sees its own node only."""
    principal.require(*READERS)
    if principal.role == Role.NODE:
        if node is not None and node != principal.node:
            return {"items": [], "next_cursor": None}
        node = principal.node
    limit = max(1, min(limit, ctx.settings.max_page_size))
    after = paging.decode(ctx.settings.secret_key, "inventory", cursor, (str, str)) if cursor else None
    with ctx.uow(readonly=True) as uow:
        rows = uow.inventory.levels(sku=sku, node=node, node_kind=kind, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_row_view(r) for r in rows]
    return {"items": items, "next_cursor": paging.encode(ctx.settings.secret_key, "inventory",
                                                         (rows[-1].node, rows[-1].sku)) if more else None}


def _row_view(r: StockLevel) -> dict:
    return {"node": r.node, "sku": r.sku, "kind": str(getattr(r.node_kind, "value", r.node_kind)),
            "on_hand": r.on_hand, "reserved": r.reserved, "safety_stock": r.safety_stock, "atp": r.atp,
            "updated_at": r.updated_at}


def sku_view(ctx, principal: Principal, sku: str) -> dict:
    """One SKU everywhere: per node, totals by node kind and the network total."""
    principal.require(*READERS)
    with ctx.uow(readonly=True) as uow:
        if not uow.skus.get_many([sku]):
            raise NotFound(f"SKU {sku} not found")
        rows = uow.inventory.levels(sku=sku, node=principal.node if principal.role == Role.NODE else None)
    per_node = [_row_view(r) for r in rows]
    by_kind: dict[str, dict] = defaultdict(lambda: {"nodes": 0, "on_hand": 0, "reserved": 0, "safety_stock": 0, "atp": 0})
    total = {"nodes": 0, "on_hand": 0, "reserved": 0, "safety_stock": 0, "atp": 0}
    for row in per_node:
        for bucket in (by_kind[row["kind"]], total):
            bucket["nodes"] += 1
            for k in ("on_hand", "reserved", "safety_stock", "atp"):
                bucket[k] += row[k]
    return {"sku": sku, "nodes": per_node, "by_kind": dict(sorted(by_kind.items())), "total": total}

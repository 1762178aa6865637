"""Stock adjustments with reason codes; stock arriving retries backordered orders."""

from __future__ import annotations

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import FieldError, NotFound, ValidationFailed
from omnialloc.services.access import Principal
from omnialloc.services.events import record


def adjust(ctx, principal: Principal, adjustments: list[dict]) -> dict:
    """Apply all adjustments or none; a result below zero (or below what is reserved) is refused."""
    principal.require(Role.ADMIN, Role.NODE)
    errors = []
    for i, a in enumerate(adjustments):
        if not principal.sees_node(a["node"]):
            raise NotFound(f"node {a['node']} not found")
    with ctx.uow() as uow:
        for i, a in enumerate(adjustments):
            if uow.nodes.get(a["node"]) is None:
                errors.append(FieldError(f"adjustments.{i}.node", f"unknown node {a['node']!r}"))
            elif not uow.skus.get_many([a["sku"]]):
                errors.append(FieldError(f"adjustments.{i}.sku", f"unknown SKU {a['sku']!r}"))
            elif not uow.inventory.adjust(a["node"], a["sku"], a["delta"]):
                errors.append(FieldError(f"adjustments.{i}.delta",
                                         f"would take on-hand of {a['sku']} at {a['node']} below zero or below "
                                         "the reserved units"))
            else:
                record(uow, "inventory", f"{a['node']}:{a['sku']}", "adjusted", principal.actor, reason=a["reason"],
                       delta=a["delta"], note=a.get("note", ""))
        if errors:
            raise ValidationFailed("no adjustment was applied: " + errors[0].message, field_errors=errors)
        uow.commit()
    arrived = {a["sku"] for a in adjustments if a["delta"] > 0}
    allocated = 0
    if arrived:
        from omnialloc.services.lifecycle import retry_backorders

        allocated = retry_backorders(ctx, arrived, actor=principal.actor)
    return {"applied": len(adjustments), "backorders_allocated": allocated}

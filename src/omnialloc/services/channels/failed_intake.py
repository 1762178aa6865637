"""The failed-intake queue (issue 27): nothing a shop sends is dropped.

An order that reaches us (a Shopify or WooCommerce webhook, or ``POST /orders``) and fails validation (no
PIN, an unknown SKU, an unserviceable address) is stored here with the raw body exactly as received and the
errors. A shop's retry of the same order lands on the same open entry (its body and errors refreshed). A
person lists the queue, fixes the cause (an alias mapping the shop's SKU to ours: ``put_alias``; a corrected
PIN; a corrected body) and re-submits it: it is mapped and captured like any order (idempotent on channel
and the shop's order id), and the entry records the order it became. Or discards it.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Callable
from datetime import datetime

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.outbound import INTAKE_STATUSES, FailedIntake
from omnialloc.services import paging
from omnialloc.services.access import Principal
from omnialloc.services.events import now, record

MAX_RAW = 1_000_000   # characters of a raw body kept (the API's body limit is 1 MiB anyway)


def errors_of(exc) -> list[dict]:
    out = [{"field": e.field, "message": e.message} for e in getattr(exc, "field_errors", [])]
    return out or [{"field": "body", "message": getattr(exc, "detail", str(exc))}]


def store(ctx, *, channel: str, source: str, raw_body: bytes | str, payload, errors: list[dict],
          external_id: str | None) -> str:
    """Keep a failed order; returns the queue entry's id (the open entry of the same shop order, if any)."""
    raw = raw_body.decode("utf-8", errors="replace") if isinstance(raw_body, bytes) else str(raw_body)
    at = now()
    ext = None if external_id in (None, "") else str(external_id)[:128]
    with ctx.uow() as uow:
        existing = uow.failed_intakes.open_for(channel, ext) if ext else None
        if existing is not None:
            uow.failed_intakes.update(existing.id, expected_status="open", at=at, raw_body=raw[:MAX_RAW],
                                      payload=payload, errors=errors, attempts=existing.attempts + 1)
            uow.commit()
            return existing.id
        entry = FailedIntake(id="fin_" + secrets.token_hex(8), channel=channel[:64], source=source,
                             raw_body=raw[:MAX_RAW], errors=errors, status="open", created_at=at, updated_at=at,
                             external_id=ext, payload=payload)
        # No audit event: a refused request leaves the order trail as it was (the entry is its own record).
        uow.failed_intakes.add(entry)
        uow.commit()
        return entry.id


def apply_aliases(uow, channel: str, order_body: dict) -> dict:
    """The order body with the channel's SKU aliases replaced by our SKUs (lines of one SKU merged)."""
    lines = order_body.get("lines") or []
    aliases = uow.sku_aliases.resolve(channel, [str(line.get("sku")) for line in lines if isinstance(line, dict)])
    if not aliases:
        return order_body
    merged: dict[str, dict] = {}
    for line in lines:
        line = dict(line)
        line["sku"] = aliases.get(line["sku"], line["sku"])
        if line["sku"] in merged:
            merged[line["sku"]]["qty"] += line["qty"]
        else:
            merged[line["sku"]] = line
    return {**order_body, "lines": list(merged.values())}


# ------------------------------------------------------------------ the admin's queue
def view(f: FailedIntake, *, with_body: bool = True) -> dict:
    out = {"id": f.id, "channel": f.channel, "source": f.source, "external_id": f.external_id, "status": f.status,
           "errors": f.errors, "attempts": f.attempts, "order_id": f.order_id, "created_at": f.created_at,
           "updated_at": f.updated_at, "resolved_by": f.resolved_by}
    if with_body:
        out.update(raw_body=f.raw_body, payload=f.payload)
    return out


def list_intakes(ctx, principal: Principal, *, status: str | None = "open", channel: str | None = None,
                 limit: int = 50, cursor: str | None = None) -> dict:
    principal.require(Role.ADMIN, Role.ANALYST)
    if status is not None and status not in INTAKE_STATUSES:
        raise ValidationFailed("bad filter", field_errors=[FieldError("status",
                                                                      f"one of {', '.join(INTAKE_STATUSES)}")])
    limit = max(1, min(int(limit), ctx.settings.max_page_size))
    before = paging.decode(ctx.settings.secret_key, "failed-intakes", cursor, (datetime, str)) if cursor else None
    with ctx.uow(readonly=True) as uow:
        rows = uow.failed_intakes.newest_first(status=status, channel=channel, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [view(f, with_body=False) for f in rows],
            "next_cursor": paging.encode(ctx.settings.secret_key, "failed-intakes", (rows[-1].created_at, rows[-1].id))
            if more and rows else None}


def get_intake(ctx, principal: Principal, intake_id: str) -> dict:
    principal.require(Role.ADMIN, Role.ANALYST)
    with ctx.uow(readonly=True) as uow:
        f = uow.failed_intakes.get(intake_id)
    if f is None:
        raise NotFound(f"failed intake {intake_id} not found")
    return view(f)


def put_alias(ctx, principal: Principal, channel: str, alias: str, sku: str) -> dict:
    """Map the channel's SKU ``alias`` to our ``sku`` (orders naming the alias get our SKU from now on)."""
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        if uow.channels.get(channel) is None:
            raise NotFound(f"channel {channel} not found")
        if uow.skus.get(sku) is None:
            raise ValidationFailed(f"SKU {sku} does not exist", field_errors=[FieldError("sku", "unknown SKU")])
        uow.sku_aliases.put(channel, alias, sku, actor=principal.actor, at=now())
        record(uow, "channel", channel, "sku_alias_set", principal.actor, alias=alias, sku=sku)
        uow.commit()
    return {"channel": channel, "alias": alias, "sku": sku}


def list_aliases(ctx, principal: Principal, channel: str) -> dict:
    principal.require(Role.ADMIN, Role.ANALYST)
    with ctx.uow(readonly=True) as uow:
        if uow.channels.get(channel) is None:
            raise NotFound(f"channel {channel} not found")
        return {"items": [{"channel": r["channel"], "alias": r["alias"], "sku": r["sku"]}
                          for r in uow.sku_aliases.list(channel)]}


def delete_alias(ctx, principal: Principal, channel: str, alias: str) -> None:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        if not uow.sku_aliases.delete(channel, alias):
            raise NotFound(f"alias {alias} of channel {channel} not found")
        record(uow, "channel", channel, "sku_alias_removed", principal.actor, alias=alias)
        uow.commit()


def _with_pin(source: str, payload, pin: str):
    p = copy.deepcopy(payload) if isinstance(payload, dict) else {}
    if source == "shopify":
        p.setdefault("shipping_address", {})
        if not isinstance(p["shipping_address"], dict):
            p["shipping_address"] = {}
        p["shipping_address"]["zip"] = pin
    elif source == "woocommerce":
        target = "shipping" if isinstance(p.get("shipping"), dict) and (p["shipping"].get("address_1")
                                                                       or p["shipping"].get("postcode")) else "billing"
        p.setdefault(target, {})
        p[target]["postcode"] = pin
    else:
        p.setdefault("ship_to", {})
        p["ship_to"]["pin"] = pin
    return p


def resubmit(ctx, principal: Principal, intake_id: str, *, submit: Callable[[str, str, object], tuple[dict, bool]],
             pin: str | None = None, payload=None) -> dict:
    """Capture the entry as an order (after an optional corrected PIN or body); the queue entry then points at
    it. ``submit(channel, source, payload)`` maps and captures (``omnichannel.submit``). Still failing: 422 with
    the new errors, and the entry keeps them."""
    principal.require(Role.ADMIN)
    with ctx.uow(readonly=True) as uow:
        f = uow.failed_intakes.get(intake_id)
    if f is None:
        raise NotFound(f"failed intake {intake_id} not found")
    if f.status != "open":
        raise Conflict(f"failed intake {intake_id} is {f.status}")
    body = payload if payload is not None else f.payload
    if body is None:
        try:
            body = json.loads(f.raw_body)
        except ValueError:
            raise ValidationFailed("the stored body is not JSON; send a corrected payload",
                                   field_errors=[FieldError("payload", "required")]) from None
    if pin is not None:
        body = _with_pin(f.source, body, pin)
    at = now()
    try:
        order, created = submit(f.channel, f.source, body)
    except ValidationFailed as exc:
        with ctx.uow() as uow:
            uow.failed_intakes.update(f.id, expected_status="open", at=at, payload=body, errors=errors_of(exc))
            uow.commit()
        raise
    with ctx.uow() as uow:
        if not uow.failed_intakes.update(f.id, expected_status="open", at=at, payload=body, status="resubmitted",
                                         order_id=order["id"], resolved_by=principal.actor):
            raise Conflict(f"failed intake {intake_id} changed while being re-submitted")
        record(uow, "failed_intake", f.id, "resubmitted", principal.actor, from_status="open",
               to_status="resubmitted", order_id=order["id"])
        uow.commit()
        out = view(uow.failed_intakes.get(f.id))
    out["order"] = order
    out["created"] = created
    return out


def discard(ctx, principal: Principal, intake_id: str, reason: str) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        f = uow.failed_intakes.get(intake_id)
        if f is None:
            raise NotFound(f"failed intake {intake_id} not found")
        if not uow.failed_intakes.update(f.id, expected_status="open", at=now(), status="discarded",
                                         resolved_by=principal.actor):
            raise Conflict(f"failed intake {intake_id} is {f.status}")
        record(uow, "failed_intake", f.id, "discarded", principal.actor, from_status="open", to_status="discarded",
               reason=reason)
        uow.commit()
        return view(uow.failed_intakes.get(f.id))

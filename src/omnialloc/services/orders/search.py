"""Order search (issue 27): the one function behind ``GET /orders`` and the console's search screen.

Filters: status, channel, tag, priority (exact) and min_priority, PIN, phone, e-mail, AWB, the shop's order
number (``number``: "#9001" or "9001"), external id, customer id, node, and a created date range; all
optional and combined with AND. Every one is answered by an index (``repositories.order_search``). Pages
are keyset pages (``services.paging``: the same signed cursor as the order list), newest first. A channel
key sees its own channel's orders only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from omnialloc.domain.enums import Role
from omnialloc.services import paging
from omnialloc.services.access import AccessDenied, Principal
from omnialloc.services.orders.queries import READERS, order_dict

FILTERS = ("status", "channel", "tag", "priority", "min_priority", "pin", "phone", "email", "awb", "number",
           "external_id", "customer_id", "node", "created_from", "created_to")


def as_utc(value):
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def search_orders(ctx, principal: Principal, q: dict) -> dict:
    """One page of matching orders (``q``: any of ``FILTERS``, ``limit``, ``cursor``); each item is the order
    summary plus ``channel_order_number``."""
    if principal.role not in READERS:
        raise AccessDenied(f"the {principal.role} role cannot list orders")
    filters = {k: q.get(k) for k in FILTERS if q.get(k) not in (None, "")}
    if principal.role == Role.CHANNEL:
        if filters.get("channel") not in (None, principal.channel):
            return {"items": [], "next_cursor": None}
        filters["channel"] = principal.channel
    for key in ("created_from", "created_to"):
        if key in filters:
            filters[key] = as_utc(filters[key])
    limit = min(q.get("limit") or 50, ctx.settings.max_page_size)
    secret = ctx.settings.secret_key
    after = paging.decode(secret, "orders", q["cursor"], (datetime, str)) if q.get("cursor") else None
    with ctx.uow(readonly=True) as uow:
        keys = uow.order_search.keys(**filters, after=after, limit=limit + 1)
        more = len(keys) > limit
        keys = keys[:limit]
        ids = [k[1] for k in keys]
        found = uow.order_search.orders(ids)
        numbers = uow.order_search.channel_order_numbers(ids)
    items = []
    for o in found:
        item = order_dict(o)
        item["channel_order_number"] = numbers.get(o.id)
        items.append(item)
    return {"items": items, "next_cursor": paging.encode(secret, "orders", keys[-1]) if more and keys else None}

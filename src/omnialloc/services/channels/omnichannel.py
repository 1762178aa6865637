"""Omnichannel: per-channel stock feeds and storefront order intake (Shopify, WooCommerce webhooks).

Stock feed: a channel is fed by its ``feeding_nodes`` (empty = every active
node that ships or offers pickup); per SKU the feed sums ATP over those nodes
and holds back the channel's buffer (channels/feed.py). A feed carries a
``cursor`` (the newest stock change it saw); asking with ``since=<cursor>``
returns only SKUs whose stock changed at a feeding node after it. Quantities
are absolute, so applying a feed twice is harmless; send a full feed now and
then (e.g. nightly) to heal anything a client missed.

Webhooks: the raw body is verified first (base64 HMAC-SHA256 with the
channel's ``webhook_secret``), then mapped by the platform adapter and
captured through ``services.orders.lifecycle.capture`` as the channel itself, so it
is idempotent on (channel, their order id) and validated like any order, after the
channel's SKU aliases are applied. A payload that cannot become an order (no PIN, a
line without SKU, an unknown SKU) is kept in the failed-intake queue
(``failed_intake``) with its raw body and errors and answered 202; nothing a shop
sends is dropped. The shop's own order number ("#9001") is stored for search.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from omnialloc.channels import shopify, woocommerce
from omnialloc.channels.feed import held_back, publishable
from omnialloc.channels.signing import verify
from omnialloc.domain.enums import Capability, Role
from omnialloc.domain.errors import NotFound, ValidationFailed
from omnialloc.services import paging
from omnialloc.services.access import Principal
from omnialloc.services.channels.failed_intake import apply_aliases, errors_of
from omnialloc.services.channels.failed_intake import store as store_failed
from omnialloc.services.events import now
from omnialloc.services.fulfilment.tracking import BadSignature
from omnialloc.services.orders.lifecycle import capture

ADAPTERS = {"shopify": shopify, "woocommerce": woocommerce}


# ------------------------------------------------------------------ stock feed
def feeding_nodes(uow, channel) -> list[str]:
    active = [n for n in uow.nodes.list() if n.active]
    if channel.feeding_nodes:
        return sorted(n.code for n in active if n.code in channel.feeding_nodes)
    return sorted(n.code for n in active if n.can(Capability.SHIP) or n.can(Capability.PICKUP_IN_STORE))


def inventory_feed(ctx, principal: Principal, code: str, *, since: str | None = None) -> dict:
    """What to publish to channel ``code``: per SKU the ATP of its nodes less the buffer."""
    principal.require(Role.ADMIN, Role.ANALYST, Role.CHANNEL)
    after = paging.decode(ctx.settings.secret_key, "inventory-feed", since, (datetime,), field="since")[0] \
        if since else None
    with ctx.uow(readonly=True) as uow:
        channel = uow.channels.get(code)
        if channel is None or not principal.sees_channel(code):
            raise NotFound(f"channel {code} not found")
        nodes = feeding_nodes(uow, channel)
        rows = uow.inventory.availability(nodes, changed_after=after)
        newest = uow.inventory.last_change(nodes)
    items = []
    for r in rows:
        atp = r.atp
        items.append({"sku": r.sku, "available": publishable(atp, channel.buffer_units, channel.buffer_percent),
                      "atp": atp, "buffer": held_back(atp, channel.buffer_units, channel.buffer_percent)})
    cursor_at = newest if newest is not None else after
    if cursor_at is not None and cursor_at.tzinfo is None:
        cursor_at = cursor_at.replace(tzinfo=UTC)
    return {"channel": code, "generated_at": now(), "full": after is None, "since": since,
            "cursor": paging.encode(ctx.settings.secret_key, "inventory-feed",
                                    (max(cursor_at, after) if (cursor_at and after) else cursor_at,))
            if cursor_at else None,
            "buffer_units": channel.buffer_units, "buffer_percent": channel.buffer_percent,
            "feeding_nodes": nodes, "items": items}


def feed_csv(feed: dict) -> str:
    lines = ["sku,available,atp,buffer"]
    lines += [f"{i['sku']},{i['available']},{i['atp']},{i['buffer']}" for i in feed["items"]]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ order intake
def verify_webhook(ctx, code: str, body: bytes, header: str | None, platform: str) -> None:
    with ctx.uow(readonly=True) as uow:
        channel = uow.channels.get(code)
        secret = uow.channels.webhook_secret(code) if channel is not None else None
    if channel is None or not channel.active:
        raise NotFound(f"channel {code} not found")
    if not secret:
        raise BadSignature(f"channel {code} has no webhook secret configured; an admin must set one "
                           f"(omnialloc channels secret {code})")
    header_name = ADAPTERS[platform].SIGNATURE_HEADER
    if not verify(secret, body, header):
        raise BadSignature(f"the {header_name} header does not match the body (base64 HMAC-SHA256 of the raw "
                           "body with the channel's webhook secret)")


def channel_order_number(platform: str, payload) -> str | None:
    """The shop's own order number as its staff and buyers see it: Shopify's ``name`` ("#9001", else
    ``order_number``), WooCommerce's ``number``."""
    if not isinstance(payload, dict):
        return None
    value = (payload.get("name") or payload.get("order_number")) if platform == "shopify" else payload.get("number")
    text = str(value).strip()[:64] if value not in (None, "") else ""
    return text or None


def submit(ctx, code: str, source: str, payload, *, validate=None) -> tuple[dict, bool]:
    """Map (a shop's payload) or validate (``validate``: an API body), apply the channel's SKU aliases and capture
    as channel ``code``. Returns (order view, created); a ValidationFailed says why it cannot be an order."""
    if source in ADAPTERS:
        order_body = ADAPTERS[source].to_order(payload, code)
        number = channel_order_number(source, payload)
    else:
        order_body = validate(payload) if validate is not None else dict(payload)
        number = None
    with ctx.uow(readonly=True) as uow:
        order_body = apply_aliases(uow, code, order_body)
    principal = Principal(name=f"{source}-webhook" if source in ADAPTERS else f"{source}-intake", role=Role.CHANNEL,
                          channel=code)
    view, created = capture(ctx, principal, order_body)
    if number:
        with ctx.uow() as uow:
            uow.order_search.set_channel_order_number(view["id"], number)
            uow.commit()
        view["channel_order_number"] = number
    return view, created


def intake(ctx, code: str, platform: str, payload: dict, raw_body: bytes = b"") -> tuple[dict, int]:
    """Capture a verified storefront order payload (the parsed body) as channel ``code``: (order view, 201 or
    200 for a retry). One that cannot become an order is kept in the failed-intake queue with its raw body and
    errors, and answered 202 (accepted for review), so the shop does not retry it or give up on the webhook."""
    try:
        view, created = submit(ctx, code, platform, payload)
    except ValidationFailed as exc:
        errors = errors_of(exc)
        ext = payload.get("id") if isinstance(payload, dict) else None
        intake_id = store_failed(ctx, channel=code, source=platform, raw_body=raw_body or b"", payload=payload,
                                 errors=errors, external_id=None if ext in (None, "") else str(ext))
        return {"status": "failed_intake", "failed_intake_id": intake_id, "detail": exc.detail, "errors": errors}, 202
    return view, 201 if created else 200


def ping(ctx, code: str) -> None:
    """WooCommerce's ping reaches a known, active channel (404 otherwise); nothing is stored."""
    with ctx.uow(readonly=True) as uow:
        channel = uow.channels.get(code)
    if channel is None or not channel.active:
        raise NotFound(f"channel {code} not found")


def is_woocommerce_ping(body: bytes) -> bool:
    """WooCommerce's test delivery when a webhook is created: a form body ``webhook_id=<id>``, unsigned; it must
    be answered 200 or the shop refuses to save the webhook."""
    return re.fullmatch(rb"webhook_id=[0-9]{1,20}", body.strip()) is not None

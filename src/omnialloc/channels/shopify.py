"""Shopify ``orders/create`` webhook payload -> omnialloc order body (pure).

Their order ``id`` is the external id. Payment is COD when the gateway says
cash on delivery, else prepaid. The ship-to PIN comes from
``shipping_address.zip``; an order without one cannot be allocated and is
refused (422) rather than stored half-mapped.
"""

from __future__ import annotations

from typing import Any

from omnialloc.channels.mapping import (Unmappable, email_of, line_items, merge_lines, need_dict, object_at, phone_of,
                                        pin_of, text)
from omnialloc.domain.errors import FieldError

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"


def _is_cod(p: dict[str, Any]) -> bool:
    names = [str(n).lower() for n in (p.get("payment_gateway_names") or [])] + [str(p.get("gateway") or "").lower()]
    return any("cash on delivery" in n or n.strip() == "cod" or "(cod)" in n for n in names)


def to_order(payload: object, channel: str) -> dict[str, Any]:
    p = need_dict(payload, "Shopify order")
    errors: list[FieldError] = []
    if p.get("id") in (None, ""):
        errors.append(FieldError("id", "the Shopify order has no id"))
    addr = object_at(p, "shipping_address")
    if addr is None:
        errors.append(FieldError("shipping_address", "no shipping address (omnialloc needs a PIN to allocate)"))
        addr = {}
    pin = pin_of(addr.get("zip"))
    if addr and pin is None:
        errors.append(FieldError("shipping_address.zip", f"no valid 6-digit PIN (got {addr.get('zip')!r})"))
    items = line_items(p, errors, title_key="title")
    if errors:
        raise Unmappable("the Shopify order cannot be mapped: " + "; ".join(f"{e.field}: {e.message}" for e in errors[:3]),
                         field_errors=errors)
    customer = object_at(p, "customer") or {}
    name = text(addr.get("name"), 200) or text(f"{addr.get('first_name') or ''} {addr.get('last_name') or ''}", 200)
    tags = [t.strip()[:50] for t in str(p.get("tags") or "").split(",") if t.strip()][:19]
    return {
        "channel": channel, "external_id": str(p["id"])[:100],
        "payment_mode": "COD" if _is_cod(p) else "PREPAID",
        "tags": ["shopify", *tags],
        "customer_id": text(customer.get("id"), 100) or None,
        "ship_to": {
            "name": name or "Shopify customer", "line1": text(addr.get("address1"), 300) or "-",
            "line2": text(addr.get("address2"), 300), "city": text(addr.get("city"), 100) or "-",
            "state": text(addr.get("province"), 100), "pin": pin,
            "phone": phone_of(addr.get("phone") or p.get("phone") or customer.get("phone")),
            "email": email_of(p.get("email") or p.get("contact_email") or customer.get("email")),
        },
        "lines": merge_lines(items),
    }

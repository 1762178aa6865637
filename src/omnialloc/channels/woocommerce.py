"""WooCommerce order webhook payload (``order.created``) -> omnialloc order body (pure).

Their order ``id`` is the external id. ``payment_method == "cod"`` is cash on
delivery. The ship-to comes from ``shipping`` (falling back to ``billing``
when the shop does not collect a separate shipping address); its
``postcode`` must be a 6-digit PIN.
"""

from __future__ import annotations

from typing import Any

from omnialloc.channels.mapping import (Unmappable, email_of, line_items, merge_lines, need_dict, object_at, phone_of,
                                        pin_of, text)
from omnialloc.domain.errors import FieldError

SIGNATURE_HEADER = "X-WC-Webhook-Signature"


def to_order(payload: object, channel: str) -> dict[str, Any]:
    p = need_dict(payload, "WooCommerce order")
    errors: list[FieldError] = []
    if p.get("id") in (None, ""):
        errors.append(FieldError("id", "the WooCommerce order has no id"))
    billing = object_at(p, "billing") or {}
    shipping = object_at(p, "shipping") or {}
    addr = shipping if shipping.get("address_1") or shipping.get("postcode") else billing
    pin = pin_of(addr.get("postcode"))
    if pin is None:
        errors.append(FieldError("shipping.postcode", f"no valid 6-digit PIN (got {addr.get('postcode')!r})"))
    items = line_items(p, errors, title_key="name")
    if errors:
        raise Unmappable("the WooCommerce order cannot be mapped: "
                         + "; ".join(f"{e.field}: {e.message}" for e in errors[:3]), field_errors=errors)
    name = text(f"{addr.get('first_name') or ''} {addr.get('last_name') or ''}", 200)
    return {
        "channel": channel, "external_id": str(p["id"])[:100],
        "payment_mode": "COD" if str(p.get("payment_method") or "").lower() == "cod" else "PREPAID",
        "tags": ["woocommerce"],
        "customer_id": (str(p["customer_id"])[:100] if p.get("customer_id") not in (None, "", 0) else None),
        "ship_to": {
            "name": name or text(addr.get("company"), 200) or "WooCommerce customer",
            "line1": text(addr.get("address_1"), 300) or "-", "line2": text(addr.get("address_2"), 300),
            "city": text(addr.get("city"), 100) or "-", "state": text(addr.get("state"), 100), "pin": pin,
            "phone": phone_of(addr.get("phone") or billing.get("phone")),
            "email": email_of(billing.get("email")),
        },
        "lines": merge_lines(items),
    }

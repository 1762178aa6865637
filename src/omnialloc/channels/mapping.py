"""Shared helpers for mapping storefront payloads to omnialloc order bodies (pure, no I/O)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from omnialloc.domain.errors import FieldError, ValidationFailed


class Unmappable(ValidationFailed):
    """The payload cannot become an order (no PIN, a line without SKU, ...): 422, nothing stored."""

    title = "Unmappable payload"


def text(value: object, limit: int) -> str:
    return "" if value is None else str(value).strip()[:limit]


def pin_of(value: object) -> str | None:
    """An Indian PIN from a postcode field ('560 038', '560038') or None."""
    digits = re.sub(r"[\s\-]", "", str(value or ""))
    return digits if re.fullmatch(r"[1-9][0-9]{5}", digits) else None


def phone_of(value: object) -> str:
    cleaned = re.sub(r"[^0-9+ \-]", "", str(value or ""))[:19]
    return cleaned if re.fullmatch(r"\+?[0-9 \-]{0,19}", cleaned) else ""


def email_of(value: object) -> str:
    email = text(value, 254)
    return email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) else ""


def paise(price: object, field: str, errors: list[FieldError]) -> int | None:
    if price in (None, ""):
        return None
    try:
        amount = Decimal(str(price))
    except InvalidOperation:
        errors.append(FieldError(field, f"price {price!r} is not a number"))
        return None
    if amount < 0:
        errors.append(FieldError(field, "price is negative"))
        return None
    return int((amount * 100).quantize(Decimal(1)))


def line_items(payload: dict[str, Any], errors: list[FieldError], *,
               title_key: str) -> list[tuple[str, int, int | None]]:
    """(sku, qty, unit price paise) of each mappable ``line_items`` entry; problems go to ``errors``.

    Shopify and WooCommerce share this shape (``sku``, ``quantity``, ``price``); only the
    human-readable title field differs (``title`` / ``name``).
    """
    items = []
    raw = payload.get("line_items")
    raw_items: list[Any] = raw if isinstance(raw, list) else []
    if not raw_items:
        errors.append(FieldError("line_items", "the order has no line items"))
    for i, item in enumerate(raw_items):
        if not isinstance(item, dict):
            errors.append(FieldError(f"line_items.{i}", "not an object"))
            continue
        sku = text(item.get("sku"), 64)
        qty = item.get("quantity")
        if not sku:
            errors.append(FieldError(f"line_items.{i}.sku", f"line item {item.get(title_key, i)!r} has no SKU"))
        if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
            errors.append(FieldError(f"line_items.{i}.quantity", f"quantity must be a positive integer, got {qty!r}"))
        price = paise(item.get("price"), f"line_items.{i}.price", errors)
        if sku and isinstance(qty, int) and not isinstance(qty, bool) and qty > 0:
            items.append((sku, qty, price))
    return items


def merge_lines(items: list[tuple[str, int, int | None]]) -> list[dict[str, Any]]:
    """(sku, qty, unit paise) per item -> order lines, one per SKU (platforms may repeat a SKU)."""
    merged: dict[str, dict[str, Any]] = {}
    for sku, qty, price in items:
        if sku in merged:
            merged[sku]["qty"] += qty
        else:
            merged[sku] = {"sku": sku, "qty": qty, "unit_price_paise": price}
    return list(merged.values())


def object_at(payload: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The JSON object under ``key``; None when it is missing or not an object."""
    value = payload.get(key)
    return value if isinstance(value, dict) else None


def need_dict(payload: object, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Unmappable(f"the {what} payload must be a JSON object")
    return payload

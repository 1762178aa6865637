"""Cursor paging: the one codec for every list's opaque cursor, and the keyset page read with it.

A cursor carries the sort key of the last row of the previous page and is signed (HMAC-SHA256
with ``OMNIALLOC_SECRET_KEY``) together with the name of its list. A cursor the API did not give
out (made up, edited, cut short, or one of another list's) is a 422 naming the query parameter,
never a different page, an empty one or a 500. Lists: orders, shipments, returns, work orders,
notifications, inventory positions, and the channel stock feed's ``since``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from omnialloc.domain.errors import FieldError, ValidationFailed

_TAG_BYTES = 12  # 96 bits of the MAC: forging one is out of reach, and the cursor stays short


def encode(secret: str, kind: str, key: Sequence) -> str:
    """The cursor after a row whose sort key is ``key`` (str, int or aware datetime values) in list ``kind``."""
    payload = json.dumps([v.astimezone(UTC).isoformat() if isinstance(v, datetime) else v for v in key],
                         separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, kind, payload))}"


def decode(secret: str, kind: str, cursor: str, types: Sequence[type], *, field: str = "cursor") -> tuple:
    """The sort key in ``cursor`` as values of ``types``; a cursor not given out for ``kind`` is a 422."""
    try:
        body, tag = cursor.split(".")
        payload = _unb64(body)
        if not hmac.compare_digest(_unb64(tag), _mac(secret, kind, payload)):
            raise ValueError("signature")
        values = json.loads(payload)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("shape")
        return tuple(_typed(v, t) for v, t in zip(values, types, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("the cursor is not one this API gave out for this list; start again without it",
                               field_errors=[FieldError(field, "use the next cursor of a previous page of "
                                                               "this list")]) from None


def keyset_page(ctx, q: dict, kind: str, fetch: Callable, render: Callable,
                key: Callable = lambda row: (row.created_at, row.id),
                types: Sequence[type] = (datetime, str)) -> dict:
    """One page of a list in ``key`` order: ``q``'s ``limit`` (capped by the page size setting) and
    ``cursor``; ``fetch(uow, after, n)`` reads up to n rows after the decoded key (None: from the start)
    and ``render(uow, row)`` makes an item, in one read transaction."""
    limit = min(q.get("limit") or 50, ctx.settings.max_page_size)
    secret = ctx.settings.secret_key
    after = decode(secret, kind, q["cursor"], types) if q.get("cursor") else None
    with ctx.uow(readonly=True) as uow:
        rows = fetch(uow, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        items = [render(uow, r) for r in rows]
    return {"items": items, "next_cursor": encode(secret, kind, key(rows[-1])) if more and rows else None}


def _typed(value, kind: type):
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time")
        return parsed.astimezone(UTC)
    if kind is int and isinstance(value, bool):
        raise TypeError("bool")
    if not isinstance(value, kind):
        raise TypeError(type(value).__name__)
    return value


def _mac(secret: str, kind: str, payload: bytes) -> bytes:
    return hmac.new(hashlib.sha256(b"omnialloc page cursor\0" + secret.encode()).digest(),
                    kind.encode() + b"\0" + payload, hashlib.sha256).digest()[:_TAG_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

"""Streamed CSV exports (issue 27): orders with their lines and shipments, and inventory positions.

The export is a generator of CSV text chunks: orders are found a chunk at a time (5,000) with the order search's
filters and keyset (``services.orders.search``: the same filters as ``GET /orders``, newest first), and each
chunk is read in its own short read transaction (``repositories.exports``), written and let go, so memory
stays flat however many orders match (benchmarks/export_bench.py: 100,000 orders).

Orders: one row per order line, with the order's fields repeated, and the shipments that carry the line
(``shipments``: ``id:node:carrier:awb:status:qty`` joined with ``|``). Money in paise (integers), times in
UTC ISO 8601. Text that a spreadsheet would run as a formula (starting with = + - @, tab or CR) is prefixed
with ``'``: names and addresses come from shops and buyers.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

from omnialloc.domain.enums import Role
from omnialloc.services.access import AccessDenied, Principal
from omnialloc.services.orders.search import FILTERS, as_utc

CHUNK = 5000

ORDER_HEADER = ["order_id", "channel", "external_id", "channel_order_number", "status", "created_at",
                "payment_mode", "currency", "order_value_paise", "priority", "tags", "customer_id", "ship_name",
                "ship_city", "ship_state", "ship_pin", "ship_phone", "ship_email", "line_no", "sku", "qty",
                "cancelled_qty", "unit_price_paise", "line_value_paise", "shipped_qty", "shipments"]
INVENTORY_HEADER = ["node", "sku", "on_hand", "reserved", "safety_stock", "atp", "updated_at"]
_SHIPPED = frozenset({"SHIPPED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERY_FAILED", "DELIVERED",
                      "RTO_INITIATED", "RTO_DELIVERED", "COLLECTED"})


def safe(value) -> str:
    """A cell as text, never a formula to a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if text and text[0] in "=+-@\t\r" and not _number(text):
        return "'" + text
    return text


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


class _Rows:
    """csv.writer into a buffer that is emptied after each chunk."""

    def __init__(self):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def orders_csv(ctx, principal: Principal, q: dict | None = None, *, chunk: int = CHUNK) -> Iterator[str]:
    """CSV text of every order matching ``q`` (the search filters), one row per line, in chunks."""
    principal.require(Role.ADMIN, Role.ANALYST, Role.CHANNEL)
    q = dict(q or {})
    filters = {k: q.get(k) for k in FILTERS if q.get(k) not in (None, "")}
    if principal.role == Role.CHANNEL:
        if filters.get("channel") not in (None, principal.channel):
            raise AccessDenied(f"this key may only export channel {principal.channel}'s orders")
        filters["channel"] = principal.channel
    for key in ("created_from", "created_to"):
        if key in filters:
            filters[key] = as_utc(filters[key])
    return _orders(ctx, filters, chunk)


def _orders(ctx, filters: dict, chunk: int) -> Iterator[str]:
    out = _Rows()
    out.writer.writerow(ORDER_HEADER)
    yield out.take()
    after = None
    while True:
        with ctx.uow(readonly=True) as uow:
            heads, lines, carried = uow.exports.order_chunk(uow.order_search.key_select(**filters, after=after,
                                                                                       limit=chunk))
        if not heads:
            return
        parcels: dict[tuple[str, int], list] = defaultdict(list)
        for order_id, line_no, sid, node, carrier, awb, status, qty in carried:
            parcels[(order_id, line_no)].append((sid, node, carrier, awb or "", status, qty))
        by_order: dict[str, list] = defaultdict(list)
        for line in lines:
            by_order[line[0]].append(line)
        write = out.writer.writerow
        for head in heads:
            (oid, channel, ext, number, status, created, mode, currency, value, priority, tags, customer, name,
             city, state, pin, phone, email) = head
            common = [oid, safe(channel), safe(ext), safe(number), status, _iso(created), str(mode),
                      currency, value, priority, safe(",".join(tags or [])), safe(customer), safe(name), safe(city),
                      safe(state), pin, safe(phone), safe(email)]
            for _oid, line_no, sku, qty, cancelled, unit in by_order.get(oid, ()):
                ps = parcels.get((oid, line_no), ())
                shipped = sum(p[5] for p in ps if p[4] in _SHIPPED)
                write(common + [line_no, safe(sku), qty, cancelled, unit, unit * (qty - cancelled), shipped,
                                "|".join(f"{p[0]}:{p[1]}:{p[2]}:{safe(p[3])}:{p[4]}:{p[5]}" for p in ps)])
        yield out.take()
        if len(heads) < chunk:
            return
        last = heads[-1]
        after = (_aware(last[5]), last[0])


def _iso(value) -> str:
    """A stored UTC time as ISO 8601 (SQLite's text as it is stored, or a driver's datetime)."""
    if isinstance(value, str):
        return value.replace(" ", "T") + "+00:00"
    return value.astimezone(UTC).isoformat()


def _aware(value) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def inventory_csv(ctx, principal: Principal, *, node: str | None = None, sku: str | None = None,
                  chunk: int = 5000) -> Iterator[str]:
    """CSV text of the inventory positions (optionally of one node or SKU), in (node, sku) order."""
    principal.require(Role.ADMIN, Role.ANALYST)
    return _inventory(ctx, node, sku, chunk)


def _inventory(ctx, node, sku, chunk) -> Iterator[str]:
    out = _Rows()
    out.writer.writerow(INVENTORY_HEADER)
    yield out.take()
    after = None
    while True:
        with ctx.uow(readonly=True) as uow:
            rows = uow.exports.inventory(after=after, limit=chunk, node=node, sku=sku)
        for n, s, on_hand, reserved, safety, updated in rows:
            out.writer.writerow([safe(n), safe(s), on_hand, reserved, safety, max(0, on_hand - reserved - safety),
                                 updated.isoformat() if updated else ""])
        yield out.take()
        if len(rows) < chunk:
            return
        after = (rows[-1][0], rows[-1][1])

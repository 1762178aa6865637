"""Pushing back to the shops through the outbound outbox (issue 27): fulfilment with tracking, cancellations,
and the stock each channel may sell.

Queued, with the change, by ``on_recorded`` (a subscriber of ``Recorded`` on the message bus,
``services.subscribers``) for channels with push settings (``push_settings``):

* a shipment moving to SHIPPED -> ``fulfil`` (key ``shop:fulfil:<shipment>``): the parcel, its AWB, carrier
  and tracking link, read when it is sent;
* an order moving to CANCELLED -> ``cancel`` (key ``shop:cancel:<order>``).

Stock is not pushed per event: ``sync_stock`` (run by the worker every ``OMNIALLOC_CHANNEL_STOCK_DEBOUNCE_SECONDS``,
and by ``omnialloc channels resync``) looks at the inventory rows of the channel's feeding nodes that changed
since its cursor (reservations, receipts, adjustments, imports all stamp ``updated_at``), computes each SKU's
sellable quantity with the channel's buffers (``channels.feed``, as the stock feed does), and queues a
``stock`` message for the SKUs whose quantity moved since the last one queued: a burst of changes within
the interval is one push, and a change a buffer absorbs is none. The message carries SKUs, not numbers:
the sender reads the quantities when it sends, so a late retry never overwrites a newer level with an older.

``ShopPushSender`` sends one message through the channel's adapter (``channels.push``); every push is
idempotent on the shop's side, so a retry after a lost answer does no harm.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from datetime import timedelta

from omnialloc.channels.feed import publishable
from omnialloc.channels.push.contract import (CancelReason, Outcome, PushResult, ShipmentTracking, ShippedLine,
                                              StockLevel)
from omnialloc.channels.push.factory import shop_push_for
from omnialloc.domain.enums import OrderStatus, ShipmentStatus
from omnialloc.domain.outbound import OutboundMessage
from omnialloc.notify.context import tracking_url
from omnialloc.services.channels.omnichannel import feeding_nodes
from omnialloc.services.events import now
from omnialloc.services.messages import Recorded
from omnialloc.services.notifications.outbound import DELIVERED, FAILED, RETRY, SendResult, message_row, targets

log = logging.getLogger("omnialloc.channels.push")

KIND = "shop_push"
STOCK_CHUNK = 250          # SKUs per stock message
CURSOR_MARGIN = timedelta(seconds=60)   # a change committed late with an earlier stamp is still seen
_SHIPPED_ORDER = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.PICKED_UP})
_LEFT = frozenset({ShipmentStatus.SHIPPED, ShipmentStatus.PICKED_UP, ShipmentStatus.IN_TRANSIT,
                   ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERY_FAILED, ShipmentStatus.DELIVERED,
                   ShipmentStatus.RTO_INITIATED, ShipmentStatus.RTO_DELIVERED, ShipmentStatus.COLLECTED})


# ------------------------------------------------------------------ queued with the change
def on_recorded(uow, recorded: Recorded) -> None:
    event = recorded.event
    if not ((event.entity == "shipment" and event.to_status == ShipmentStatus.SHIPPED)
            or (event.entity == "order" and event.to_status == OrderStatus.CANCELLED)):
        return None
    pushing = targets(uow).channels
    if not pushing:
        return None
    at = event.at or now()
    if event.entity == "shipment":
        shipment = uow.shipments.get(event.entity_id)
        order = recorded.subject if recorded.subject is not None and shipment is not None and \
            recorded.subject.id == shipment.order_id else (uow.orders.get(shipment.order_id) if shipment else None)
        if order is None or not pushing.get(order.channel, (None, False))[1]:
            return None
        uow.outbound.add([message_row(KIND, order.channel, "fulfil", f"shop:fulfil:{shipment.id}",
                                      {"order_id": order.id, "shipment_id": shipment.id}, at)])
    else:
        order = recorded.subject if recorded.subject is not None and recorded.subject.id == event.entity_id \
            else uow.orders.get(event.entity_id)
        if order is None or not pushing.get(order.channel, (None, False))[1]:
            return None
        uow.outbound.add([message_row(KIND, order.channel, "cancel", f"shop:cancel:{order.id}",
                                      {"order_id": order.id, "reason": (event.reason or "")[:500]}, at)])
    return None


# ------------------------------------------------------------------ stock
def sellable(uow, channel, push, skus) -> dict[str, list[StockLevel]]:
    """Per SKU, the levels to set in the shop now: one per shop location when the channel maps nodes to
    locations (each location's nodes' ATP less the buffers), else one with the shop's default location."""
    nodes = feeding_nodes(uow, channel)
    atp = uow.inventory.atp_for(sorted(skus), nodes) if nodes else {}
    by_location: dict[tuple[str, str | None], int] = defaultdict(int)
    for sku in skus:
        for node in nodes:
            location = push.locations.get(node) if push.locations else None
            if push.locations and location is None:
                continue  # a node without a shop location is not stocked in the shop
            by_location[(sku, location)] += atp.get((node, sku), 0)
        if not push.locations:
            by_location.setdefault((sku, None), 0)
    out: dict[str, list[StockLevel]] = defaultdict(list)
    for (sku, location), units in sorted(by_location.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        out[sku].append(StockLevel(sku, publishable(units, channel.buffer_units, channel.buffer_percent), location))
    return out


def sync_stock(ctx, *, channel: str | None = None, full: bool = False) -> dict[str, int]:
    """Queue a stock push for each pushing channel's SKUs whose sellable quantity moved (``full``: every SKU of
    its feeding nodes, whatever was queued before: the resync). Returns SKUs queued per channel."""
    at = now()
    queued: dict[str, int] = {}
    with ctx.uow(readonly=True) as uow:
        codes = [c for c, (_kind, _orders, stock) in sorted(uow.channel_push.pushing_channels().items())
                 if stock and (channel is None or c == channel)]
    for code in codes:
        with ctx.uow() as uow:
            push, ch = uow.channel_push.get(code), uow.channels.get(code)
            if push is None or ch is None or not ch.active:
                continue
            nodes = feeding_nodes(uow, ch)
            since = None if full or push.stock_cursor is None else push.stock_cursor - CURSOR_MARGIN
            rows = uow.inventory.availability(nodes, changed_after=since) if nodes else []
            newest = uow.inventory.last_change(nodes) if nodes else None
            levels = sellable(uow, ch, push, [r.sku for r in rows])
            totals = {sku: sum(level.available for level in ls) for sku, ls in levels.items()}
            before = {} if full else uow.channel_push.queued_levels(code, totals)
            moved = sorted(sku for sku, n in totals.items() if full or before.get(sku) != n)
            rows_out = [message_row(KIND, code, "stock", f"shop:stock:{code}:{secrets.token_hex(8)}",
                                    {"skus": moved[i:i + STOCK_CHUNK], "full": full}, at)
                        for i in range(0, len(moved), STOCK_CHUNK)]
            uow.outbound.add(rows_out)
            uow.channel_push.put_levels(code, {sku: totals[sku] for sku in moved}, at)
            if newest is not None and (push.stock_cursor is None or newest > push.stock_cursor):
                uow.channel_push.set_cursor(code, newest)
            uow.commit()
        queued[code] = len(moved)
        if moved:
            log.info("channel %s: stock of %d SKU(s) queued for the shop%s", code, len(moved), " (full)" if full else "")
    return queued


# ------------------------------------------------------------------ sending
def _result(r: PushResult) -> SendResult:
    outcome = {Outcome.DELIVERED: DELIVERED, Outcome.RETRY: RETRY, Outcome.FAILED: FAILED}[r.outcome]
    detail = r.detail + (f" (not sold in the shop: {', '.join(r.skipped[:20])})" if r.skipped else "")
    return SendResult(outcome, detail, r.status, r.retry_after)


class ShopPushSender:
    """Sends ``shop_push`` messages; one adapter per channel, kept while its settings stay the same."""

    def __init__(self, ctx, *, timeouts=None):
        self.ctx = ctx
        self.timeouts = timeouts
        self._adapters: dict[str, tuple] = {}

    def __call__(self, m: OutboundMessage) -> SendResult:
        with self.ctx.uow(readonly=True) as uow:
            push, channel = uow.channel_push.get(m.target), uow.channels.get(m.target)
            if push is None or channel is None:
                return SendResult(FAILED, f"channel {m.target} has no shop push settings (any more)")
            work = self._read(uow, m, push, channel)
        if isinstance(work, SendResult):
            return work
        adapter = self._adapter(push)
        return _result(work(adapter))

    def _adapter(self, push):
        hit = self._adapters.get(push.channel)
        if hit is not None and hit[0] == push.updated_at:
            return hit[1]
        if hit is not None:
            hit[1].close()
        adapter = shop_push_for(push.kind, push.settings, timeouts=self.timeouts)
        self._adapters[push.channel] = (push.updated_at, adapter)
        return adapter

    def _read(self, uow, m: OutboundMessage, push, channel):
        """What to send, read in one transaction: a callable taking the adapter, or the result when there is
        nothing to send."""
        if m.topic == "stock":
            skus = [str(s) for s in m.payload.get("skus") or []]
            levels = tuple(level for ls in sellable(uow, channel, push, skus).values() for level in ls)
            return lambda adapter: adapter.set_stock(levels)
        order = uow.orders.get(m.payload.get("order_id"))
        if order is None:
            return SendResult(FAILED, f"order {m.payload.get('order_id')} not found")
        if m.topic == "cancel":
            reason = CancelReason("other", m.payload.get("reason") or "")
            return lambda adapter: adapter.cancel(order.external_id, reason)
        if m.topic == "fulfil":
            shipments = uow.shipments.for_order(order.id)
            parcel = next((s for s in shipments if s.id == m.payload.get("shipment_id")), None)
            if parcel is None or not parcel.awb:
                return SendResult(FAILED, f"shipment {m.payload.get('shipment_id')} not found or has no AWB")
            carrier = uow.carriers.get(parcel.carrier)
            tracking = ShipmentTracking(
                ref=parcel.id, awb=parcel.awb, carrier=carrier.name if carrier else parcel.carrier,
                lines=tuple(ShippedLine(line.sku, line.qty) for line in parcel.lines),
                tracking_url=tracking_url(self.ctx.settings.tracking_base_url, parcel.awb) or None,
                location=push.locations.get(parcel.node))
            live = [s for s in shipments if s.status not in (ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED)]
            all_shipped = order.status in _SHIPPED_ORDER or all(s.status in _LEFT for s in live)
            return lambda adapter: adapter.fulfil(order.external_id, (tracking,), all_shipped=all_shipped)
        return SendResult(FAILED, f"unknown shop push topic {m.topic!r}")

    def close(self) -> None:
        for _, adapter in self._adapters.values():
            adapter.close()
        self._adapters.clear()

"""Running the outbound outbox (issue 27): shop pushes and webhook deliveries, and the debounced stock sync.

``run_outbound`` is a thread of ``omnialloc notify-worker`` (``services.notifications.worker.worker_main``):
every ``OMNIALLOC_CHANNEL_STOCK_DEBOUNCE_SECONDS`` it queues the stock pushes that changes call for
(``services.channels.push.sync_stock``), and in between it sends what is due. ``send_outbound_due`` does one
pass of both and returns (``omnialloc notify-send --once``, tests).
"""

from __future__ import annotations

import logging
import time

from omnialloc.services.channels.push import KIND as SHOP_PUSH
from omnialloc.services.channels.push import ShopPushSender, sync_stock
from omnialloc.services.notifications.outbound import OutboundDispatcher, Tally
from omnialloc.services.notifications.webhooks import KIND as WEBHOOK
from omnialloc.services.notifications.webhooks import WebhookDeliverySender
from omnialloc.webhooks.delivery import RetryPolicy

log = logging.getLogger("omnialloc.outbound")


def make_dispatcher(ctx, **kwargs) -> OutboundDispatcher:
    """Shop pushes retry as notifications do (OMNIALLOC_NOTIFY_MAX_ATTEMPTS, _BACKOFF_SECONDS, _BACKOFF_MAX_SECONDS);
    webhook deliveries by the subscribers' documented policy (docs/webhooks.md: 12 attempts over about 14.5 h)."""
    return OutboundDispatcher(ctx, {SHOP_PUSH: ShopPushSender(ctx), WEBHOOK: WebhookDeliverySender(ctx)},
                              policies={WEBHOOK: RetryPolicy()}, **kwargs)


def close(dispatcher: OutboundDispatcher) -> None:
    for sender in dispatcher.senders.values():
        closer = getattr(sender, "close", None)
        if closer is not None:
            closer()


def send_outbound_due(ctx, *, stock: bool = True, dispatcher: OutboundDispatcher | None = None) -> Tally:
    """Queue stock pushes that are due, then send everything due now."""
    if stock:
        sync_stock(ctx)
    own = dispatcher is None
    dispatcher = dispatcher or make_dispatcher(ctx)
    try:
        return dispatcher.drain()
    finally:
        if own:
            close(dispatcher)


def run_outbound(ctx, stop, *, poll_seconds: float | None = None) -> Tally:
    """Until ``stop`` is set: stock sync every debounce interval, sends in between."""
    poll = ctx.settings.notify_poll_seconds if poll_seconds is None else poll_seconds
    debounce = max(1, ctx.settings.channel_stock_debounce_seconds)
    dispatcher = make_dispatcher(ctx)
    total = Tally()
    next_sync = 0.0
    try:
        while not stop.is_set():
            if time.monotonic() >= next_sync:
                try:
                    sync_stock(ctx)
                except Exception:  # noqa: BLE001 - a failed sync is tried again next interval; sends go on
                    log.exception("stock sync failed")
                next_sync = time.monotonic() + debounce
            try:
                tally = dispatcher.run_once()
            except Exception:  # noqa: BLE001 - the database away for a moment must not end the thread
                log.exception("outbound pass failed; trying again in %s s", poll)
                stop.wait(poll)
                continue
            total.add(tally)
            if tally.claimed == 0:
                stop.wait(min(poll, max(0.1, next_sync - time.monotonic())))
    finally:
        close(dispatcher)
    return total

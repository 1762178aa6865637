"""The subscriptions of the message bus (``services.bus``): who handles which message, in one place.

``wire`` runs when the ``omnialloc.services`` package is imported, so every process that can record
an event (the API, the CLI, the workers, a script or a test using the services) has its handlers.
A new reaction to an event (a channel stock push, an outbound webhook) is one more line here and a
handler in its own feature's package; the publisher does not change.
"""

from __future__ import annotations

from omnialloc.services import bus
from omnialloc.services.channels import push as channel_push
from omnialloc.services.messages import Recorded, RetryBackorders
from omnialloc.services.notifications import webhooks
from omnialloc.services.notifications.outbox import outbox_rows
from omnialloc.services.orders.backorder_queue import queue as queue_backorder_retries


def wire() -> None:
    """Register every handler (idempotent)."""
    bus.subscribe(Recorded, outbox_rows)                         # customer messages, written with the event
    bus.subscribe(Recorded, channel_push.on_recorded)            # fulfilment / cancellation pushed to the shop
    bus.subscribe(Recorded, webhooks.on_recorded)                # signed events to webhook subscribers
    bus.handle(RetryBackorders, queue_backorder_retries)         # waiting orders retried by the backorder worker

"""The backorder retry queue's entry: the handler of the ``RetryBackorders`` command.

One ``backorder_jobs`` row per SKU, written in the transaction that raised the command, so a
receipt or a release queues its retries if and only if it commits. The retries themselves run
later, in the backorder worker (``services.orders.backorders``).
"""

from __future__ import annotations

from omnialloc.services.messages import RetryBackorders


def queue(uow, command: RetryBackorders) -> int:
    """Queue a retry of the orders waiting for ``command.skus``; returns how many SKUs were queued."""
    return uow.backorder_jobs.add(command.skus, command.reason)

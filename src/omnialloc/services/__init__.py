"""Use cases, one package per feature, over the allocation kernel (``services.allocation``).

``orders``, ``fulfilment``, ``inventory``, ``returns``, ``notifications``, ``channels``, ``batch``,
``network``, ``rules``; what every use case shares sits here: ``access`` (who is calling),
``context`` (engine and settings), ``events`` (audit events), ``bus`` / ``messages`` /
``subscribers`` (the message bus in the transaction), ``paging``, ``idempotency``, ``invariants``.

Importing the package wires the message bus (``subscribers.wire``): whatever records an event
imports this package first, so its subscribers are always in place.
"""

from omnialloc.services.subscribers import wire

wire()

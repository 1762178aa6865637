"""The database schema: SQLAlchemy Core tables on one ``MetaData``, one module per feature.

``common`` holds the ``metadata``, the naming convention, the enum types and the column helpers; every
other module holds one feature's tables and is named for it (``orders``, ``shipments``, ``inventory``,
``network``, ...). Import a table from its feature module
(``from omnialloc.store.tables.orders import orders``). Importing this package imports every feature
module, so ``metadata`` (and ``load_all()``) always holds the whole schema: migrations, the "no diff" test
and the test reset see every table.

Adding a table: define it in its feature's module (a new feature: a new module, imported below), then
``python -m omnialloc.store.migrate revision -m "..."`` (see store/migrate.py) and review the generated
file. If the new table holds per-test data, nothing else is needed: the test reset truncates every table
that is not listed in ``REFERENCE_TABLES``.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables import (  # noqa: F401 - each import puts its feature's tables on ``metadata``
    allocations,
    analytics,
    api_keys,
    backorders,
    batch,
    channel_sync,
    carrier_booking,
    carrier_pickups,
    documents,
    events,
    failed_intakes,
    idempotency,
    inventory,
    network,
    notifications,
    order_search,
    orders,
    outbound,
    payment_requests,
    prices,
    promise,
    returns,
    rules,
    shipments,
    stock_imports,
    store_credit,
    transfers,
    webhook_subscriptions,
    work_orders,
)
from omnialloc.store.tables.common import metadata

#: Tables that hold the network (loaded by load-demo / admin edits), not per-request data.
#: The test reset keeps these and truncates everything else, so tables added later
#: are reset without anyone having to remember to list them. ``inventory`` is
#: reference data whose quantities the reset restores from a snapshot.
REFERENCE_TABLES = frozenset({"nodes", "skus", "inventory", "channels", "carriers", "rate_cards", "serviceability",
                              "node_calendars", "transit_times"})


def load_all() -> sa.MetaData:
    """The ``MetaData`` with every feature's tables (importing this package already loaded them all)."""
    return metadata


__all__ = ["REFERENCE_TABLES", "load_all", "metadata"]

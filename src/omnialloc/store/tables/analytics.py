"""Daily rollups of the analytics page (issue 28): per UTC day of an order's capture and its channel, the
counts and sums the KPIs add up, and the days whose rollup is out of date.

Every figure of the page is over the orders *created* in a date range, so each rollup row is keyed by the
order's capture day (``day``, ``YYYY-MM-DD`` UTC) and channel, plus what the figure is broken down by
(node, the shipment counts of an order, the day of delivery, the return reason, the message kind). A range
of N days then reads N days' rows instead of every order, shipment and message in it.

Kept exact by the database itself, whatever writes: migration 0021 puts triggers on the tables the figures
read (orders, order_lines, shipments, shipment_lines, returns, return_lines, notifications) that append the
changed order's capture day to ``analytics_stale_days`` in the writing transaction, for every insert, delete
and update of a column a figure reads, including changes to an order long after its day (a delivery, a
return, a failed message). ``AnalyticsRepository.refresh`` rebuilds the stale days of a range from the base
tables before the page reads the rollups, and removes those marks. Note: a SQLite batch-mode rebuild of one
of those tables (``batch_alter_table``) drops its triggers; a migration that does one must re-create them
(``tests/api/test_analytics_rollups.py`` checks they are all there at head).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import Money, metadata
from omnialloc.store.types import BigIntId


def _key(*extra: sa.Column) -> list[sa.Column]:
    return [sa.Column("day", sa.String(10), primary_key=True), sa.Column("channel", sa.String(64), primary_key=True),
            *extra]


# Orders captured per day and channel: how many, their value, how many since cancelled, and the units
# ordered and not cancelled (the fill rate's denominator).
analytics_day_orders = sa.Table(
    "analytics_day_orders", metadata,
    *_key(),
    sa.Column("orders", sa.Integer, nullable=False),
    sa.Column("value_paise", Money, nullable=False),
    sa.Column("cancelled", sa.Integer, nullable=False),
    sa.Column("units_ordered", sa.BigInteger, nullable=False),
)

# Shipments of those orders per node: all, live, rejected, the live ones' cost terms, and the units the
# live ones carry and the delivered ones delivered.
analytics_day_nodes = sa.Table(
    "analytics_day_nodes", metadata,
    *_key(sa.Column("node", sa.String(64), primary_key=True)),
    sa.Column("shipments", sa.Integer, nullable=False),
    sa.Column("live", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("shipping", Money, nullable=False),
    sa.Column("handling", Money, nullable=False),
    sa.Column("cod", Money, nullable=False),
    sa.Column("total", Money, nullable=False),
    sa.Column("units_placed", sa.BigInteger, nullable=False),
    sa.Column("units_delivered", sa.BigInteger, nullable=False),
)

# Orders that have a shipment, by their number of live and of rejected shipments (split rate, hops).
analytics_day_shipment_counts = sa.Table(
    "analytics_day_shipment_counts", metadata,
    *_key(sa.Column("live", sa.Integer, primary_key=True), sa.Column("rejected", sa.Integer, primary_key=True)),
    sa.Column("orders", sa.Integer, nullable=False),
)

# Deliveries of those orders by UTC day of delivery: counted against a promise, and of them on time.
analytics_day_on_time = sa.Table(
    "analytics_day_on_time", metadata,
    *_key(sa.Column("delivered_day", sa.String(10), primary_key=True)),
    sa.Column("delivered", sa.Integer, nullable=False),
    sa.Column("on_time", sa.Integer, nullable=False),
)

# Units in live returns (not rejected or cancelled) of those orders, by reason.
analytics_day_returns = sa.Table(
    "analytics_day_returns", metadata,
    *_key(sa.Column("reason", sa.String(32), primary_key=True)),
    sa.Column("units", sa.BigInteger, nullable=False),
)

# Messages about those orders by template, medium and status.
analytics_day_notifications = sa.Table(
    "analytics_day_notifications", metadata,
    *_key(sa.Column("kind", sa.String(64), primary_key=True), sa.Column("medium", sa.String(8), primary_key=True),
          sa.Column("status", sa.String(16), primary_key=True)),
    sa.Column("messages", sa.Integer, nullable=False),
)

#: Every rollup table, rebuilt together for a stale day.
ROLLUPS = (analytics_day_orders, analytics_day_nodes, analytics_day_shipment_counts, analytics_day_on_time,
           analytics_day_returns, analytics_day_notifications)

# A capture day whose rollup rows may be out of date: appended by the triggers (insert only, so writers
# never wait on each other for it), removed by the refresh that rebuilds the day.
analytics_stale_days = sa.Table(
    "analytics_stale_days", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Index(None, "day"),
)

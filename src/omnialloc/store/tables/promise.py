"""Delivery promise (issue 24): node working calendars and the seller's transit table.

Reference data (loaded by ``load-demo`` / admin edits, kept by the test reset: ``REFERENCE_TABLES``);
every write of it changes the reference revision token, like the rest of the network, so cached lane
tables and promises are rebuilt. The EDD columns live on ``shipments`` and the promise on ``orders``.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import JSONType

# One row per node; a node without one works to the default calendar (logistics.calendar.NodeCalendar()).
node_calendars = sa.Table(
    "node_calendars", metadata,
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="Asia/Kolkata"),
    sa.Column("cutoff", sa.String(8), nullable=False, server_default="14:00"),      # local HH:MM
    sa.Column("working_days", sa.String(40), nullable=False, server_default="Mon-Sat"),
    sa.Column("holidays", JSONType, nullable=False),      # ["08-15", "2026-11-08"]: annual MM-DD, dated YYYY-MM-DD
    sa.Column("pickup_days", JSONType, nullable=False),   # {"XPR": "Mon-Fri"}; a carrier absent: every working day
)

# The seller's transit table (logistics.transit.table.TransitRow); the key is what two rows must not share.
transit_times = sa.Table(
    "transit_times", metadata,
    sa.Column("carrier", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(16), primary_key=True),
    sa.Column("level", sa.String(16), primary_key=True),
    sa.Column("origin", sa.String(8), primary_key=True, server_default=""),
    sa.Column("destination", sa.String(8), primary_key=True, server_default=""),
    sa.Column("zone", sa.String(1), primary_key=True, server_default=""),
    sa.Column("days", sa.Integer, nullable=False),
    sa.CheckConstraint("days >= 0 AND days <= 30", name="days_range"),
)

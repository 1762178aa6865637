"""Carrier pickups: per node, carrier and day, the packed shipments a carrier collects, and their handover.

(Not the in-store pickup of omnichannel orders: that is ``pickups`` in services/fulfilment.)
A pickup is requested through the carrier's booking adapter (``reference`` is the carrier's pickup
number); its shipments are the manifest; each shipment's handover scan stamps ``handed_over_at``.
A shipment belongs to at most one pickup (``UNIQUE shipment_id``).
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import UTCDateTime

carrier_pickups = sa.Table(
    "carrier_pickups", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code"), nullable=False),
    sa.Column("carrier", sa.String(64), sa.ForeignKey("carriers.code"), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),            # requested | handed_over
    sa.Column("reference", sa.String(128), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index(None, "node", "carrier", "day"),
)

carrier_pickup_shipments = sa.Table(
    "carrier_pickup_shipments", metadata,
    sa.Column("pickup_id", sa.String(40), sa.ForeignKey("carrier_pickups.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("shipment_id", sa.String(40), sa.ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("handed_over_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("shipment_id"),
)

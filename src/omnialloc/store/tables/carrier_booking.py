"""Carrier booking in the store: how each carrier is booked, its AWB series, and each shipment's booking.

* ``carrier_booking_configs``: per carrier, ``series`` (AWBs from uploaded ranges) or ``rest`` (the
  carrier's API, ``settings`` as ``RestCarrierConfig.from_mapping`` reads them).
* ``awb_ranges`` / ``awb_assignments``: the AWB series store contract of docs/carriers.md: cursors
  move forward by compare-and-set in the transaction that writes the ledger row; ``UNIQUE (carrier,
  awb)`` and ``UNIQUE (carrier, shipment_id)`` back it up; a voided AWB stays.
* ``carrier_bookings``: one row per shipment handed to a carrier's booking: ``pending`` (due at
  ``next_attempt_at``), ``booking`` (claimed by a worker until ``claimed_until``), ``booked`` (with
  the AWB), ``failed`` (transient failure: retried with backoff) or ``rejected`` (the carrier said no:
  a person acts), ``last_error`` in the carrier's words.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import JSONType, UTCDateTime

carrier_booking_configs = sa.Table(
    "carrier_booking_configs", metadata,
    sa.Column("carrier", sa.String(64), sa.ForeignKey("carriers.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),            # series | rest
    sa.Column("settings", JSONType, nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

awb_ranges = sa.Table(
    "awb_ranges", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("carrier", sa.String(64), nullable=False, index=True),
    sa.Column("prefix", sa.String(12), nullable=False, server_default=""),
    sa.Column("first", sa.BigInteger, nullable=False),
    sa.Column("last", sa.BigInteger, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("suffix", sa.String(12), nullable=False, server_default=""),
    sa.Column("check", sa.String(8), nullable=False),
    sa.Column("uploaded_at", UTCDateTime(), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),                  # upload order within the carrier
    sa.Column("next_serial", sa.BigInteger, nullable=False),
    sa.CheckConstraint('"first" <= next_serial AND next_serial <= "last" + 1', name="cursor_in_range"),
    sa.UniqueConstraint("carrier", "seq"),
)

awb_assignments = sa.Table(
    "awb_assignments", metadata,
    sa.Column("carrier", sa.String(64), primary_key=True),
    sa.Column("awb", sa.String(64), primary_key=True),
    sa.Column("shipment_id", sa.String(40), nullable=False),
    sa.Column("assigned_at", UTCDateTime(), nullable=False),
    sa.Column("voided_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("carrier", "shipment_id"),
)

carrier_bookings = sa.Table(
    "carrier_bookings", metadata,
    sa.Column("shipment_id", sa.String(40), sa.ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("carrier", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("awb", sa.String(64), nullable=True),
    sa.Column("carrier_ref", sa.String(128), nullable=False, server_default=""),
    sa.Column("routing_code", sa.String(16), nullable=False, server_default=""),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("claimed_until", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index(None, "status", "next_attempt_at"),
)

# Tracking pulled from carriers that offer a tracking API (services.fulfilment.tracking_poll): per carrier, the
# API (``settings`` as ``RestCarrierConfig.from_mapping`` reads them, plus ``status_map`` and ``poll_minutes``)
# and the carrier-wide backoff after failures; per shipment, when it is polled next and who holds it.
carrier_tracking_configs = sa.Table(
    "carrier_tracking_configs", metadata,
    sa.Column("carrier", sa.String(64), sa.ForeignKey("carriers.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("settings", JSONType, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),   # consecutive, carrier-wide
    sa.Column("next_poll_at", UTCDateTime(), nullable=True),                 # backoff: no poll before
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

tracking_polls = sa.Table(
    "tracking_polls", metadata,
    sa.Column("shipment_id", sa.String(40), sa.ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("carrier", sa.String(64), nullable=False),
    sa.Column("next_poll_at", UTCDateTime(), nullable=False),
    sa.Column("claimed_until", UTCDateTime(), nullable=True),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),   # consecutive, this AWB's own
    sa.Column("polled_at", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index(None, "carrier", "next_poll_at"),
)

"""Printed-document facts the network data does not hold, and the invoices issued from them.

* ``node_sellers``: who sells from a node on paper: the legal name and invoice series prefix of the
  registration the node ships under (its GSTIN is ``nodes.gstin``, its time zone the node calendar's)
  and a phone for the label's return address.
* ``sku_fulfilment``: the box a SKU is packed in by default (its barcodes, HSN code and GST rate are
  columns of ``skus``).
* ``invoice_series`` / ``invoices``: one gapless series per node and financial year (docs/documents.md,
  "What the store must guarantee"): the counter row is taken by an UPDATE in the invoice's own
  transaction, so a serial is used if and only if its invoice commits. ``invoices.snapshot`` keeps what
  the invoice showed, so a reprint is the same document.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import JSONType, UTCDateTime

node_sellers = sa.Table(
    "node_sellers", metadata,
    sa.Column("node", sa.String(64), sa.ForeignKey("nodes.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("legal_name", sa.String(200), nullable=False),
    sa.Column("invoice_prefix", sa.String(5), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False, server_default=""),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

sku_fulfilment = sa.Table(
    "sku_fulfilment", metadata,
    sa.Column("sku", sa.String(64), sa.ForeignKey("skus.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("box_length_mm", sa.Integer, nullable=True),
    sa.Column("box_width_mm", sa.Integer, nullable=True),
    sa.Column("box_height_mm", sa.Integer, nullable=True),
    sa.Column("box_weight_g", sa.Integer, nullable=False, server_default="0"),  # the empty box and filling
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

invoice_series = sa.Table(
    "invoice_series", metadata,
    sa.Column("node", sa.String(64), primary_key=True),
    sa.Column("fy_start_year", sa.Integer, primary_key=True),
    sa.Column("prefix", sa.String(5), nullable=False),
    sa.Column("last_serial", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("last_serial >= 0", name="last_serial_nonneg"),
)

invoices = sa.Table(
    "invoices", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("shipment_id", sa.String(40), sa.ForeignKey("shipments.id"), nullable=False, unique=True),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("fy_start_year", sa.Integer, nullable=False),
    sa.Column("serial", sa.Integer, nullable=False),
    sa.Column("number", sa.String(16), nullable=False),
    sa.Column("issued_at", UTCDateTime(), nullable=False),
    sa.Column("snapshot", JSONType, nullable=False),
    sa.UniqueConstraint("node", "fy_start_year", "serial"),
    sa.UniqueConstraint("node", "number"),
)

# Credit notes (CGST Act s. 34, Rules 53(1A)): goods of an invoiced shipment came back (a return, an RTO) or were
# credited by hand. Their own gapless series per node and financial year, kept like the invoices' (the counter
# row is bumped in the note's transaction); each note references one invoice; ``source`` (the return's id, or
# "manual:<key>") makes issuing it again for the same cause return the same note.
credit_note_series = sa.Table(
    "credit_note_series", metadata,
    sa.Column("node", sa.String(64), primary_key=True),
    sa.Column("fy_start_year", sa.Integer, primary_key=True),
    sa.Column("prefix", sa.String(5), nullable=False),
    sa.Column("last_serial", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("last_serial >= 0", name="last_serial_nonneg"),
)

credit_notes = sa.Table(
    "credit_notes", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("invoice_id", sa.String(40), sa.ForeignKey("invoices.id"), nullable=False, index=True),
    sa.Column("shipment_id", sa.String(40), nullable=False),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("fy_start_year", sa.Integer, nullable=False),
    sa.Column("serial", sa.Integer, nullable=False),
    sa.Column("number", sa.String(16), nullable=False),
    sa.Column("source", sa.String(80), nullable=False),
    sa.Column("issued_at", UTCDateTime(), nullable=False),
    sa.Column("snapshot", JSONType, nullable=False),
    sa.UniqueConstraint("node", "fy_start_year", "serial"),
    sa.UniqueConstraint("node", "number"),
    sa.UniqueConstraint("invoice_id", "source"),
)

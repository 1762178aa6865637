"""The failed-intake queue (issue 27): every order a shop or API caller sent that did not validate.

Nothing a shop sends is dropped: the raw body and the errors are kept until a person fixes the cause
(an alias for an unknown SKU, a corrected PIN) and re-submits it into a normal order, or discards it.
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import JSONType, UTCDateTime

INTAKE_STATUSES = ("open", "resubmitted", "discarded")

failed_intakes = sa.Table(
    "failed_intakes", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),       # shopify | woocommerce | api
    sa.Column("external_id", sa.String(128), nullable=True),
    sa.Column("raw_body", sa.Text, nullable=False),           # exactly as received (UTF-8)
    sa.Column("payload", JSONType, nullable=True),            # the parsed body, as corrected by a person
    sa.Column("errors", JSONType, nullable=False),            # [{"field", "message"}]
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("order_id", sa.String(40), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("resolved_by", sa.String(200), nullable=True),
    sa.CheckConstraint(f"status IN {INTAKE_STATUSES!r}", name="status_known"),
    sa.Index(None, "status", "created_at"),
    sa.Index(None, "channel", "external_id"),
)

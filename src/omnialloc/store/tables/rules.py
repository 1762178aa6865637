"""OMS rules: the rules, every version of each, and the rule-set revision.

On the store's one ``MetaData`` (``store.tables.common``).

- ``rules``: the current state of each rule. Deleting a rule sets
  ``deleted_at`` (its versions stay readable as the audit trail).
- ``rule_versions``: one row per change (created, updated, enabled, disabled,
  reordered, deleted) with the full rule as it was after the change.
- ``rules_revision``: one row (id = 1) whose ``token`` changes with every
  change to any rule and (since migration 0009) to the reference data the
  order path caches: nodes, SKUs, channels, carriers, rate cards and
  serviceability (``repositories.revision.bump_revision``, called by their
  repositories' writes and by ``repositories.reference.sync_network``). Each process
  keeps the compiled rule set, the network, channels and SKUs keyed by this
  token and reads it once per transaction of a capture/allocation: a changed
  token (or a missing row, e.g. after a test reset) reloads them, whichever
  process made the change. A random token rather than a counter, so a
  restored or truncated database never matches a stale cache. (The name is
  historical: it was the rules' token first.)
"""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.store.tables.common import metadata
from omnialloc.store.types import BigIntId, JSONType, UTCDateTime

RULE_KINDS = ("validation", "routing", "shipping", "split")

rules = sa.Table(
    "rules", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("condition", sa.Text, nullable=False),
    sa.Column("actions", JSONType, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("stop_processing", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint(f"kind IN {RULE_KINDS!r}", name="kind_known"),
    sa.CheckConstraint("priority >= 0", name="priority_nonneg"),
    sa.CheckConstraint("version >= 1", name="version_positive"),
    sa.Index(None, "kind", "priority"),
)

# A live rule's name is unique whatever its case (migration 0015): the service's check alone let two
# concurrent creates through.
sa.Index("uq_rules_name_live", sa.func.lower(rules.c.name), unique=True,
         postgresql_where=rules.c.deleted_at.is_(None), sqlite_where=rules.c.deleted_at.is_(None))

rule_versions = sa.Table(
    "rule_versions", metadata,
    sa.Column("rule_id", BigIntId, sa.ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("change", sa.String(16), nullable=False),     # created | updated | enabled | disabled | reordered | deleted
    sa.Column("snapshot", JSONType, nullable=False),        # the whole rule after the change
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("changed_at", UTCDateTime(), nullable=False),
)

rules_revision = sa.Table(
    "rules_revision", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("token", sa.String(40), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

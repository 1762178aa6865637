"""OMS rules: current rules, their version history, the facts rules read, and the revision token
(``uow.rules``; the token itself is ``repositories.revision``).

Reads return ``domain.rules`` types; writes take the columns to set.
"""

from __future__ import annotations

import builtins
from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain.rules import Rule, RuleVersion
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.revision import bump_revision, read_revision
from omnialloc.store.tables.orders import orders
from omnialloc.store.tables.rules import rule_versions, rules

COLUMNS = ("id", "name", "kind", "condition", "actions", "priority", "enabled", "stop_processing", "description",
           "version", "created_by", "updated_by", "created_at", "updated_at", "deleted_at")


def _rule(r) -> Rule:
    return Rule(**{c: getattr(r, c) for c in COLUMNS})


class RuleRepository(Repository):
    # -------------------------------------------------------------- rules
    def list(self, *, kind: str | None = None, include_deleted: bool = False) -> list[Rule]:
        q = sa.select(rules).order_by(rules.c.priority, rules.c.id)
        if not include_deleted:
            q = q.where(rules.c.deleted_at.is_(None))
        if kind is not None:
            q = q.where(rules.c.kind == kind)
        return [_rule(r) for r in self.conn.execute(q)]

    def get(self, rule_id: int, *, for_update: bool = False, include_deleted: bool = False) -> Rule | None:
        q = sa.select(rules).where(rules.c.id == rule_id)
        if not include_deleted:
            q = q.where(rules.c.deleted_at.is_(None))
        if for_update:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return None if row is None else _rule(row)

    def name_taken(self, name: str, *, exclude_id: int | None = None) -> bool:
        q = sa.select(sa.func.count()).select_from(rules).where(
            sa.func.lower(rules.c.name) == name.lower(), rules.c.deleted_at.is_(None))
        if exclude_id is not None:
            q = q.where(rules.c.id != exclude_id)
        return bool(self.conn.execute(q).scalar())

    def count(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(rules)
                                     .where(rules.c.deleted_at.is_(None))).scalar() or 0)

    def add(self, values: dict) -> int:
        values = {k: v for k, v in values.items() if k in COLUMNS and k != "id"}
        result = self.conn.execute(rules.insert().values(**values).returning(rules.c.id))
        return int(result.scalar_one())

    def update(self, rule_id: int, values: dict, *, expected_version: int) -> bool:
        """Write ``values`` and bump the version; False if someone else changed the rule first."""
        values = {k: v for k, v in values.items() if k in COLUMNS and k not in ("id", "version", "created_at",
                                                                                "created_by")}
        q = (rules.update().where(rules.c.id == rule_id, rules.c.version == expected_version,
                                  rules.c.deleted_at.is_(None))
             .values(**values, version=expected_version + 1))
        return self.conn.execute(q).rowcount == 1

    # -------------------------------------------------------------- versions
    def add_version(self, rule_id: int, version: int, change: str, snapshot: dict, changed_by: str,
                    changed_at: datetime) -> None:
        self.conn.execute(rule_versions.insert().values(rule_id=rule_id, version=version, change=change,
                                                        snapshot=snapshot, changed_by=changed_by,
                                                        changed_at=changed_at))

    def versions(self, rule_id: int) -> builtins.list[RuleVersion]:
        q = sa.select(rule_versions).where(rule_versions.c.rule_id == rule_id).order_by(rule_versions.c.version)
        return [RuleVersion(version=r.version, change=r.change, snapshot=r.snapshot, changed_by=r.changed_by,
                            changed_at=r.changed_at) for r in self.conn.execute(q)]

    # -------------------------------------------------------------- revision token
    def revision(self) -> str | None:
        return read_revision(self.conn)

    def bump_revision(self) -> str:
        """A new random token: every process reloads its compiled rules (and cached network) on its next call."""
        return bump_revision(self.conn)

    # -------------------------------------------------------------- facts the rules need
    def customer_order_count(self, customer_id: str | None, *, before: datetime | None,
                             exclude_order: str | None = None) -> int:
        """Orders this customer placed before ``before`` (the ``customer.order_count`` fact)."""
        if not customer_id:
            return 0
        q = sa.select(sa.func.count()).select_from(orders).where(orders.c.customer_id == customer_id)
        if before is not None:
            q = q.where(orders.c.created_at < before)
        if exclude_order is not None:
            q = q.where(orders.c.id != exclude_order)
        return int(self.conn.execute(q).scalar() or 0)

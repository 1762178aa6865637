"""The failed-intake queue (issue 27): orders that arrived and did not validate, until fixed or discarded."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain.outbound import FailedIntake
from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables.failed_intakes import failed_intakes as F


def _intake(r) -> FailedIntake:
    return FailedIntake(**r._mapping)


class FailedIntakeRepository(Repository):
    def add(self, intake: FailedIntake) -> None:
        self.conn.execute(F.insert().values(**intake.__dict__))

    def get(self, intake_id: str, *, for_update: bool = False) -> FailedIntake | None:
        q = sa.select(F).where(F.c.id == intake_id)
        if for_update and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return None if row is None else _intake(row)

    def open_for(self, channel: str, external_id: str) -> FailedIntake | None:
        """The open entry of this channel's order id, if any (a shop's retry of the same order lands on it)."""
        row = self.conn.execute(sa.select(F).where(F.c.channel == channel, F.c.external_id == external_id,
                                                   F.c.status == "open").order_by(F.c.created_at).limit(1)).first()
        return None if row is None else _intake(row)

    def newest_first(self, *, status: str | None = None, channel: str | None = None,
                     before: tuple[datetime, str] | None = None, limit: int = 50) -> list[FailedIntake]:
        q = sa.select(F)
        if status is not None:
            q = q.where(F.c.status == status)
        if channel is not None:
            q = q.where(F.c.channel == channel)
        if before is not None:
            at, id_ = before
            q = q.where(sa.or_(F.c.created_at < at, sa.and_(F.c.created_at == at, F.c.id < id_)))
        q = q.order_by(F.c.created_at.desc(), F.c.id.desc()).limit(limit)
        return [_intake(r) for r in self.conn.execute(q)]

    def update(self, intake_id: str, *, expected_status: str, at: datetime, **values) -> bool:
        return self.conn.execute(F.update().where(F.c.id == intake_id, F.c.status == expected_status)
                                 .values(**values, updated_at=at)).rowcount == 1

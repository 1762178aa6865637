"""Outbound webhook subscriptions (issue 27)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain.outbound import WebhookSubscription
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.revision import bump_revision
from omnialloc.store.tables.webhook_subscriptions import webhook_subscriptions as W


def _sub(r) -> WebhookSubscription:
    return WebhookSubscription(id=r.id, url=r.url, events=tuple(r.events or ()), secret=r.secret,
                               description=r.description, active=r.active, disabled_reason=r.disabled_reason,
                               created_at=r.created_at, created_by=r.created_by, updated_at=r.updated_at)


class WebhookSubscriptionRepository(Repository):
    # Writes bump the revision token: every process's cached list of subscribers is renewed.
    def add(self, sub: WebhookSubscription) -> None:
        self.conn.execute(W.insert().values(id=sub.id, url=sub.url, events=list(sub.events), secret=sub.secret,
                                            description=sub.description, active=sub.active,
                                            disabled_reason=sub.disabled_reason, created_at=sub.created_at,
                                            created_by=sub.created_by, updated_at=sub.updated_at or sub.created_at))
        bump_revision(self.conn)

    def get(self, sub_id: str) -> WebhookSubscription | None:
        row = self.conn.execute(sa.select(W).where(W.c.id == sub_id)).first()
        return None if row is None else _sub(row)

    def list(self, *, active_only: bool = False) -> list[WebhookSubscription]:
        q = sa.select(W).order_by(W.c.created_at, W.c.id)
        if active_only:
            q = q.where(W.c.active.is_(True))
        return [_sub(r) for r in self.conn.execute(q)]

    def update(self, sub_id: str, *, at: datetime, **values) -> bool:
        if "events" in values:
            values["events"] = list(values["events"])
        done = self.conn.execute(W.update().where(W.c.id == sub_id).values(**values, updated_at=at)).rowcount == 1
        if done:
            bump_revision(self.conn)
        return done

    def delete(self, sub_id: str) -> bool:
        done = self.conn.execute(W.delete().where(W.c.id == sub_id)).rowcount == 1
        if done:
            bump_revision(self.conn)
        return done

"""Sales channels: where orders come from and where stock feeds go."""

from __future__ import annotations

import builtins

import sqlalchemy as sa

from omnialloc.domain import Channel
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.revision import bump_revision, changed
from omnialloc.store.tables.network import channels


def channel_row(c: Channel) -> dict:
    """The columns of a channel's row (what the repository writes, and a network sync too)."""
    return dict(code=c.code, name=c.name, kind=c.kind, return_window_days=c.return_window_days,
                buffer_units=c.buffer_units, buffer_percent=c.buffer_percent,
                feeding_nodes=sorted(c.feeding_nodes), active=c.active, return_windows=dict(c.return_windows),
                default_promise_days=c.default_promise_days, promise_policy=c.promise_policy,
                late_penalty_paise=c.late_penalty_paise)


def _from_row(r) -> Channel:
    return Channel(code=r.code, name=r.name, kind=r.kind, return_window_days=r.return_window_days,
                   buffer_units=r.buffer_units, buffer_percent=r.buffer_percent,
                   feeding_nodes=frozenset(r.feeding_nodes), active=r.active,
                   return_windows=tuple(sorted(r.return_windows.items())),
                   default_promise_days=r.default_promise_days, promise_policy=r.promise_policy,
                   late_penalty_paise=r.late_penalty_paise)


_GET = sa.select(channels).where(channels.c.code == sa.bindparam("code"))  # read per captured order: built once


class ChannelRepository(Repository):
    def get(self, code: str) -> Channel | None:
        row = self.conn.execute(_GET, {"code": code}).first()
        return None if row is None else _from_row(row)

    def list(self) -> list[Channel]:
        return [_from_row(r) for r in self.conn.execute(sa.select(channels).order_by(channels.c.code))]

    def page(self, after: str | None, limit: int, *, kind: str | None = None,
             active: bool | None = None) -> builtins.list[Channel]:
        """Up to ``limit`` channels after code ``after`` in code order, filtered."""
        query = sa.select(channels).order_by(channels.c.code).limit(limit)
        if after is not None:
            query = query.where(channels.c.code > after)
        if kind is not None:
            query = query.where(channels.c.kind == kind)
        if active is not None:
            query = query.where(channels.c.active.is_(active))
        return [_from_row(r) for r in self.conn.execute(query)]

    def has_webhook_secret(self, code: str) -> bool:
        return bool(self.webhook_secret(code))

    # Writes bump the revision token: every process's cached channels reload (services.network.cache).
    def add(self, channel: Channel, *, webhook_secret: str | None = None) -> None:
        self.conn.execute(channels.insert().values(**channel_row(channel), webhook_secret=webhook_secret))
        bump_revision(self.conn)

    def update(self, channel: Channel) -> bool:
        """Updates the channel's fields; the webhook secret is left as it is."""
        row = channel_row(channel)
        code = row.pop("code")
        return changed(self.conn, self.conn.execute(channels.update().where(channels.c.code == code)
                                                    .values(**row)).rowcount)

    def upsert(self, channel: Channel) -> None:
        if not self.update(channel):
            self.add(channel)

    def webhook_secret(self, code: str) -> str | None:
        return self.conn.execute(sa.select(channels.c.webhook_secret).where(channels.c.code == code)).scalar()

    def set_webhook_secret(self, code: str, secret: str | None) -> bool:
        q = channels.update().where(channels.c.code == code).values(webhook_secret=secret)
        return self.conn.execute(q).rowcount == 1

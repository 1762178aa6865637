"""A channel's shop push settings, the stock levels queued for it, and its SKU aliases (issue 27)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain.outbound import ChannelPush
from omnialloc.store.repositories._base import Repository, insert, utcnow
from omnialloc.store.repositories.revision import bump_revision
from omnialloc.store.tables.channel_sync import channel_push_settings as P
from omnialloc.store.tables.channel_sync import channel_stock_levels as L
from omnialloc.store.tables.channel_sync import sku_aliases as A


def _push(r) -> ChannelPush:
    return ChannelPush(channel=r.channel, kind=r.kind, settings=dict(r.settings or {}), push_orders=r.push_orders,
                       push_stock=r.push_stock, locations=dict(r.locations or {}), stock_cursor=r.stock_cursor,
                       updated_at=r.updated_at, updated_by=r.updated_by)


class ChannelPushRepository(Repository):
    def get(self, channel: str) -> ChannelPush | None:
        row = self.conn.execute(sa.select(P).where(P.c.channel == channel)).first()
        return None if row is None else _push(row)

    def list(self) -> list[ChannelPush]:
        return [_push(r) for r in self.conn.execute(sa.select(P).order_by(P.c.channel))]

    def pushing_channels(self) -> dict[str, tuple[str, bool, bool]]:
        """channel -> (kind, push_orders, push_stock) of every channel with push settings (no secrets read)."""
        q = sa.select(P.c.channel, P.c.kind, P.c.push_orders, P.c.push_stock)
        return {r.channel: (r.kind, r.push_orders, r.push_stock) for r in self.conn.execute(q)}

    def put(self, push: ChannelPush) -> None:
        """Store the channel's settings, replacing what it had (the stock cursor is kept). Bumps the revision:
        every process's cache of which channels push is renewed."""
        values = dict(kind=push.kind, settings=dict(push.settings), push_orders=push.push_orders,
                      push_stock=push.push_stock, locations=dict(push.locations), updated_at=push.updated_at or utcnow(),
                      updated_by=push.updated_by)
        stmt = insert(self.conn, P).values(channel=push.channel, **values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=[P.c.channel], set_=values))
        bump_revision(self.conn)

    def delete(self, channel: str) -> bool:
        gone = self.conn.execute(P.delete().where(P.c.channel == channel)).rowcount == 1
        self.conn.execute(L.delete().where(L.c.channel == channel))
        if gone:
            bump_revision(self.conn)
        return gone

    def set_cursor(self, channel: str, cursor: datetime | None) -> None:
        self.conn.execute(P.update().where(P.c.channel == channel).values(stock_cursor=cursor))

    # -- the sellable quantities last queued for the shop
    def queued_levels(self, channel: str, skus: Iterable[str]) -> dict[str, int]:
        keys = sorted(set(skus))
        out: dict[str, int] = {}
        for i in range(0, len(keys), 500):
            q = sa.select(L.c.sku, L.c.available).where(L.c.channel == channel, L.c.sku.in_(keys[i:i + 500]))
            out.update({r.sku: r.available for r in self.conn.execute(q)})
        return out

    def put_levels(self, channel: str, levels: dict[str, int], at: datetime) -> None:
        if not levels:
            return
        stmt = insert(self.conn, L)
        stmt = stmt.on_conflict_do_update(index_elements=[L.c.channel, L.c.sku],
                                          set_={"available": stmt.excluded.available,
                                                "queued_at": stmt.excluded.queued_at})
        self.conn.execute(stmt, [{"channel": channel, "sku": sku, "available": n, "queued_at": at}
                                 for sku, n in sorted(levels.items())])


class SkuAliasRepository(Repository):
    def resolve(self, channel: str, aliases: Iterable[str]) -> dict[str, str]:
        """alias -> our SKU, for the aliases of ``channel`` that exist."""
        keys = sorted(set(aliases))
        if not keys:
            return {}
        q = sa.select(A.c.alias, A.c.sku).where(A.c.channel == channel, A.c.alias.in_(keys))
        return {r.alias: r.sku for r in self.conn.execute(q)}

    def list(self, channel: str) -> list[dict]:
        q = sa.select(A).where(A.c.channel == channel).order_by(A.c.alias)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def put(self, channel: str, alias: str, sku: str, *, actor: str, at: datetime) -> None:
        stmt = insert(self.conn, A).values(channel=channel, alias=alias, sku=sku, created_at=at, created_by=actor)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=[A.c.channel, A.c.alias],
                                                     set_={"sku": sku, "created_at": at, "created_by": actor}))

    def delete(self, channel: str, alias: str) -> bool:
        return self.conn.execute(A.delete().where(A.c.channel == channel, A.c.alias == alias)).rowcount == 1

"""API keys: stored as a SHA-256 hash, found by a short prefix, scoped by role."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from omnialloc.domain import Role
from omnialloc.domain.api_keys import ApiKey
from omnialloc.store.repositories._base import Repository, utcnow
from omnialloc.store.tables.api_keys import api_keys

_COLUMNS = ("id", "name", "prefix", "key_hash", "role", "channel", "node", "carrier", "created_at", "revoked_at")


def _record(r) -> ApiKey:
    values = {k: getattr(r, k) for k in _COLUMNS}
    values["role"] = Role(values["role"])
    return ApiKey(**values)


class ApiKeyRepository(Repository):
    def add(self, key: ApiKey) -> None:
        values = {k: getattr(key, k) for k in _COLUMNS}
        values["role"] = Role(values["role"])
        values["created_at"] = values["created_at"] or utcnow()
        self.conn.execute(api_keys.insert().values(**values))

    def find(self, prefix: str, key_hash: str) -> ApiKey | None:
        """The key with this prefix and hash (revoked ones too: the caller checks ``revoked_at``)."""
        q = sa.select(api_keys).where(api_keys.c.prefix == prefix, api_keys.c.key_hash == key_hash)
        row = self.conn.execute(q).first()
        return None if row is None else _record(row)

    def get(self, key_id: str) -> ApiKey | None:
        row = self.conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _record(row)

    def get_by_name(self, name: str) -> ApiKey | None:
        q = (sa.select(api_keys).where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None))
             .order_by(api_keys.c.created_at.desc()).limit(1))
        row = self.conn.execute(q).first()
        return None if row is None else _record(row)

    def list(self, *, include_revoked: bool = False) -> list[ApiKey]:
        q = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if not include_revoked:
            q = q.where(api_keys.c.revoked_at.is_(None))
        return [_record(r) for r in self.conn.execute(q)]

    def revoke(self, key_id: str, at: datetime | None = None) -> bool:
        q = (api_keys.update().where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
             .values(revoked_at=at or utcnow()))
        return self.conn.execute(q).rowcount == 1

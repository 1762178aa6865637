"""API keys: who a caller is. Stored as a SHA-256 hash of the token, found by the token's short prefix,
scoped by role (a channel, node or carrier key names the one it acts for)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from omnialloc.domain.enums import Role


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    prefix: str                    # the token's first characters, to find the row
    key_hash: str                  # SHA-256 of the whole token (the token itself is shown once, never stored)
    role: Role
    created_at: datetime
    channel: str | None = None
    node: str | None = None
    carrier: str | None = None
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

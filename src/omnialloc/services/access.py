"""Who is calling and what they may touch: API keys, roles and scoping.

Keys are random, shown once and stored as a SHA-256 hash. Scoped roles (channel,
node, carrier) only ever see their own things; anything else looks like it does
not exist (404), so a key cannot probe for other tenants' ids.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from omnialloc.domain.api_keys import ApiKey
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import DomainError, FieldError, NotFound, ValidationFailed

KEY_PREFIX = "oa_"


class AccessDenied(DomainError):
    """The role may not do this at all (403). Scope misses are NotFound instead."""

    title = "Forbidden"


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    channel: str | None = None
    node: str | None = None
    carrier: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name}"

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(str(r) for r in roles)
            raise AccessDenied(f"the {self.role} role may not do this (allowed: {allowed})")

    def sees_channel(self, channel: str) -> bool:
        return self.role != Role.CHANNEL or self.channel == channel

    def sees_node(self, node: str) -> bool:
        return self.role != Role.NODE or self.node == node

    def ensure_channel(self, channel: str, what: str) -> None:
        if not self.sees_channel(channel):
            raise NotFound(f"{what} not found")


SYSTEM = Principal(name="system", role=Role.ADMIN)


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_key(uow, *, name: str, role: str, channel: str | None = None, node: str | None = None,
               carrier: str | None = None) -> tuple[str, dict]:
    """Create a key; returns (token shown once, stored record without the secret)."""
    try:
        role_ = Role(role)
    except ValueError:
        raise ValidationFailed(f"unknown role {role!r}", field_errors=[
            FieldError("role", f"must be one of {', '.join(r.value for r in Role)}")]) from None
    scope = {Role.CHANNEL: ("channel", channel), Role.NODE: ("node", node), Role.CARRIER: ("carrier", carrier)}
    if role_ in scope:
        field, value = scope[role_]
        if not value:
            raise ValidationFailed(f"a {role_} key needs --{field}", field_errors=[FieldError(field, "required for this role")])
        exists = {"channel": uow.channels.get, "node": uow.nodes.get, "carrier": uow.carriers.get}[field](value)
        if exists is None:
            raise ValidationFailed(f"unknown {field} {value!r}", field_errors=[FieldError(field, "does not exist")])
    token = new_token()
    key = ApiKey(id="key_" + secrets.token_hex(8), name=name, prefix=token[:11], key_hash=hash_key(token), role=role_,
                 channel=channel if role_ == Role.CHANNEL else None, node=node if role_ == Role.NODE else None,
                 carrier=carrier if role_ == Role.CARRIER else None, created_at=datetime.now(UTC))
    uow.api_keys.add(key)
    return token, {k: v for k, v in asdict(key).items() if k != "key_hash"}


def principal_for_token(uow, token: str) -> Principal | None:
    if not token or not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    key = uow.api_keys.find(token[:11], hash_key(token))
    if key is None or key.revoked:
        return None
    return principal_of(key)


def principal_of(key: ApiKey) -> Principal:
    """Who a (live) key speaks for."""
    return Principal(name=key.name, role=key.role, channel=key.channel, node=key.node, carrier=key.carrier)

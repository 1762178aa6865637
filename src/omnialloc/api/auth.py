"""Bearer API-key authentication for the HTTP API.

The view gets a ``Principal``; role and scope checks live in the services so the
CLI and the API enforce the same rules.
"""

from __future__ import annotations

import time

from apiflask import HTTPTokenAuth
from flask import g

from omnialloc.api.deps import readonly_uow
from omnialloc.services.access import Principal, hash_key, principal_for_token

auth = HTTPTokenAuth(scheme="Bearer", description="An API key created with `omnialloc keys create`.")


# Key lookups are cached briefly per process: a revoked key stops working within
# CACHE_SECONDS, and a request saves a database transaction.
CACHE_SECONDS = 10.0
_cache: dict[str, tuple[float, Principal | None]] = {}


@auth.verify_token
def _verify(token: str) -> Principal | None:
    if not token:
        return None
    digest = hash_key(token)
    hit = _cache.get(digest)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        principal = hit[1]
    else:
        with readonly_uow() as uow:
            principal = principal_for_token(uow, token)
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[digest] = (time.monotonic(), principal)
    if principal is not None:
        g.principal = principal
    return principal


def principal_of_request() -> tuple[Principal, str] | None:
    """The caller of this request and the digest of its API key (what its Idempotency-Keys are scoped by),
    checked as the views' ``auth_required`` checks it; None without a valid key."""
    token = getattr(auth.get_auth(), "token", None)
    if not token:
        return None
    principal = _verify(token)
    return None if principal is None else (principal, hash_key(token))


def current() -> Principal:
    return auth.current_user  # type: ignore[return-value]

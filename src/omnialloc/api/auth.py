"""Bearer API-key authentication for the HTTP API.

The view gets a ``Principal``; role and scope checks live in the services so the
CLI and the API enforce the same rules.
"""

from __future__ import annotations

from apiflask import HTTPTokenAuth
from flask import g

from omnialloc.api.deps import readonly_uow
from omnialloc.services.access import Principal, principal_for_token

auth = HTTPTokenAuth(scheme="Bearer", description="An API key created with `omnialloc keys create`.")


@auth.verify_token
def _verify(token: str) -> Principal | None:
    with readonly_uow() as uow:
        principal = principal_for_token(uow, token)
    if principal is not None:
        g.principal = principal
    return principal


def current() -> Principal:
    return auth.current_user  # type: ignore[return-value]

"""Idempotency keys: a client's promise that a retried request is the same request.

An ``IdempotencyKey`` is the stored record of one key in one scope: which
request took it (``fingerprint``, method, path), who holds it (``owner``), its
state (pending while the request runs, committed once its change is stored,
done with the answer to replay) and until when it is kept. ``Held`` is this
request's hold on a key; ``committed`` turns true once a change of the request
committed together with the key's mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

STATES = ("pending", "committed", "done")


@dataclass
class Held:
    """A key this request holds: (scope, key), its owner token, and whether a change of it has committed."""

    scope: str
    key: str
    owner: str
    committed: bool = False


@dataclass(frozen=True)
class IdempotencyKey:
    scope: str
    key: str
    fingerprint: str            # sha256 of method, path, query and body
    method: str
    path: str
    state: str
    owner: str
    created_at: datetime
    claimed_at: datetime
    expires_at: datetime
    response_status: int | None = None
    response_type: str | None = None
    response_headers: dict[str, str] | None = None
    response_body: bytes | None = None

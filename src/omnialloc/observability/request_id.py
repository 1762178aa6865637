"""The request id: one opaque token that follows a piece of work through logs, outbox rows and workers.

Taken from the caller's ``X-Request-ID`` when it is a sane token (so a proxy's or a client's id
joins up), generated otherwise, and held in a context variable so every log line of that work
carries it without being passed around.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-ID"
# Printable, no spaces or quotes, bounded: an id is echoed into logs and headers, so it may not
# carry a log-injection payload or a megabyte.
_SANE = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

_current: ContextVar[str | None] = ContextVar("omnialloc_request_id", default=None)


def new() -> str:
    return uuid.uuid4().hex


def accept(offered: str | None) -> str:
    """The caller's id if it is a sane token, else a fresh one."""
    if offered and _SANE.fullmatch(offered):
        return offered
    return new()


def current() -> str | None:
    return _current.get()


def set_current(request_id: str | None) -> object:
    """Make ``request_id`` current; returns the token ``reset`` takes."""
    return _current.set(request_id)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


@contextmanager
def bound(request_id: str | None) -> Iterator[str | None]:
    """Run a block (a worker's handling of one outbox row) under ``request_id``."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)

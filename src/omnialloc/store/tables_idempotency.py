"""Moved to ``omnialloc.store.tables.idempotency``; this alias goes once no import names it."""

from omnialloc.store.tables.idempotency import IDEMPOTENCY_STATES, idempotency_keys  # noqa: F401

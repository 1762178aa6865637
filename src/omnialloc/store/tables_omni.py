"""Moved to ``omnialloc.store.tables.transfers``; this alias goes once no import names it."""

from omnialloc.store.tables.transfers import transfer_lines, transfers  # noqa: F401

"""Moved to ``omnialloc.store.tables.stock_imports``; this alias goes once no import names it."""

from omnialloc.store.tables.stock_imports import inventory_import_changes  # noqa: F401

"""Moved to ``omnialloc.store.tables.backorders``; this alias goes once no import names it."""

from omnialloc.store.tables.backorders import backorder_jobs  # noqa: F401

"""Moved to ``omnialloc.store.tables.batch`` and ``.prices``; this alias goes once no import names it."""

from omnialloc.store.tables.batch import batch_moves, batch_runs  # noqa: F401
from omnialloc.store.tables.prices import stock_prices  # noqa: F401

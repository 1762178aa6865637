"""Moved to ``omnialloc.store.tables.returns``, ``.work_orders`` and ``.store_credit``; this alias goes once no
import names it."""

from omnialloc.store.tables.returns import refunds, return_dispositions, return_lines, returns  # noqa: F401
from omnialloc.store.tables.store_credit import store_credit_balances, store_credit_ledger  # noqa: F401
from omnialloc.store.tables.work_orders import work_orders  # noqa: F401

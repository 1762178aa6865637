"""CSV exports (issue 27): the order export takes the order search's filters; the inventory export a node or SKU."""

from __future__ import annotations


from pydantic import ConfigDict

from omnialloc.api.schemas.common import Code, Strict
from omnialloc.api.schemas.orders import OrderFilters


class OrderExportQuery(OrderFilters):
    """The order search's filters (no paging: the export streams every match)."""


class InventoryExportQuery(Strict):
    node: Code | None = None
    sku: Code | None = None

    model_config = ConfigDict(strict=False, extra="forbid")

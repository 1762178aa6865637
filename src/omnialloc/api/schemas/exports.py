"""CSV exports (issue 27): the order export takes the order search's filters; the inventory export a node or SKU."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, IsoDateTime, OptInt, Strict
from omnialloc.api.schemas.orders import OrderStatusName


class OrderExportQuery(Strict):
    status: OrderStatusName | None = None
    channel: Code | None = None
    node: Code | None = None
    pin: Annotated[str | None, Field(pattern=r"^[0-9]{6}$")] = None
    created_from: IsoDateTime | None = None
    created_to: IsoDateTime | None = None
    tag: Annotated[str | None, Field(min_length=1, max_length=50)] = None
    priority: OptInt(ge=0, le=10) = None
    min_priority: OptInt(ge=0, le=10) = None
    phone: Annotated[str | None, Field(pattern=r"^\+?[0-9 \-]{3,19}$")] = None
    email: Annotated[str | None, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] = None
    awb: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    number: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    customer_id: Annotated[str | None, Field(min_length=1, max_length=128)] = None

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class InventoryExportQuery(Strict):
    node: Code | None = None
    sku: Code | None = None

    model_config = ConfigDict(strict=False, extra="forbid")

"""Nodes: a node's carrier manifest (what leaves the dock on a day, by carrier)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Open, Strict


class ManifestQuery(Strict):
    date: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None

    model_config = ConfigDict(strict=False, extra="forbid")


class ManifestShipment(Open):
    shipment: str
    order_id: str
    awb: str | None = None
    billed_weight_g: int | None = None
    units: int
    status: str


class ManifestCarrier(Open):
    carrier: str
    shipments: list[ManifestShipment]
    count: int


class ManifestOut(Open):
    node: str
    date: str
    carriers: list[ManifestCarrier]
    total: int

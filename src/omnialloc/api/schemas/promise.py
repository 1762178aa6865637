"""The delivery promise (issue 24): a cart or one SKU to a PIN in, delivery options out."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, Open, Strict, WholeNumber

Pin = Annotated[str, Field(pattern=r"^[1-9][0-9]{5}$", description="6-digit India Post PIN code")]


class CartLineIn(Strict):
    sku: Code
    qty: Annotated[int, Field(gt=0, le=10_000), WholeNumber]


class PromiseIn(Strict):
    lines: Annotated[list[CartLineIn], Field(min_length=1, max_length=50)]
    pin: Pin
    payment_mode: Literal["PREPAID", "COD"] = "PREPAID"
    channel: Code | None = Field(None, description="The sales channel (a channel key's own; default web)")

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [{
        "lines": [{"sku": "SKU-0001", "qty": 1}, {"sku": "SKU-0002", "qty": 2}], "pin": "678001",
        "payment_mode": "PREPAID"}]})


class PromiseQuery(Strict):
    sku: Code
    pin: Pin
    qty: Annotated[int, Field(gt=0, le=10_000), WholeNumber] = 1
    payment_mode: Literal["PREPAID", "COD"] = "PREPAID"
    channel: Code | None = None

    model_config = ConfigDict(strict=False, extra="forbid")


class PromiseParcelOut(Open):
    node: str
    carrier: str
    service: str | None = None
    lines: dict[str, int]
    delivery_date: str | None = None
    ship_by: str | None = Field(None, description="When the node must hand the parcel over (its cut-off, UTC)")
    shipping_paise: int


class PromiseOptionOut(Open):
    name: str = Field(description="standard or express")
    delivery_date: str | None = Field(None, description="The date the last parcel arrives (destination's)")
    deliver_by: str | None = Field(None, description="The end of that day (UTC)")
    days: int | None = Field(None, description="Days from today to the delivery date")
    shipping_paise: int = Field(description="Carrier freight and COD fees of all parcels")
    parcels: int = Field(description="1: one parcel; more: the cart ships in several")
    shipments: list[PromiseParcelOut]


class LineOut(Open):
    sku: str
    qty: int


class PromiseOut(Open):
    pin: str
    payment_mode: str
    channel: str
    as_of: str
    lines: list[LineOut]
    options: list[PromiseOptionOut]
    reason: str | None = Field(None, description="Why there is no option (no node can send the whole cart)")

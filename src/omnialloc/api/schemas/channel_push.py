"""Channels both ways (issue 27): a channel's shop push settings (write-only credentials), its SKU aliases,
and the shop pushes queued for it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, Open, Strict, WholeNumber

SettingValue = Annotated[str, Field(max_length=500)] | bool | None


class PushSettingsIn(Strict):
    kind: Literal["shopify", "woocommerce"]
    settings: Annotated[dict[Annotated[str, Field(max_length=64)], SettingValue], Field(
        max_length=20, description="Shopify: shop_url, access_token, optional api_version, default_location, "
                                   "notify_customer_on_cancel. WooCommerce: site_url, consumer_key, consumer_secret, "
                                   "optional auth (basic/query), shipped_status. Secrets are never returned; an "
                                   "omitted setting keeps its stored value, null removes it.")] = {}
    push_orders: bool | None = None
    push_stock: bool | None = None
    locations: Annotated[dict[Code, Annotated[str, Field(max_length=100)]] | None, Field(
        max_length=500, description="Node code -> the shop's location id (Shopify); omitted: unchanged")] = None


class PushSettingsOut(Open):
    channel: str
    kind: str
    push_orders: bool
    push_stock: bool
    locations: dict[str, str]
    settings: dict[str, Any] = Field(description="The settings that are not secrets")
    secrets_set: list[str] = Field(description="Which secret settings are stored (their values are never shown)")
    stock_cursor: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str = ""


class AliasIn(Strict):
    sku: Code


class AliasOut(Open):
    channel: str
    alias: str
    sku: str


class AliasList(Open):
    items: list[AliasOut]


class ResyncIn(Strict):
    full: bool = True


class ResyncOut(Open):
    queued: dict[str, int] = Field(description="SKUs queued for a stock push, per channel")


class AttemptOut(Open):
    attempt: int
    at: datetime
    outcome: str
    http_status: int | None = None
    duration_ms: int | None = None
    detail: str = ""


class OutboundOut(Open):
    id: str
    kind: str
    target: str
    topic: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = None
    last_status: int | None = None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None = None
    payload: dict[str, Any]
    log: list[AttemptOut] | None = None


class OutboundPage(Open):
    items: list[OutboundOut]
    next_cursor: str | None = None


class OutboundQuery(Strict):
    status: Literal["pending", "sending", "delivered", "failed", "cancelled"] | None = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Annotated[int, Field(ge=1, le=200), WholeNumber] = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text

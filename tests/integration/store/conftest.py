"""Builders for store tests: tiny orders and shipments on top of the demo network."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest

from omnialloc.domain import Address, Order, OrderLine, Shipment, ShipmentLine


@pytest.fixture
def demo(uow_factory):
    """Codes from the loaded demo network: a channel, a node with stock, SKUs, a carrier."""
    with uow_factory(readonly=True) as uow:
        channel = uow.channels.list()[0].code
        positions = [p for p in uow.inventory.list() if p.atp > 0]
        carrier = uow.carriers.list()[0].code
        skus = [s.code for s in uow.skus.list()]
    node, sku = positions[0].node, positions[0].sku
    return {"channel": channel, "node": node, "sku": sku, "skus": skus, "carrier": carrier,
            "nodes": sorted({p.node for p in positions})}


def make_order(demo, *, order_id: str | None = None, external_id: str | None = None, lines=None,
               created_at: datetime | None = None, **kw) -> Order:
    lines = lines or [OrderLine(1, demo["skus"][0], 2, 49_900), OrderLine(2, demo["skus"][1], 1, 12_500)]
    return Order(
        id=order_id or "ord_" + secrets.token_hex(6), channel=demo["channel"],
        external_id=external_id or "ext-" + secrets.token_hex(4),
        ship_to=Address(name="Asha Rao", line1="12 Anna Salai", city="Chennai", state="Tamil Nadu", pin="600002",
                        phone="+919800000001", email="asha@example.com", lat=13.06, lon=80.27),
        lines=lines, created_at=created_at, **kw)


def make_shipment(demo, order_id: str, *, shipment_id: str | None = None, qty: int = 1, **kw) -> Shipment:
    return Shipment(id=shipment_id or "shp_" + secrets.token_hex(6), order_id=order_id, node=demo["node"],
                    carrier=demo["carrier"], lines=[ShipmentLine(1, demo["sku"], qty)], weight_g=500,
                    billed_weight_g=500, cost_paise=4_500, sla_days=3, cost_breakdown={"freight": 4_000,
                                                                                         "handling": 500}, **kw)


@pytest.fixture
def new_order(demo):
    return lambda **kw: make_order(demo, **kw)


@pytest.fixture
def new_shipment(demo):
    return lambda order_id, **kw: make_shipment(demo, order_id, **kw)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)

"""Fixtures for notification integration tests: a store (SQLite and PostgreSQL, from tests/conftest.py),
a Context tuned for tests, orders to talk about, and real SMTP (aiosmtpd) and HTTP (pytest-httpserver) servers."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from notify_support import SmtpServer, notify_settings  # noqa: E402


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def make_ctx(clean_engine):
    """``make_ctx(**settings)`` -> a Context on the test store with test-friendly notification settings."""
    from omnialloc.services.context import Context

    return lambda **overrides: Context(engine=clean_engine, settings=notify_settings(**overrides))


@pytest.fixture
def ctx(make_ctx):
    return make_ctx()


@pytest.fixture
def demo(uow_factory):
    with uow_factory(readonly=True) as uow:
        channel = uow.channels.list()[0].code
        positions = [p for p in uow.inventory.list() if p.atp > 0]
        carrier = uow.carriers.list()[0]
        skus = {s.code: s for s in uow.skus.list()}
    return {"channel": channel, "node": positions[0].node, "sku": positions[0].sku, "skus": skus,
            "carrier": carrier}


@pytest.fixture
def add_order(uow_factory, demo):
    """Store an order (status ALLOCATED-ready) and return it; contact details can be overridden."""
    from omnialloc.domain import Address, Order, OrderLine, OrderStatus, PaymentMode

    def make(*, email="asha@example.com", phone="+919800000001", customer_id=None, payment_mode=PaymentMode.PREPAID,
             status=OrderStatus.VALIDATED) -> Order:
        sku = demo["sku"]
        order = Order(id="ord_" + secrets.token_hex(6), channel=demo["channel"],
                      external_id="KM-" + secrets.token_hex(3).upper(),
                      ship_to=Address(name="Asha Rao", line1="12 Anna Salai", city="Chennai", state="Tamil Nadu",
                                      pin="600002", phone=phone, email=email),
                      lines=[OrderLine(1, sku, 2, 49_950)], payment_mode=payment_mode, status=status,
                      promised_days=3, customer_id=customer_id)
        with uow_factory() as uow:
            uow.orders.add(order)
            uow.commit()
        return order

    return make


@pytest.fixture
def add_shipment(uow_factory, demo):
    from omnialloc.domain import Shipment, ShipmentLine, ShipmentStatus

    def make(order, *, status=ShipmentStatus.PACKED) -> Shipment:
        shipment = Shipment(id="shp_" + secrets.token_hex(6), order_id=order.id, node=demo["node"],
                            carrier=demo["carrier"].code, lines=[ShipmentLine(1, order.lines[0].sku, 2)],
                            status=status, weight_g=800, billed_weight_g=1000, cost_paise=6_000, sla_days=3,
                            cost_breakdown={"shipping": 6_000, "total": 6_000})
        with uow_factory() as uow:
            uow.shipments.add(shipment)
            uow.commit()
        return shipment

    return make


@pytest.fixture
def record_event(uow_factory):
    """``record_event(entity, id, type, to_status=..., **payload)``: one committed audit event (and its outbox rows)."""
    from omnialloc.services.events import record

    def do(entity, entity_id, type_="status_changed", *, actor="test", from_status=None, to_status=None,
           reason=None, **payload):
        with uow_factory() as uow:
            record(uow, entity, entity_id, type_, actor, from_status=from_status, to_status=to_status,
                   reason=reason, **payload)
            uow.commit()

    return do


@pytest.fixture
def rows(uow_factory):
    """``rows(**filters)`` -> the notifications table as dicts, oldest first."""
    import sqlalchemy as sa

    from omnialloc.store.tables.notifications import notifications as N

    def read(**filters):
        q = sa.select(N).order_by(N.c.created_at, N.c.channel, N.c.id)
        for name, value in filters.items():
            q = q.where(N.c[name] == value)
        with uow_factory(readonly=True) as uow:
            return [dict(r._mapping) for r in uow.conn.execute(q)]

    return read

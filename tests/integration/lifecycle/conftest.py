"""Fixtures for the order lifecycle tests: the API on the clean store, stock placed where a test wants it,
and SQL written here (not the repositories) to read back where every unit is."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from tests.api.conftest import app, client, settings  # noqa: F401 - the API on the clean store

_ids = itertools.count()

PIN_CHENNAI = "600002"


@pytest.fixture
def ctx(clean_engine, settings):
    from omnialloc.services.context import Context

    return Context(clean_engine, settings)


@pytest.fixture
def admin(admin_token) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture
def stock_only_at(clean_engine):
    """``stock_only_at(sku, {node: on_hand, ...})``: that SKU is held at those nodes only (no safety stock,
    nothing reserved); every other node's row for it is zeroed."""
    from omnialloc.store.repositories._base import utcnow
    from omnialloc.store.tables.inventory import inventory as inv

    def place(sku: str, where: dict[str, int]) -> None:
        now = utcnow()
        with clean_engine.begin() as conn:
            conn.execute(inv.delete().where(inv.c.sku == sku))
            for node, qty in sorted(where.items()):
                conn.execute(inv.insert().values(node=node, sku=sku, on_hand=qty, reserved=0, safety_stock=0,
                                                 updated_at=now))
    return place


def order_body(lines, *, priority: int | None = None, pin: str = PIN_CHENNAI, **extra) -> dict:
    body = {"channel": "web", "external_id": f"lc-{next(_ids)}", "payment_mode": "PREPAID",
            "ship_to": {"name": "Asha", "line1": "12 Anna Salai", "city": "Chennai", "pin": pin},
            "lines": [{"sku": sku, "qty": qty} for sku, qty in lines], **extra}
    if priority is not None:
        body["priority"] = priority
    return body


@pytest.fixture
def capture(client, admin):
    """``capture([(sku, qty), ...], priority=...)`` -> the order as POST /orders answered it."""
    def go(lines, **kw) -> dict:
        r = client.post("/orders", json=order_body(lines, **kw), headers=admin)
        assert r.status_code == 201, r.get_json()
        return r.get_json()
    return go


@pytest.fixture
def api(client, admin):
    """``api("post", path, json)`` -> (status code, body) as the admin."""
    def call(method: str, path: str, body: dict | None = None):
        r = getattr(client, method)(path, json=body, headers=admin)
        return r.status_code, r.get_json()
    return call


def unit_states(engine, order_id: str) -> dict[int, dict[str, int]]:
    """Per line of the order: ordered, cancelled, placed (shipments holding stock), shipped (left the node),
    from the tables with SQL written here."""
    q = sa.text("""
        SELECT l.line_no, l.qty, l.cancelled_qty,
               COALESCE(SUM(CASE WHEN s.status IN ('ALLOCATED','ACCEPTED','PACKED','READY_FOR_PICKUP')
                                 THEN sl.qty END), 0) AS placed,
               COALESCE(SUM(CASE WHEN s.status NOT IN ('ALLOCATED','ACCEPTED','PACKED','READY_FOR_PICKUP',
                                                        'REJECTED','CANCELLED')
                                 THEN sl.qty END), 0) AS shipped
        FROM order_lines l
        LEFT JOIN shipments s ON s.order_id = l.order_id
        LEFT JOIN shipment_lines sl ON sl.shipment_id = s.id AND sl.line_no = l.line_no
        WHERE l.order_id = :order_id
        GROUP BY l.line_no, l.qty, l.cancelled_qty ORDER BY l.line_no""")
    with engine.connect() as conn:
        return {r.line_no: {"qty": r.qty, "cancelled": r.cancelled_qty, "placed": int(r.placed),
                            "shipped": int(r.shipped)} for r in conn.execute(q, {"order_id": order_id})}


def waiting_units(engine, order_id: str) -> int:
    """Units of the order in no live shipment, not cancelled and not shipped."""
    return sum(u["qty"] - u["cancelled"] - u["placed"] - u["shipped"] for u in unit_states(engine, order_id).values())


def order_status(engine, order_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT status FROM orders WHERE id = :i"), {"i": order_id}).scalar_one()

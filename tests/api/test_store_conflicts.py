"""A write the store refuses is the caller's 409/422 on both backends, never a 500 (issue 20, item 4).

Each race below is made deterministic: the test opens a transaction that takes the value
first and keeps it uncommitted while the request runs. The request's own check cannot see
an uncommitted row, so on PostgreSQL its write waits on the unique index (the test checks
that it does wait, so the race really happens) and fails when the test commits; on SQLite
the request waits for the write lock and its check then sees the row. Either way the
answer is the one a person can act on, and nothing of the request is stored.

Unique keys the API can reach: shipments.awb (ship), orders (channel, external_id)
(capture), inventory (node, sku) (a receipt for a position without a row), store credit
balances (a first credit for a customer), customer preferences (subject, channel), a live
rule's name (a create; the service's check alone let two through on PostgreSQL).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DataError, IntegrityError

from omnialloc.store import integrity
from omnialloc.store.tables.inventory import inventory
from omnialloc.store.tables.orders import orders
from omnialloc.store.tables.shipments import shipments
from tests.api.conftest import auth, order_body

BOX = {"weight_g": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}


def race(engine, app, hold: Callable, send: Callable):
    """Run ``hold(conn)`` in a transaction left open, then ``send(client)`` in a thread; commit once the
    request is waiting on the held row (PostgreSQL: a lock not granted) or has had time to (SQLite:
    it waits for the write lock before its first read). Returns the response."""
    conn = engine.connect()
    tx = conn.begin()
    hold(conn)
    out: dict = {}

    def run():
        out["r"] = send(app.test_client())

    thread = threading.Thread(target=run)
    thread.start()
    try:
        if engine.dialect.name == "postgresql":
            _wait_for_a_lock_wait(engine, thread)
        else:
            time.sleep(0.3)
        assert thread.is_alive(), f"the request did not wait for the held transaction: {out['r'].get_json()}"
    finally:
        tx.commit()
        conn.close()
        thread.join(60)
    return out["r"]


def _wait_for_a_lock_wait(engine, thread) -> None:
    deadline = time.monotonic() + 20
    with engine.connect() as probe:
        while time.monotonic() < deadline and thread.is_alive():
            waiting = probe.execute(sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one()
            probe.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the request never waited on the held row: the race was not exercised")


def _conflict(r, field: str) -> dict:
    """A 409 that names ``field`` (in its field errors, or its detail when a service's own check caught it)."""
    body = r.get_json()
    assert r.status_code == 409, (r.status_code, body)
    assert r.mimetype == "application/problem+json"
    assert field in {e["field"] for e in body["errors"]} or field in body["detail"].lower(), body
    return body


def _packed(client, headers, ext: str) -> str:
    r = client.post("/orders", json=order_body(ext, lines=[{"sku": "SKU-0001", "qty": 1}]), headers=headers)
    assert r.status_code == 201 and r.get_json()["status"] == "ALLOCATED", r.get_json()
    sid = r.get_json()["shipments"][0]["id"]
    for step, body in (("accept", None), ("pack", BOX)):
        assert client.post(f"/shipments/{sid}/{step}", json=body, headers=headers).status_code == 200
    return sid


# ---------------------------------------------------------------- shipments.awb
def test_two_shipments_shipped_at_once_with_one_awb_is_a_409_not_a_500(app, client, keys, clean_engine):
    admin = auth(keys["admin"])
    first, second = _packed(client, admin, "awb-a"), _packed(client, admin, "awb-b")
    with clean_engine.connect() as conn:
        stock_before = conn.execute(sa.select(inventory)).all()

    r = race(clean_engine, app,
             lambda conn: conn.execute(shipments.update().where(shipments.c.id == first).values(awb="AWB-RACE-1")),
             lambda c: c.post(f"/shipments/{second}/ship", json={"awb": "AWB-RACE-1"}, headers=admin))

    body = _conflict(r, "awb")
    assert "another shipment" in body["detail"], body
    with clean_engine.connect() as conn:  # the refused ship changed nothing: still packed, stock as it was
        assert conn.execute(sa.select(shipments.c.status, shipments.c.awb)
                            .where(shipments.c.id == second)).one() == ("PACKED", None)
        assert conn.execute(sa.select(inventory)).all() == stock_before


# ---------------------------------------------------------------- orders (channel, external_id)
def _order_row(external_id: str) -> dict:
    now = datetime.now(UTC)
    return dict(id=f"ord_{uuid.uuid4().hex[:16]}", channel="web", external_id=external_id, request_hash="0" * 64,
                status="CREATED", payment_mode="PREPAID", currency="INR", value_paise=100, priority=0, tags=[],
                delivery_mode="ship", ship_name="X", ship_line1="1 Road", ship_line2="", ship_city="Chennai",
                ship_state="TN", ship_pin="600002", ship_phone="", ship_email="", created_at=now, updated_at=now,
                version=1)


def test_a_capture_racing_another_body_for_the_same_external_id_is_a_409(app, keys, clean_engine):
    admin = auth(keys["admin"])
    r = race(clean_engine, app, lambda conn: conn.execute(orders.insert().values(**_order_row("race-ext-1"))),
             lambda c: c.post("/orders", json=order_body("race-ext-1"), headers=admin))
    _conflict(r, "external_id")
    with clean_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one() == 1


# ---------------------------------------------------------------- inventory (node, sku)
def _free_position(engine) -> tuple[str, str]:
    with engine.connect() as conn:
        nodes = conn.execute(sa.text("SELECT code FROM nodes ORDER BY code")).scalars().all()
        skus = conn.execute(sa.text("SELECT code FROM skus ORDER BY code")).scalars().all()
        held = {tuple(r) for r in conn.execute(sa.select(inventory.c.node, inventory.c.sku))}
    return next((n, s) for n in nodes for s in skus if (n, s) not in held)


def test_a_receipt_racing_the_first_stock_of_a_position_adds_to_it(app, keys, clean_engine):
    """Both writers mean "add": the receipt is applied on top of the row the other created (no 409, no 500)."""
    node, sku = _free_position(clean_engine)
    admin = auth(keys["admin"])
    now = datetime.now(UTC)
    r = race(clean_engine, app,
             lambda conn: conn.execute(inventory.insert().values(node=node, sku=sku, on_hand=5, reserved=0,
                                                                 safety_stock=0, updated_at=now)),
             lambda c: c.post("/inventory/adjustments", headers=admin, json={"adjustments": [
                 {"node": node, "sku": sku, "delta": 3, "reason": "receipt"}]}))
    assert r.status_code == 200, r.get_json()
    with clean_engine.connect() as conn:
        assert conn.execute(sa.select(inventory.c.on_hand).where(inventory.c.node == node,
                                                                 inventory.c.sku == sku)).scalar_one() == 8


def test_a_receipt_for_a_position_without_a_row_creates_it_with_the_delta(client, keys, clean_engine):
    node, sku = _free_position(clean_engine)
    r = client.post("/inventory/adjustments", headers=auth(keys["admin"]), json={"adjustments": [
        {"node": node, "sku": sku, "delta": 3, "reason": "receipt"}]})
    assert r.status_code == 200, r.get_json()
    with clean_engine.connect() as conn:
        assert conn.execute(sa.select(inventory.c.on_hand, inventory.c.reserved).where(
            inventory.c.node == node, inventory.c.sku == sku)).one() == (3, 0)


# ---------------------------------------------------------------- rules: a live name (lower(name))
def test_a_rule_created_racing_another_of_the_same_name_is_a_409(app, keys, clean_engine):
    from omnialloc.store.tables.rules import rules

    admin = auth(keys["admin"])
    now = datetime.now(UTC)
    rule = {"name": "Express for VIPs", "kind": "validation", "condition": 'order.payment_mode == "COD"',
            "actions": [{"type": "add_tag", "tag": "vip"}]}
    with clean_engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(rules)).scalar_one()
    r = race(clean_engine, app,
             lambda conn: conn.execute(rules.insert().values(
                 name="EXPRESS FOR VIPS", kind="validation", condition='order.payment_mode == "COD"',
                 actions=rule["actions"], priority=100, created_by="test", updated_by="test", created_at=now,
                 updated_at=now)),
             lambda c: c.post("/rules", json=rule, headers=admin))
    _conflict(r, "name")
    with clean_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rules)).scalar_one() == before + 1


# ---------------------------------------------------------------- customer preferences (subject, channel)
def test_a_preference_change_racing_another_for_the_same_customer_wins_after_it(app, keys, clean_engine):
    from omnialloc.store.tables.notifications import customer_preferences

    admin = auth(keys["admin"])
    now = datetime.now(UTC)
    r = race(clean_engine, app,
             lambda conn: conn.execute(customer_preferences.insert().values(
                 subject="race@example.com", channel="sms", opted_out=False, updated_at=now, updated_by="test")),
             lambda c: c.put("/notification-preferences/race@example.com", json={"sms": False}, headers=admin))
    assert r.status_code == 200 and r.get_json()["sms"] is False, r.get_json()


# ---------------------------------------------------------------- store credit balances (customer_id)
def test_a_first_store_credit_racing_another_for_the_same_customer_adds_up(clean_engine):
    """Two first credits of one customer (two returns received at once): both count, neither is a 500."""
    from omnialloc.store.repositories.returns import StoreCreditRepository
    from omnialloc.store.tables.store_credit import store_credit_balances

    now = datetime.now(UTC)

    def hold(conn):
        conn.execute(store_credit_balances.insert().values(customer_id="cust-race", balance_paise=500,
                                                           updated_at=now))

    def credit(_client):
        with clean_engine.connect() as conn, conn.begin():
            return StoreCreditRepository(conn).move("cust-race", 700, actor="test", reason="race")

    class _App:  # race() hands the sender a client; this one needs none
        def test_client(self):
            return None

    balance = race(clean_engine, _App(), hold, credit)
    assert balance == 1200
    with clean_engine.connect() as conn:
        assert conn.execute(sa.select(store_credit_balances.c.balance_paise)
                            .where(store_credit_balances.c.customer_id == "cust-race")).scalar_one() == 1200


def test_a_first_store_credit_is_its_amount(clean_engine):
    from omnialloc.store.repositories.returns import StoreCreditRepository

    with clean_engine.connect() as conn, conn.begin():
        repo = StoreCreditRepository(conn)
        assert repo.move("cust-first", 700, actor="test", reason="first") == 700
        assert repo.move("cust-first", 300, actor="test", reason="second") == 1000


# ---------------------------------------------------------------- the mapping, on real violations
def _violate(engine, statement) -> Exception:
    with engine.connect() as conn, pytest.raises((IntegrityError, DataError)) as caught:
        with conn.begin():
            conn.execute(statement)
    return caught.value


def test_each_kind_of_violation_is_named_the_same_on_both_backends(clean_engine):
    from omnialloc.domain.errors import Conflict, ValidationFailed

    with clean_engine.connect() as conn:
        row = conn.execute(sa.select(inventory).limit(1)).one()._asdict()

    taken = _violate(clean_engine, inventory.insert().values(**row))
    v = integrity.classify(taken)
    assert (v.kind, v.table, v.columns) == (integrity.UNIQUE, "inventory", ("node", "sku"))
    assert isinstance(integrity.refusal(taken), Conflict)

    dangling = _violate(clean_engine, inventory.insert().values(**{**row, "node": "NO-SUCH-NODE"}))
    assert integrity.classify(dangling).kind == integrity.FOREIGN_KEY
    assert isinstance(integrity.refusal(dangling), ValidationFailed)

    negative = _violate(clean_engine, inventory.update().where(inventory.c.node == row["node"],
                                                               inventory.c.sku == row["sku"]).values(safety_stock=-1))
    v = integrity.classify(negative)
    assert v.kind == integrity.CHECK and v.constraint == "ck_inventory_safety_stock_nonneg", v

    missing = _violate(clean_engine, sa.text("UPDATE inventory SET updated_at = NULL WHERE node = :n AND sku = :s")
                       .bindparams(n=row["node"], s=row["sku"]))
    v = integrity.classify(missing)
    assert v.kind == integrity.NOT_NULL and v.columns == ("updated_at",), v
    assert integrity.refusal(missing).field_errors[0].field == "updated_at"


def test_a_quantity_past_the_range_is_refused_by_the_store_on_both_backends(clean_engine):
    """SQLite stored on_hand above 2^31-1 (PostgreSQL's INTEGER refuses it): both refuse it now, as a 422."""
    from omnialloc.domain.errors import ValidationFailed

    with clean_engine.connect() as conn:
        row = conn.execute(sa.select(inventory).limit(1)).one()._asdict()
    key = (inventory.c.node == row["node"]) & (inventory.c.sku == row["sku"])
    exc = _violate(clean_engine, inventory.update().where(key).values(on_hand=2**31))
    refusal = integrity.refusal(exc)
    assert isinstance(refusal, ValidationFailed) and "2,147,483,647" in refusal.detail, refusal.detail
    with clean_engine.connect() as conn:
        assert conn.execute(sa.select(inventory.c.on_hand).where(key)).scalar_one() == row["on_hand"]

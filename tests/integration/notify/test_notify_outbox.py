"""The outbox: notification rows are written in the same transaction as the status change they tell about."""

import pytest
import sqlalchemy as sa

from omnialloc.domain import OrderStatus, ShipmentStatus
from omnialloc.services.events import record
from omnialloc.store.tables.notifications import notifications as N


def test_order_confirmation_writes_one_email_and_one_sms(add_order, record_event, rows):
    order = add_order()
    record_event("order", order.id, from_status=OrderStatus.VALIDATED, to_status=OrderStatus.ALLOCATED)
    got = rows(order_id=order.id)
    assert [(r["channel"], r["kind"], r["status"], r["recipient"]) for r in got] == [
        ("email", "order_confirmed", "pending", "asha@example.com"),
        ("sms", "order_confirmed", "pending", "+919800000001")]
    assert got[0]["event_id"] is not None
    assert got[0]["context"]["order"]["ref"] == order.external_id


def test_a_rolled_back_change_leaves_no_notification(uow_factory, add_order, rows):
    order = add_order()
    with uow_factory() as uow:
        record(uow, "order", order.id, "status_changed", "test", from_status="VALIDATED", to_status="ALLOCATED")
        uow.events.flush()  # queued rows are written at the commit, or now when asked
        assert len(uow.conn.execute(sa.select(N.c.id)).all()) == 2  # visible inside the transaction
        uow.rollback()
    assert rows() == []


def test_an_exception_in_the_transaction_leaves_no_notification(uow_factory, add_order, rows):
    order = add_order()
    with pytest.raises(RuntimeError):
        with uow_factory() as uow:
            record(uow, "order", order.id, "status_changed", "test", from_status="VALIDATED",
                   to_status="ALLOCATED")
            raise RuntimeError("stock moved underneath")
    assert rows() == []


def test_confirmation_is_sent_once_even_if_the_order_is_allocated_again(add_order, record_event, rows):
    order = add_order()
    record_event("order", order.id, from_status="VALIDATED", to_status="ALLOCATED")
    record_event("order", order.id, from_status="ALLOCATED", to_status="ON_HOLD")
    record_event("order", order.id, from_status="ON_HOLD", to_status="VALIDATED")
    record_event("order", order.id, from_status="VALIDATED", to_status="ALLOCATED")
    assert len(rows(kind="order_confirmed")) == 2  # one email, one SMS


def test_repeated_failed_delivery_attempts_each_notify(add_order, add_shipment, record_event, rows):
    order = add_order()
    shipment = add_shipment(order, status=ShipmentStatus.OUT_FOR_DELIVERY)
    for _ in range(2):
        record_event("shipment", shipment.id, "tracking", from_status="OUT_FOR_DELIVERY",
                     to_status="DELIVERY_FAILED", reason="customer not available")
        record_event("shipment", shipment.id, "tracking", from_status="DELIVERY_FAILED",
                     to_status="OUT_FOR_DELIVERY")
    assert len(rows(kind="delivery_failed", channel="sms")) == 2
    assert rows(kind="delivery_failed")[0]["context"]["reason"] == "customer not available"


def test_internal_events_write_nothing(add_order, add_shipment, record_event, rows):
    order = add_order()
    shipment = add_shipment(order, status=ShipmentStatus.ALLOCATED)
    record_event("order", order.id, "captured", to_status="CREATED")
    record_event("shipment", shipment.id, from_status="ALLOCATED", to_status="ACCEPTED")
    record_event("inventory", "CHN-FC1:SKU-1", "adjusted")
    assert rows() == []


def test_a_missing_contact_is_recorded_as_skipped(add_order, record_event, rows):
    order = add_order(email="")
    record_event("order", order.id, from_status="VALIDATED", to_status="ALLOCATED")
    email, sms = rows()
    assert (email["status"], email["last_error"]) == ("skipped", "the order has no email address")
    assert sms["status"] == "pending"


def test_shipped_rows_carry_the_awb_from_the_event_and_the_shipment_lines(add_order, add_shipment, record_event, rows,
                                                                           demo):
    order = add_order()
    shipment = add_shipment(order)
    record_event("shipment", shipment.id, from_status="PACKED", to_status="SHIPPED", awb="XB100200300",
                 order_id=order.id)
    ctx = rows(kind="order_shipped")[0]["context"]
    assert ctx["shipment"]["awb"] == "XB100200300"
    assert ctx["shipment"]["carrier_name"] == demo["carrier"].name
    assert ctx["items"] == [{"sku": order.lines[0].sku, "name": demo["skus"][order.lines[0].sku].name, "qty": 2}]


def test_return_events_use_the_payload_when_the_returns_store_does_not_know_the_return(add_order, record_event, rows):
    order = add_order()
    record_event("return", "rma_1", from_status="APPROVED", to_status="PICKUP_SCHEDULED", order_id=order.id,
                 pickup_date="2026-12-03")
    record_event("return", "rma_1", "refund_issued", order_id=order.id, amount_paise=99_900)
    scheduled, refund = rows(channel="sms")
    assert scheduled["context"]["rma"]["pickup_date"] == "2026-12-03"
    assert refund["context"]["rma"]["refund_paise"] == 99_900

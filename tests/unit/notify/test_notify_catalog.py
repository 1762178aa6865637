"""Which audit events call for a customer message."""

from datetime import UTC, datetime

import pytest

from omnialloc.domain import Event
from omnialloc.notify.catalog import Due, Kind, due_for, idempotency_key, kind_for


@pytest.mark.parametrize(("entity", "type_", "src", "dst", "kind"), [
    ("order", "status_changed", "VALIDATED", "ALLOCATED", Kind.ORDER_CONFIRMED),
    ("order", "status_changed", "BACKORDERED", "ALLOCATED", Kind.ORDER_CONFIRMED),
    ("order", "status_changed", "ALLOCATED", "CANCELLED", Kind.ORDER_CANCELLED),
    ("order", "status_changed", "ALLOCATED", "READY_FOR_PICKUP", Kind.READY_FOR_PICKUP),
    ("shipment", "status_changed", "PACKED", "SHIPPED", Kind.ORDER_SHIPPED),
    ("shipment", "tracking", "IN_TRANSIT", "OUT_FOR_DELIVERY", Kind.OUT_FOR_DELIVERY),
    ("shipment", "tracking", "OUT_FOR_DELIVERY", "DELIVERED", Kind.DELIVERED),
    ("shipment", "tracking", "OUT_FOR_DELIVERY", "DELIVERY_FAILED", Kind.DELIVERY_FAILED),
    ("return", "status_changed", "REQUESTED", "APPROVED", Kind.RETURN_APPROVED),
    ("return", "status_changed", "APPROVED", "PICKUP_SCHEDULED", Kind.RETURN_PICKUP_SCHEDULED),
    ("return", "status_changed", "IN_TRANSIT", "RECEIVED", Kind.RETURN_RECEIVED),
    ("return", "refund_issued", None, None, Kind.REFUND_ISSUED),
    ("return", "store_credit_issued", None, None, Kind.STORE_CREDIT_ISSUED),
])
def test_customer_facing_changes_have_a_message(entity, type_, src, dst, kind):
    assert kind_for(entity, type_, src, dst) is kind


@pytest.mark.parametrize(("entity", "type_", "src", "dst"), [
    ("order", "captured", None, "CREATED"),
    ("order", "status_changed", "CREATED", "VALIDATED"),
    ("order", "status_changed", "VALIDATED", "BACKORDERED"),
    ("order", "status_changed", "SHIPPED", "DELIVERED"),        # told per shipment instead
    ("shipment", "created", None, "ALLOCATED"),
    ("shipment", "status_changed", "ALLOCATED", "ACCEPTED"),
    ("shipment", "status_changed", "ALLOCATED", "REJECTED"),
    ("shipment", "tracking", "SHIPPED", "IN_TRANSIT"),
    ("shipment", "tracking_ignored", "DELIVERED", "OUT_FOR_DELIVERY"),
    ("order", "note", "ALLOCATED", "ALLOCATED"),
    ("inventory", "adjusted", None, None),
])
def test_internal_changes_are_silent(entity, type_, src, dst):
    assert kind_for(entity, type_, src, dst) is None


def test_due_for_reads_an_event():
    event = Event(entity="shipment", entity_id="shp_1", type="status_changed", actor="node", at=datetime.now(UTC),
                  from_status="PACKED", to_status="SHIPPED")
    assert due_for(event) == Due(Kind.ORDER_SHIPPED, "shipment", "shp_1")


def test_once_per_subject_keys_ignore_the_event_time():
    due = Due(Kind.ORDER_CONFIRMED, "order", "ord_1")
    t1, t2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    assert idempotency_key(due, "sms", t1) == idempotency_key(due, "sms", t2)
    assert idempotency_key(due, "sms", t1) != idempotency_key(due, "email", t1)


def test_repeatable_kinds_are_keyed_per_event():
    due = Due(Kind.DELIVERY_FAILED, "shipment", "shp_1")
    t1, t2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    assert idempotency_key(due, "sms", t1) != idempotency_key(due, "sms", t2)

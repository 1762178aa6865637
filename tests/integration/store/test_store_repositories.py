"""Repositories: rows in, domain objects out, with the constraints and queries services rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from omnialloc.domain import Event, OrderStatus, PaymentMode, Role, ShipmentLine, ShipmentStatus
from omnialloc.domain.api_keys import ApiKey


def test_an_order_round_trips_with_its_lines_and_address(uow_factory, new_order):
    order = new_order(payment_mode=PaymentMode.COD, tags=["vip"], promised_days=3, priority=5)
    with uow_factory() as uow:
        uow.orders.add(order, request_hash="ab" * 32)
        uow.commit()
    with uow_factory(readonly=True) as uow:
        got = uow.orders.get(order.id)
        by_ext = uow.orders.get_by_external(order.channel, order.external_id)
        assert uow.orders.request_hash(order.id) == "ab" * 32
        assert uow.orders.version(order.id) == 1
    assert got == by_ext
    assert got.lines == order.lines
    assert got.ship_to == order.ship_to
    assert (got.payment_mode, got.tags, got.promised_days, got.priority) == (PaymentMode.COD, ["vip"], 3, 5)
    assert got.status == OrderStatus.CREATED
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == timedelta(0)


def test_unknown_order_is_none(uow_factory, demo):
    with uow_factory(readonly=True) as uow:
        assert uow.orders.get("ord_nope") is None
        assert uow.orders.get_by_external(demo["channel"], "nope") is None


def test_the_same_external_id_twice_in_a_channel_is_refused(uow_factory, new_order):
    with uow_factory() as uow:
        uow.orders.add(new_order(external_id="dup-1"))
        uow.commit()
    with uow_factory() as uow, pytest.raises(IntegrityError):
        uow.orders.add(new_order(external_id="dup-1"))


def test_update_status_is_optimistic_on_the_version(uow_factory, new_order):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        assert uow.orders.update_status(order.id, OrderStatus.VALIDATED, "rules passed", expected_version=1)
        assert not uow.orders.update_status(order.id, OrderStatus.ON_HOLD, "late writer", expected_version=1)
        uow.commit()
    with uow_factory(readonly=True) as uow:
        assert uow.orders.get(order.id).status == OrderStatus.VALIDATED
        assert uow.orders.version(order.id) == 2
        assert uow.orders.meta(order.id)["status_reason"] == "rules passed"


def test_cancelling_line_quantity_updates_the_stored_order_value(uow_factory, new_order):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        assert uow.orders.set_cancelled_qty(order.id, 1, 1)
        uow.commit()
        line = uow.orders.get(order.id).line(1)
        assert line.cancelled_qty == 1 and line.open_qty == 1
        assert uow.orders.meta(order.id)["value_paise"] == 49_900 + 12_500


def test_cancelled_qty_above_qty_is_refused(uow_factory, new_order):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        with pytest.raises(IntegrityError):
            uow.orders.set_cancelled_qty(order.id, 1, 3)


def test_orders_page_by_created_at_then_id_with_a_cursor(uow_factory, new_order):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    ids = []
    with uow_factory() as uow:
        for i in range(7):
            order = new_order(order_id=f"ord_{i:03d}", created_at=base + timedelta(minutes=i // 2))
            uow.orders.add(order)
            ids.append(order.id)
        uow.commit()
    seen, after = [], None
    with uow_factory(readonly=True) as uow:
        while True:
            page = uow.orders.list(after=after, limit=3)
            seen += [o.id for o in page.items]
            if page.next_key is None:
                break
            after = page.next_key
        oldest_first = [o.id for o in uow.orders.list(limit=100, newest_first=False).items]
    assert seen == list(reversed(ids))
    assert oldest_first == ids


def test_orders_list_filters_by_status_and_channel(uow_factory, new_order, demo):
    a, b = new_order(), new_order()
    with uow_factory() as uow:
        uow.orders.add(a)
        uow.orders.add(b)
        uow.orders.set_status(b.id, OrderStatus.VALIDATED)
        uow.commit()
        assert [o.id for o in uow.orders.list(status="VALIDATED").items] == [b.id]
        assert {o.id for o in uow.orders.list(status=["CREATED", "VALIDATED"], channel=demo["channel"]).items} \
            == {a.id, b.id}
        assert uow.orders.list(channel="no-such-channel").items == []


def test_excluded_nodes_remember_who_rejected_an_order(uow_factory, new_order, demo):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        assert uow.orders.exclude_node(order.id, demo["node"], "out of packing tape")
        assert not uow.orders.exclude_node(order.id, demo["node"], "again")
        assert uow.orders.excluded_nodes(order.id) == {demo["node"]: "out of packing tape"}


def test_backorder_candidates_are_the_waiting_units_of_backordered_orders(uow_factory, new_order, new_shipment,
                                                                         demo):
    wanted, other, partly = new_order(), new_order(), new_order()
    sku1, sku2 = demo["skus"][0], demo["skus"][1]
    with uow_factory() as uow:
        for order in (wanted, other, partly):
            uow.orders.add(order)
        uow.orders.set_status(wanted.id, OrderStatus.BACKORDERED)
        uow.orders.set_status(partly.id, OrderStatus.BACKORDERED)
        # partly: one of line 1's two units is in a shipment; line 2 is in a rejected one (so it waits again)
        placed, rejected = new_shipment(partly.id), new_shipment(partly.id, status=ShipmentStatus.REJECTED)
        placed.lines, rejected.lines = [ShipmentLine(1, sku1, 1)], [ShipmentLine(2, sku2, 1)]
        uow.shipments.add(placed)
        uow.shipments.add(rejected)
        found = {c.order_id: c for c in uow.orders.backorder_candidates([sku1])}
        assert set(found) == {wanted.id, partly.id}
        assert found[wanted.id].waiting == {sku1: 2, sku2: 1}
        assert found[partly.id].waiting == {sku1: 1, sku2: 1}
        assert found[wanted.id].priority == wanted.priority and found[wanted.id].pickup_node is None
        assert uow.orders.backorder_candidates(["NO-SUCH-SKU"]) == []
        assert uow.orders.waiting_skus() == {sku1, sku2}


def test_a_shipment_round_trips_and_is_found_by_order_node_and_awb(uow_factory, new_order, new_shipment, demo):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        s = new_shipment(order.id, qty=2)
        uow.shipments.add(s)
        assert uow.shipments.set_awb(s.id, "AWB123456")
        uow.commit()
    with uow_factory(readonly=True) as uow:
        got = uow.shipments.get(s.id)
        assert uow.shipments.for_order(order.id) == [got]
        assert uow.shipments.for_node(demo["node"]) == [got]
        assert uow.shipments.for_node(demo["node"], statuses=[ShipmentStatus.SHIPPED]) == []
        assert uow.shipments.by_awb("AWB123456") == got
    assert got.lines == s.lines and got.cost_breakdown == s.cost_breakdown and got.awb == "AWB123456"


def test_an_awb_belongs_to_one_shipment_only(uow_factory, new_order, new_shipment):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        a, b = new_shipment(order.id), new_shipment(order.id)
        uow.shipments.add(a)
        uow.shipments.add(b)
        uow.shipments.set_awb(a.id, "AWB-1")
        with pytest.raises(IntegrityError):
            uow.shipments.set_awb(b.id, "AWB-1")


def test_shipment_status_changes_bump_the_version_and_stamp_times(uow_factory, new_order, new_shipment):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        s = new_shipment(order.id)
        uow.shipments.add(s)
        assert uow.shipments.update_status(s.id, ShipmentStatus.ACCEPTED, expected_version=1)
        assert not uow.shipments.update_status(s.id, ShipmentStatus.REJECTED, expected_version=1)
        uow.shipments.set_status(s.id, ShipmentStatus.SHIPPED)
        uow.commit()
        got = uow.shipments.get(s.id)
    assert got.status == ShipmentStatus.SHIPPED
    with uow_factory(readonly=True) as uow:
        assert uow.shipments.version(s.id) == 3


def test_reserved_by_shipments_counts_only_holding_shipments(uow_factory, new_order, new_shipment, demo):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        held, gone = new_shipment(order.id, qty=2), new_shipment(order.id, qty=5)
        uow.shipments.add(held)
        uow.shipments.add(gone)
        uow.shipments.set_status(gone.id, ShipmentStatus.CANCELLED)
        assert uow.shipments.reserved_by_shipments() == {(demo["node"], demo["sku"]): 2}
        assert uow.shipments.count_by_node() == {demo["node"]: 2}
        assert uow.shipments.count_by_node(exclude=[ShipmentStatus.CANCELLED]) == {demo["node"]: 1}


def test_events_are_kept_in_order_per_entity(uow_factory):
    at = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    with uow_factory() as uow:
        uow.events.add(Event("order", "ord_1", "captured", "system", at, to_status="CREATED"))
        uow.events.add(Event("order", "ord_2", "captured", "system", at))
        uow.events.add(Event("order", "ord_1", "status_changed", "admin:ops", at + timedelta(seconds=1),
                             from_status="CREATED", to_status="VALIDATED", reason="ok", payload={"rules": ["r1"]}))
        uow.commit()  # ids are given out when the queued events are written, in the order they were added
        first = next(i for i, e in uow.events.after(0, limit=10**6) if e.entity_id == "ord_1")
        trail = uow.events.for_entity("order", "ord_1")
        assert [e.type for e in trail] == ["captured", "status_changed"]
        assert trail[1].payload == {"rules": ["r1"]} and trail[1].at == at + timedelta(seconds=1)
        assert [e.entity_id for _, e in uow.events.after(first)] == ["ord_2", "ord_1"]


def test_a_transaction_recording_more_events_than_one_chunk_writes_them_all_in_order(uow_factory):
    at = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    with uow_factory() as uow:
        for i in range(1205):  # more than the queue holds before it writes a chunk
            uow.events.add(Event("order", "ord_many", "note", "system", at, reason=str(i)))
        uow.commit()
        assert [e.reason for e in uow.events.for_entity("order", "ord_many")] == [str(i) for i in range(1205)]


def _outbox_row(key: str, entity_id: str, at) -> dict:
    return dict(id="ntf_" + key, idempotency_key=key, order_id=entity_id, entity="order", entity_id=entity_id,
                kind="order_confirmed", channel="email", recipient="a@example.com", customer_id=None,
                context={"k": key}, status="pending", attempts=0, next_attempt_at=at, last_error=None,
                created_at=at, updated_at=at)


def test_outbox_rows_point_at_their_own_event_and_a_stored_key_is_skipped(uow_factory):
    # (on PostgreSQL the events and their outbox rows go in one statement: see repositories.events)
    import sqlalchemy as sa

    from omnialloc.store.tables.notifications import notifications

    at = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    with uow_factory() as uow:
        uow.events.add(Event("order", "ord_a", "captured", "system", at), [_outbox_row("ka1", "ord_a", at),
                                                                          _outbox_row("ka2", "ord_a", at)])
        uow.events.add(Event("order", "ord_b", "captured", "system", at))
        uow.events.add(Event("order", "ord_c", "captured", "system", at), [_outbox_row("kc", "ord_c", at)])
        uow.commit()
    with uow_factory() as uow:  # the same change recorded again: its outbox row is already stored
        uow.events.add(Event("order", "ord_c", "note", "system", at), [_outbox_row("kc", "ord_c", at)])
        uow.commit()
        ids = {e.entity_id: i for i, e in uow.events.after(0, limit=10**6) if e.type == "captured"}
        rows = uow.conn.execute(sa.select(notifications.c.idempotency_key, notifications.c.event_id,
                                          notifications.c.context).order_by(notifications.c.idempotency_key)).all()
    assert [tuple(r) for r in rows] == [("ka1", ids["ord_a"], {"k": "ka1"}), ("ka2", ids["ord_a"], {"k": "ka2"}),
                                        ("kc", ids["ord_c"], {"k": "kc"})]


def test_allocations_keep_every_plan(uow_factory):
    with uow_factory() as uow:
        uow.allocations.add(order_id="ord_1", strategy="optimal", status="OPTIMAL", plan={"shipments": []},
                            objective_paise=100, bound_paise=100, solve_ms=1.5)
        uow.allocations.add(order_id="ord_1", strategy="optimal", status="OPTIMAL", plan={"shipments": [1]})
        uow.commit()
        assert len(uow.allocations.for_order("ord_1")) == 2
        assert uow.allocations.latest("ord_1").plan == {"shipments": [1]}


def test_api_keys_are_found_by_prefix_and_hash_and_can_be_revoked(uow_factory):
    key = ApiKey(id="key_1", name="ops", prefix="oa_abcdefgh", key_hash="f" * 64, role=Role.ADMIN,
                 created_at=datetime.now(UTC))
    with uow_factory() as uow:
        uow.api_keys.add(key)
        found = uow.api_keys.find("oa_abcdefgh", "f" * 64)
        assert found.name == "ops" and found.role == "admin" and found.revoked_at is None
        assert uow.api_keys.find("oa_abcdefgh", "0" * 64) is None
        assert uow.api_keys.revoke("key_1")
        assert not uow.api_keys.revoke("key_1")
        assert uow.api_keys.find("oa_abcdefgh", "f" * 64).revoked


def test_reference_data_maps_to_domain_objects(uow_factory, demo):
    with uow_factory(readonly=True) as uow:
        node = uow.nodes.get(demo["node"])
        carrier = uow.carriers.get(demo["carrier"])
        cards = uow.carriers.rate_cards(demo["carrier"])
        rules = uow.carriers.serviceability(demo["carrier"])
        assert uow.nodes.get_many([demo["node"], "nope"]) == {demo["node"]: node}
        assert uow.skus.get_many(demo["skus"][:3]).keys() == set(demo["skus"][:3])
    assert isinstance(node.capabilities, frozenset) and node.kind.value in {"warehouse", "store", "dropship_vendor",
                                                                             "return_center"}
    assert carrier.code == demo["carrier"] and isinstance(carrier.modes, frozenset)
    assert {str(c.zone) for c in cards} <= set("ABCDE") and cards
    assert rules and all(r.carrier == demo["carrier"] for r in rules)


def test_shipped_between_lists_a_nodes_manifest_for_a_window(uow_factory, new_order, new_shipment, demo):
    order = new_order()
    day = datetime(2026, 5, 4, tzinfo=UTC)
    with uow_factory() as uow:
        uow.orders.add(order)
        today, yesterday, unshipped = (new_shipment(order.id) for _ in range(3))
        for s in (today, yesterday, unshipped):
            uow.shipments.add(s)
        uow.shipments.set_status(today.id, ShipmentStatus.SHIPPED, at=day + timedelta(hours=9))
        uow.shipments.set_status(yesterday.id, ShipmentStatus.SHIPPED, at=day - timedelta(hours=1))
        manifest = uow.shipments.shipped_between(demo["node"], day, day + timedelta(days=1))
    assert [s.id for s in manifest] == [today.id]

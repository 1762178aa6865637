"""shipment_day_counts: live shipments per node and UTC day, kept in step by the shipment repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from omnialloc.domain import ShipmentStatus
from omnialloc.services.invariants import check


def _today():
    return datetime.now(UTC).date()


def _stored(uow_factory, node, day) -> int:
    with uow_factory(readonly=True) as uow:
        return uow.shipments.live_on(day).get(node, 0)


def _order_with_shipments(uow_factory, new_order, new_shipment, n=1, **kw):
    order = new_order()
    shipments = [new_shipment(order.id, **kw) for _ in range(n)]
    with uow_factory() as uow:
        uow.orders.add(order)
        for s in shipments:
            uow.shipments.add(s)
        uow.commit()
    return order, shipments


def test_created_shipments_count_for_their_node_and_day(uow_factory, new_order, new_shipment, demo, clean_engine):
    _order_with_shipments(uow_factory, new_order, new_shipment, n=2)
    assert _stored(uow_factory, demo["node"], _today()) == 2
    assert _stored(uow_factory, demo["node"], _today() - timedelta(days=1)) == 0
    assert "shipment_count_mismatch" not in check(clean_engine).codes()


def test_the_transaction_sees_its_own_queued_counts_before_commit(uow_factory, new_order, new_shipment, demo):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        uow.shipments.add(new_shipment(order.id))
        assert uow.shipments.live_on(_today())[demo["node"]] == 1
        uow.commit()
    assert _stored(uow_factory, demo["node"], _today()) == 1


def test_the_allocation_snapshot_reads_stock_and_counts_in_one_query_as_the_two_reads_do(
        uow_factory, new_order, new_shipment, demo):
    _order_with_shipments(uow_factory, new_order, new_shipment, n=2)
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        uow.shipments.add(new_shipment(order.id))  # queued, not yet written: the snapshot adds it
        atp, stored = uow.inventory.atp_and_live_on(demo["skus"][:3], _today())
        assert atp == uow.inventory.atp_for(demo["skus"][:3])
        assert stored == {demo["node"]: 2}
        assert uow.shipments.live_on(_today(), stored=stored) == uow.shipments.live_on(_today()) == {demo["node"]: 3}
        assert uow.inventory.atp_and_live_on([], _today()) == ({}, None)


def test_a_rolled_back_shipment_is_not_counted(uow_factory, new_order, new_shipment, demo):
    order = new_order()
    with uow_factory() as uow:
        uow.orders.add(order)
        uow.shipments.add(new_shipment(order.id))
        uow.rollback()
    with uow_factory() as uow:
        uow.orders.add(new_order())
        uow.commit()  # the unit's next transaction does not write the discarded count either
    assert _stored(uow_factory, demo["node"], _today()) == 0


def test_rejecting_or_cancelling_frees_the_count_once(uow_factory, new_order, new_shipment, demo, clean_engine):
    _, (a, b) = _order_with_shipments(uow_factory, new_order, new_shipment, n=2)
    with uow_factory() as uow:
        assert uow.shipments.set_status(a.id, ShipmentStatus.REJECTED)
        assert uow.shipments.set_status(b.id, ShipmentStatus.CANCELLED)
        assert uow.shipments.set_status(b.id, ShipmentStatus.CANCELLED)  # already dead: no second decrement
        uow.commit()
    assert _stored(uow_factory, demo["node"], _today()) == 0
    assert "shipment_count_mismatch" not in check(clean_engine).codes()


def test_a_status_change_that_loses_its_version_race_changes_no_count(uow_factory, new_order, new_shipment, demo):
    _, (s,) = _order_with_shipments(uow_factory, new_order, new_shipment)
    with uow_factory() as uow:
        assert not uow.shipments.update_status(s.id, ShipmentStatus.REJECTED, expected_version=7)
        uow.commit()
    assert _stored(uow_factory, demo["node"], _today()) == 1


def test_shipping_keeps_the_count(uow_factory, new_order, new_shipment, demo):
    _, (s,) = _order_with_shipments(uow_factory, new_order, new_shipment)
    with uow_factory() as uow:
        for status in (ShipmentStatus.ACCEPTED, ShipmentStatus.PACKED, ShipmentStatus.SHIPPED):
            assert uow.shipments.set_status(s.id, status)
        uow.commit()
    assert _stored(uow_factory, demo["node"], _today()) == 1


def test_a_shipment_killed_on_a_later_day_frees_the_day_it_was_created(uow_factory, new_order, new_shipment, demo,
                                                                       clean_engine):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    order = new_order()
    s = new_shipment(order.id)
    s.created_at = yesterday  # the store takes a creation time when the shipment carries one
    with uow_factory() as uow:
        uow.orders.add(order)
        uow.shipments.add(s)
        uow.commit()
    assert _stored(uow_factory, demo["node"], yesterday.date()) == 1
    with uow_factory() as uow:
        uow.shipments.set_status(s.id, ShipmentStatus.CANCELLED)
        uow.commit()
    assert _stored(uow_factory, demo["node"], yesterday.date()) == 0
    assert _stored(uow_factory, demo["node"], _today()) == 0
    assert "shipment_count_mismatch" not in check(clean_engine).codes()


def test_the_checker_names_a_counter_out_of_step(uow_factory, new_order, new_shipment, demo, clean_engine):
    import sqlalchemy as sa

    from omnialloc.store.tables.shipments import shipment_day_counts

    _order_with_shipments(uow_factory, new_order, new_shipment)
    with clean_engine.begin() as conn:
        conn.execute(sa.update(shipment_day_counts).values(live=5))
    assert "shipment_count_mismatch" in check(clean_engine).codes()


def test_the_counts_are_written_with_the_events_in_one_statement_on_postgresql(
        uow_factory, new_order, new_shipment, demo, clean_engine, db_backend):
    import sqlalchemy as sa

    from omnialloc.services.events import record

    _order_with_shipments(uow_factory, new_order, new_shipment)  # the counter row exists: the upsert adds to it
    seen: list[str] = []

    def spy(conn, cursor, statement, *_):
        seen.append(statement)

    order = new_order()
    sa.event.listen(clean_engine, "before_cursor_execute", spy)
    try:
        with uow_factory() as uow:
            uow.orders.add(order)
            for _ in range(2):
                uow.shipments.add(new_shipment(order.id))
            record(uow, "order", order.id, "note", "test", reason="two shipments")
            uow.commit()
    finally:
        sa.event.remove(clean_engine, "before_cursor_execute", spy)
    assert _stored(uow_factory, demo["node"], _today()) == 3
    with uow_factory(readonly=True) as uow:
        assert [e.reason for e in uow.events.for_entity("order", order.id)] == ["two shipments"]
    assert "shipment_count_mismatch" not in check(clean_engine).codes()
    writes = [s for s in seen if "shipment_day_counts" in s]
    if db_backend == "postgresql":  # one round trip for the events and the counters
        assert len(writes) == 1 and writes[0].lstrip().startswith("WITH new_events")
    else:
        assert len(writes) == 1 and writes[0].lstrip().startswith("INSERT INTO shipment_day_counts")

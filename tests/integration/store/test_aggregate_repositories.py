"""Repositories of the aggregates services used to query themselves: domain types out, the same guards in.

Each test states one contract a service relies on (a compare-and-set that loses, a key two runs race for);
the rows are checked by SQL written here, not through the repository under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from omnialloc.domain import TransferStatus
from omnialloc.domain.transfers import Transfer, TransferLine


def _at(minutes: int = 0) -> datetime:
    return datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)


def _transfer(demo, tid: str, *, plan_key: str | None = None) -> Transfer:
    source, destination = demo["nodes"][0], demo["nodes"][1]
    return Transfer(id=tid, source=source, destination=destination, status=TransferStatus.CREATED,
                    created_by="test", created_at=_at(), updated_at=_at(), plan_key=plan_key,
                    lines=(TransferLine(demo["skus"][0], 3), TransferLine(demo["skus"][1], 2)))


def test_a_transfer_round_trips_with_its_lines_sorted_by_sku(uow_factory, demo):
    t = _transfer(demo, "trf_a")
    with uow_factory() as uow:
        assert uow.transfers.add(t)
        uow.commit()
    with uow_factory(readonly=True) as uow:
        got = uow.transfers.get("trf_a")
    assert got.status is TransferStatus.CREATED
    assert got.lines == tuple(sorted(t.lines, key=lambda l: l.sku))
    assert (got.source, got.destination, got.version, got.plan_key) == (t.source, t.destination, 1, None)


def test_a_taken_plan_key_adds_nothing_and_says_so(uow_factory, clean_engine, demo):
    with uow_factory() as uow:
        assert uow.transfers.add(_transfer(demo, "trf_first", plan_key="reb_1:A->B"))
        uow.commit()
    with uow_factory() as uow:
        assert not uow.transfers.add(_transfer(demo, "trf_second", plan_key="reb_1:A->B"))
        assert uow.transfers.by_plan_key("reb_1:A->B") == "trf_first"
        uow.commit()
    with clean_engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT id FROM transfers")).scalars().all()
        lines = conn.execute(sa.text("SELECT count(*) FROM transfer_lines WHERE transfer_id = 'trf_second'")).scalar()
    assert ids == ["trf_first"] and lines == 0


def test_a_transfer_moves_only_from_the_status_it_was_read_in(uow_factory, demo):
    with uow_factory() as uow:
        uow.transfers.add(_transfer(demo, "trf_m"))
        uow.commit()
    with uow_factory() as uow:
        read = uow.transfers.get("trf_m", for_update=True)
        assert uow.transfers.move(read, TransferStatus.DISPATCHED, _at(5), dispatched_at=_at(5))
        assert not uow.transfers.move(read, TransferStatus.CANCELLED, _at(6))  # stale: it is DISPATCHED now
        uow.commit()
    with uow_factory(readonly=True) as uow:
        got = uow.transfers.get("trf_m")
        transit = uow.transfers.in_transit()
    assert (got.status, got.version, got.dispatched_at) == (TransferStatus.DISPATCHED, 2, _at(5))
    assert transit == {(got.destination, l.sku): l.qty for l in got.lines}

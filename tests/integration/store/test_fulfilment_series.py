"""Gapless numbers under concurrency, in the store (issue 26): invoice serials per node and financial year
(docs/documents.md, "What the store must guarantee") and AWBs from uploaded carrier ranges (docs/carriers.md,
"The store contract"), 8 concurrent writers, some rolling back on purpose; checked with SQL written here."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import sqlalchemy as sa

from omnialloc.domain.invoice_numbers import FinancialYear, format_credit_note_number, format_invoice_number
from omnialloc.logistics.booking.awb_series import AwbRange, CheckDigit, check_digit
from omnialloc.domain.fulfilment import CursorMoved
from omnialloc.store.uow import UnitOfWork

WRITERS = 8
PER_WRITER = 10
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _shipments(engine, n: int) -> list[str]:
    """``n`` bare shipments at CHN-FC1 (rows written here, with only what the schema requires)."""
    ids = [f"shp_t{i:04d}" for i in range(n)]
    with engine.begin() as conn:
        for i, sid in enumerate(ids):
            conn.execute(sa.text(
                "INSERT INTO orders (id, channel, external_id, status, payment_mode, currency, value_paise, priority, "
                "tags, delivery_mode, ship_name, ship_line1, ship_line2, ship_city, ship_state, ship_pin, ship_phone, "
                "ship_email, created_at, updated_at, version) VALUES (:id, 'web', :ext, 'ALLOCATED', 'PREPAID', "
                "'INR', 100, 0, '[]', 'ship', 'A', 'B', '', 'Chennai', 'Tamil Nadu', '600002', '', '', :at, :at, 1)"),
                {"id": f"ord_t{i:04d}", "ext": f"t-{i}", "at": NOW})
            conn.execute(sa.text(
                "INSERT INTO shipments (id, order_id, node, carrier, status, weight_g, billed_weight_g, cost_paise, "
                "cost_breakdown, created_at, updated_at, version) VALUES (:id, :order, 'CHN-FC1', 'XPR', 'ACCEPTED', "
                "100, 100, 0, :cb, :at, :at, 1)"), {"id": sid, "order": f"ord_t{i:04d}", "cb": json.dumps({}),
                                                   "at": NOW})
    return ids


def _run(workers) -> list[BaseException]:
    errors: list[BaseException] = []

    def guard(fn):
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def _concurrently(engine, ids: list[str], issue, *, rolled_back) -> list[str]:
    """``WRITERS`` threads issue one document per id (``issue(uow, sid)``), each in its own transaction; those
    ``rolled_back(w, k)`` names roll back on purpose (their serials must go back to the pool). The committed ids."""
    committed: list[str] = []
    lock = threading.Lock()

    def writer(w: int):
        for k in range(PER_WRITER):
            sid = ids[w * PER_WRITER + k]
            with UnitOfWork(engine) as uow:
                issue(uow, sid)
                if rolled_back(w, k):
                    uow.rollback()
                    continue
                uow.commit()
                with lock:
                    committed.append(sid)

    assert _run([lambda w=w: writer(w) for w in range(WRITERS)]) == []
    return committed


def _gapless(conn, table: str, series: str, fy: FinancialYear) -> int:
    """Serials 1..N of the node's year in ``table``, each once, numbers distinct, ``series``' counter at N."""
    n, lo, hi, distinct, numbers = conn.execute(sa.text(
        "SELECT count(*), min(serial), max(serial), count(DISTINCT serial), count(DISTINCT number) "
        f"FROM {table} WHERE node = 'CHN-FC1' AND fy_start_year = :fy"), {"fy": fy.start_year}).one()
    last = conn.execute(sa.text(f"SELECT last_serial FROM {series} WHERE node = 'CHN-FC1' AND "
                                "fy_start_year = :fy"), {"fy": fy.start_year}).scalar_one()
    assert (lo, hi, distinct, numbers, last) == (1, n, n, n, n), "serials 1..N, each once, counter at N"
    return n


def test_invoice_serials_are_gapless_and_unique_under_8_concurrent_writers(clean_engine):
    ids = _shipments(clean_engine, WRITERS * PER_WRITER)
    fy = FinancialYear.of(NOW)

    def issue(uow, sid: str) -> None:
        issued = uow.documents.issue_invoice(
            invoice_id=f"inv_{sid}", shipment_id=sid, node="CHN-FC1", fy_start_year=fy.start_year,
            prefix="CHN1", issued_at=NOW, number_for=lambda p, s: format_invoice_number(p, fy, s),
            snapshot_for=lambda number: {"number": number})
        assert issued.number.startswith(f"CHN1/{fy.code}/")

    committed = _concurrently(clean_engine, ids, issue, rolled_back=lambda w, k: (w + k) % 3 == 0)
    with clean_engine.connect() as conn:
        n = _gapless(conn, "invoices", "invoice_series", fy)
        rows = conn.execute(sa.text("SELECT serial, number FROM invoices")).all()
    assert n == len(committed) > 0
    assert all(number.endswith(f"/{serial:05d}") for serial, number in rows)


def _s10(serial: int) -> str:
    """UPU S10 check digit written here from the standard (weights 8 6 4 2 3 5 9 7, mod 11; 10 -> 0, 11 -> 5)."""
    total = sum(int(d) * w for d, w in zip(f"{serial:08d}", (8, 6, 4, 2, 3, 5, 9, 7)))
    check = 11 - total % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def test_awbs_from_uploaded_ranges_have_no_gap_and_no_reuse_under_8_concurrent_bookers(clean_engine):
    ids = [f"shp_a{i:04d}" for i in range(WRITERS * PER_WRITER)]
    with UnitOfWork(clean_engine) as uow:   # two small ranges: the bookers run out of the first into the second
        uow.carrier_booking.upload(AwbRange("XPR", 1000, 1029, 8, "EE", "IN", CheckDigit.S10))
        uow.carrier_booking.upload(AwbRange("XPR", 5000, 5999, 8, "EE", "IN", CheckDigit.S10))
        uow.commit()
    assigned: dict[str, str] = {}
    lock = threading.Lock()

    def booker(w: int):
        for k in range(PER_WRITER):
            sid = ids[w * PER_WRITER + k]
            while True:
                try:
                    with UnitOfWork(clean_engine) as uow:
                        awb = uow.carrier_booking.assign("XPR", sid)
                        if (w + k) % 4 == 0:
                            uow.rollback()  # rolled back: the number is not spent
                            break
                        again = uow.carrier_booking.assign("XPR", sid)   # idempotent per shipment
                        assert again == awb
                        uow.commit()
                    with lock:
                        assigned[sid] = awb
                    break
                except CursorMoved:
                    continue

    assert _run([lambda w=w: booker(w) for w in range(WRITERS)]) == []
    n = len(assigned)
    expected = [f"EE{s:08d}{_s10(s)}IN" for s in [*range(1000, 1030), *range(5000, 5000 + n - 30)]]
    assert sorted(assigned.values()) == sorted(expected), "the first n AWBs of the ranges, in order: no gap"
    with clean_engine.connect() as conn:
        count, distinct_awb, distinct_ship = conn.execute(sa.text(
            "SELECT count(*), count(DISTINCT awb), count(DISTINCT shipment_id) FROM awb_assignments "
            "WHERE carrier = 'XPR'")).one()
        cursors = conn.execute(sa.text("SELECT first, next_serial FROM awb_ranges WHERE carrier = 'XPR' "
                                       "ORDER BY seq")).all()
    assert (count, distinct_awb, distinct_ship) == (n, n, n)
    assert [tuple(c) for c in cursors] == [(1000, 1030), (5000, 5000 + n - 30)]
    assert check_digit(CheckDigit.S10, 1000) == _s10(1000)


def test_an_overlapping_upload_is_refused_and_a_voided_awb_is_never_handed_out_again(clean_engine):
    with UnitOfWork(clean_engine) as uow:
        uow.carrier_booking.upload(AwbRange("ECO", 1, 3, 6, "EC"))
        uow.commit()
        try:
            uow.carrier_booking.upload(AwbRange("ECO", 3, 9, 6, "EC"))
        except ValueError as exc:
            assert "overlaps" in str(exc)
        else:
            raise AssertionError("an overlapping range was accepted")
        uow.rollback()
        first = uow.carrier_booking.assign("ECO", "s1")
        uow.carrier_booking.void("ECO", first)
        second = uow.carrier_booking.assign("ECO", "s2")
        uow.commit()
    assert (first, second) == ("EC000001", "EC000002")
    with clean_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT voided_at IS NOT NULL FROM awb_assignments WHERE awb = 'EC000001'"
                                    )).scalar_one()


def test_credit_note_serials_are_gapless_unique_and_apart_from_the_invoices_under_8_concurrent_writers(
        clean_engine):
    """Credit notes take their own series (node, year) the invoices' way: 8 writers, some rolling back; every
    committed note references an invoice; the invoices' counter does not move."""
    ids = _shipments(clean_engine, WRITERS * PER_WRITER)
    fy = FinancialYear.of(NOW)
    invoices = {}
    with UnitOfWork(clean_engine) as uow:
        for sid in ids:
            invoices[sid] = uow.documents.issue_invoice(
                invoice_id=f"inv_{sid}", shipment_id=sid, node="CHN-FC1", fy_start_year=fy.start_year,
                prefix="CHN1", issued_at=NOW, number_for=lambda p, s: format_invoice_number(p, fy, s),
                snapshot_for=lambda number: {"number": number, "items": []})
        uow.commit()

    def issue(uow, sid: str) -> None:
        note = uow.documents.issue_credit_note(
            credit_note_id=f"crn_{sid}", invoice=invoices[sid], source=f"return:r{sid}",
            fy_start_year=fy.start_year, prefix="CHN1", issued_at=NOW,
            number_for=lambda p, s: format_credit_note_number(p, fy, s), snapshot_for=lambda number: {"number": number})
        assert note.number.startswith(f"CHN1/{fy.code}/C")

    committed = _concurrently(clean_engine, ids, issue, rolled_back=lambda w, k: (w + k) % 3 == 1)
    with clean_engine.connect() as conn:
        n = _gapless(conn, "credit_notes", "credit_note_series", fy)
        invoice_last = conn.execute(sa.text("SELECT last_serial FROM invoice_series WHERE node = 'CHN-FC1' AND "
                                            "fy_start_year = :fy"), {"fy": fy.start_year}).scalar_one()
        orphans = conn.execute(sa.text("SELECT count(*) FROM credit_notes c LEFT JOIN invoices i ON "
                                       "i.id = c.invoice_id AND i.shipment_id = c.shipment_id "
                                       "WHERE i.id IS NULL")).scalar_one()
        clashes = conn.execute(sa.text("SELECT count(*) FROM credit_notes c JOIN invoices i ON "
                                       "i.node = c.node AND i.number = c.number")).scalar_one()
        rows = conn.execute(sa.text("SELECT serial, number, shipment_id FROM credit_notes")).all()
    assert n == len(committed) > 0
    assert invoice_last == len(ids), "the invoices' series is its own"
    assert orphans == 0 and clashes == 0, "each note references its shipment's invoice; no number is an invoice's"
    assert all(number.endswith(f"/C{serial:04d}") for serial, number, _ in rows)
    assert sorted(r.shipment_id for r in rows) == sorted(committed)

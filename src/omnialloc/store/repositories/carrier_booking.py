"""Carrier booking in the store: per-carrier booking configs, AWB series and ledger, shipment bookings.

AWB series keep the store contract of docs/carriers.md ("The store contract"): ``upload`` checks a new
range against the carrier's ranges read with a lock (PostgreSQL ``FOR UPDATE``; SQLite's write
transaction is BEGIN IMMEDIATE) and inserts it with its cursor at ``first``; ``assign`` returns the
shipment's AWB if it has one, else takes the next with ``awb_series.take`` and moves the cursor by
compare-and-set (``UPDATE ... WHERE next_serial = :expected``, row count 1) in the transaction that
writes the ledger row; a lost race (row count 0) raises ``CursorMoved`` and the caller runs the
transaction again. ``void`` stamps ``voided_at``; nothing is deleted and no cursor moves back.

Tracking pulled from carriers (``services.fulfilment.tracking_poll``): a carrier's tracking config with its
carrier-wide backoff, and per shipment its next poll, claimed by compare-and-set like a booking attempt.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from omnialloc.domain.fulfilment import BookingStatus, CarrierBookingState, CursorMoved  # noqa: F401 - raised here
from omnialloc.logistics.booking.awb_series import AwbRange, CheckDigit, SeriesState, check_upload, take
from omnialloc.store.repositories._base import Repository, insert, utcnow
from omnialloc.store.tables.carrier_booking import (awb_assignments, awb_ranges, carrier_booking_configs,
                                                    carrier_bookings, carrier_tracking_configs, tracking_polls)
from omnialloc.store.tables.shipments import shipments


def _range(r) -> AwbRange:
    return AwbRange(r.carrier, int(r.first), int(r.last), r.width, r.prefix, r.suffix, CheckDigit(r.check))


def _booking(r) -> CarrierBookingState:
    return CarrierBookingState(
        shipment_id=r.shipment_id, carrier=r.carrier, status=r.status, awb=r.awb, carrier_ref=r.carrier_ref,
        routing_code=r.routing_code, attempts=r.attempts, next_attempt_at=r.next_attempt_at,
        claimed_until=r.claimed_until, last_error=r.last_error, created_at=r.created_at, updated_at=r.updated_at)


class CarrierBookingRepository(Repository):
    # -------------------------------------------------------------- configs
    def config(self, carrier: str) -> tuple[str, dict] | None:
        r = self.conn.execute(sa.select(carrier_booking_configs)
                              .where(carrier_booking_configs.c.carrier == carrier)).first()
        return None if r is None else (r.kind, dict(r.settings))

    def configs(self) -> dict[str, tuple[str, dict]]:
        return {r.carrier: (r.kind, dict(r.settings)) for r in self.conn.execute(sa.select(carrier_booking_configs))}

    def put_config(self, carrier: str, kind: str, settings: dict) -> None:
        values = dict(kind=kind, settings=dict(settings), updated_at=utcnow())
        stmt = insert(self.conn, carrier_booking_configs).values(carrier=carrier, **values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=[carrier_booking_configs.c.carrier],
                                                     set_=values))

    # -------------------------------------------------------------- AWB series
    def _states(self, carrier: str, *, lock: bool) -> list[SeriesState]:
        q = sa.select(awb_ranges).where(awb_ranges.c.carrier == carrier).order_by(awb_ranges.c.seq)
        if lock:
            q = q.with_for_update()
        return [SeriesState(r.id, _range(r), int(r.next_serial)) for r in self.conn.execute(q)]

    def ranges(self, carrier: str) -> list[SeriesState]:
        return self._states(carrier, lock=False)

    def upload(self, new: AwbRange) -> SeriesState:
        """Add a range after the carrier's others; ValueError if it could reuse an uploaded AWB."""
        states = self._states(new.carrier, lock=True)
        check_upload([s.range for s in states], new)
        range_id = "awbr_" + secrets.token_hex(8)
        self.conn.execute(awb_ranges.insert().values(
            id=range_id, carrier=new.carrier, prefix=new.prefix, first=new.first, last=new.last, width=new.width,
            suffix=new.suffix, check=str(new.check), uploaded_at=utcnow(), next_serial=new.first,
            seq=max((self._seq(s.id) for s in states), default=0) + 1))
        return SeriesState(range_id, new, new.first)

    def _seq(self, range_id: str) -> int:
        return int(self.conn.execute(sa.select(awb_ranges.c.seq).where(awb_ranges.c.id == range_id)).scalar_one())

    def assigned(self, carrier: str, shipment_id: str) -> str | None:
        return self.conn.execute(sa.select(awb_assignments.c.awb).where(
            awb_assignments.c.carrier == carrier, awb_assignments.c.shipment_id == shipment_id)).scalar()

    def assign(self, carrier: str, shipment_id: str) -> str:
        """The shipment's AWB: assigned before, or the next unused one (SeriesExhausted when none is left;
        CursorMoved when another booker won the race for the cursor: roll back and run again)."""
        awb = self.assigned(carrier, shipment_id)
        if awb is not None:
            return awb
        got = take(self._states(carrier, lock=False), 1)
        for move in got.moves:
            moved = self.conn.execute(awb_ranges.update()
                                      .where(awb_ranges.c.id == move.range_id,
                                             awb_ranges.c.next_serial == move.expected)
                                      .values(next_serial=move.new)).rowcount
            if moved != 1:
                raise CursorMoved(f"AWB range {move.range_id} moved on")
        [awb] = got.awbs
        self.conn.execute(awb_assignments.insert().values(carrier=carrier, awb=awb, shipment_id=shipment_id,
                                                          assigned_at=utcnow()))
        return awb

    def void(self, carrier: str, awb: str) -> None:
        done = self.conn.execute(awb_assignments.update()
                                 .where(awb_assignments.c.carrier == carrier, awb_assignments.c.awb == awb)
                                 .values(voided_at=sa.func.coalesce(awb_assignments.c.voided_at, utcnow())))
        if done.rowcount != 1:
            raise KeyError(f"{carrier} AWB {awb} was not assigned from its series")

    def remaining(self, carrier: str) -> int:
        return sum(max(0, s.remaining) for s in self._states(carrier, lock=False))

    # -------------------------------------------------------------- bookings
    def booking(self, shipment_id: str, *, for_update: bool = False) -> CarrierBookingState | None:
        q = sa.select(carrier_bookings).where(carrier_bookings.c.shipment_id == shipment_id)
        if for_update:
            q = q.with_for_update()
        r = self.conn.execute(q).first()
        return None if r is None else _booking(r)

    def bookings(self, shipment_ids) -> dict[str, CarrierBookingState]:
        ids = list(shipment_ids)
        if not ids:
            return {}
        rows = self.conn.execute(sa.select(carrier_bookings).where(carrier_bookings.c.shipment_id.in_(ids)))
        return {r.shipment_id: _booking(r) for r in rows}

    def open_booking(self, shipment_id: str, carrier: str, at: datetime) -> CarrierBookingState:
        """A pending booking for the shipment, due now (an existing row of it is left as it is)."""
        self.conn.execute(insert(self.conn, carrier_bookings).values(
            shipment_id=shipment_id, carrier=carrier, status=BookingStatus.PENDING, attempts=0, next_attempt_at=at,
            created_at=at, updated_at=at).on_conflict_do_nothing(index_elements=[carrier_bookings.c.shipment_id]))
        booking = self.booking(shipment_id)
        assert booking is not None  # written just now, or there already
        return booking

    def claim(self, shipment_id: str, *, now: datetime, until: datetime) -> CarrierBookingState | None:
        """Take the booking for one attempt if it is due and nobody holds it (compare-and-set); None if not."""
        due = sa.or_(
            sa.and_(carrier_bookings.c.status.in_([BookingStatus.PENDING, BookingStatus.FAILED]),
                    sa.or_(carrier_bookings.c.next_attempt_at.is_(None), carrier_bookings.c.next_attempt_at <= now)),
            sa.and_(carrier_bookings.c.status == BookingStatus.BOOKING, carrier_bookings.c.claimed_until < now))
        done = self.conn.execute(carrier_bookings.update()
                                 .where(carrier_bookings.c.shipment_id == shipment_id, due)
                                 .values(status=BookingStatus.BOOKING, claimed_until=until,
                                         attempts=carrier_bookings.c.attempts + 1, updated_at=now)).rowcount
        return self.booking(shipment_id) if done == 1 else None

    def reopen(self, shipment_id: str, at: datetime) -> bool:
        """A rejected (or failed) booking due again now: a person fixed something and books again."""
        return self.conn.execute(carrier_bookings.update()
                                 .where(carrier_bookings.c.shipment_id == shipment_id,
                                        carrier_bookings.c.status.in_([BookingStatus.REJECTED, BookingStatus.FAILED]))
                                 .values(status=BookingStatus.PENDING, next_attempt_at=at, updated_at=at)).rowcount == 1

    def finish(self, shipment_id: str, *, status: str, at: datetime, awb: str | None = None, carrier_ref: str = "",
               routing_code: str = "", next_attempt_at: datetime | None = None, error: str | None = None) -> bool:
        """Record an attempt's outcome, only while this attempt still holds the booking."""
        values = dict(status=status, updated_at=at, claimed_until=None, next_attempt_at=next_attempt_at,
                      last_error=error)
        if awb is not None:
            values.update(awb=awb, carrier_ref=carrier_ref or "", routing_code=(routing_code or "")[:16])
        return self.conn.execute(carrier_bookings.update()
                                 .where(carrier_bookings.c.shipment_id == shipment_id,
                                        carrier_bookings.c.status == BookingStatus.BOOKING)
                                 .values(**values)).rowcount == 1

    def request_cancel(self, shipment_id: str, at: datetime) -> bool:
        """In the transaction that cancels a booked shipment: its booking is to be cancelled with the carrier
        (due now; the worker retries it if the call after the commit does not happen or fails)."""
        return self.conn.execute(carrier_bookings.update()
                                 .where(carrier_bookings.c.shipment_id == shipment_id,
                                        carrier_bookings.c.status == BookingStatus.BOOKED,
                                        carrier_bookings.c.awb.is_not(None))
                                 .values(status=BookingStatus.CANCELLING, next_attempt_at=at,
                                         updated_at=at)).rowcount == 1

    def mark_cancelled(self, shipment_id: str, at: datetime, error: str | None = None, *,
                       retry_at: datetime | None = None) -> bool:
        """A booked (or cancelling) booking's cancellation outcome: cancelled; ``error`` with ``retry_at``: the
        carrier was unavailable, cancelling again then; ``error`` alone: the carrier refused, it stays booked."""
        q = carrier_bookings.update().where(
            carrier_bookings.c.shipment_id == shipment_id,
            carrier_bookings.c.status.in_([BookingStatus.BOOKED, BookingStatus.CANCELLING]))
        if error and retry_at is not None:
            values = {"status": BookingStatus.CANCELLING, "next_attempt_at": retry_at, "updated_at": at,
                      "last_error": error, "attempts": carrier_bookings.c.attempts + 1}
        elif error:
            values = {"status": BookingStatus.BOOKED, "next_attempt_at": None, "updated_at": at, "last_error": error}
        else:
            values = {"status": BookingStatus.CANCELLED, "next_attempt_at": None, "updated_at": at, "last_error": None}
        values["claimed_until"] = None  # the cancellation's claim (claim_cancel) ends with its outcome
        return self.conn.execute(q.values(**values)).rowcount == 1

    def due_cancels(self, now: datetime, *, limit: int = 50) -> list[str]:
        """Shipments whose booking's cancellation with the carrier is due (first try or a retry)."""
        q = (sa.select(carrier_bookings.c.shipment_id)
             .where(carrier_bookings.c.status == BookingStatus.CANCELLING, carrier_bookings.c.next_attempt_at <= now)
             .order_by(carrier_bookings.c.next_attempt_at, carrier_bookings.c.shipment_id).limit(limit))
        return list(self.conn.execute(q).scalars())

    def due(self, now: datetime, *, limit: int = 50) -> list[str]:
        """Shipments whose booking is due (pending / failed past their time, or a claim that lapsed)."""
        q = (sa.select(carrier_bookings.c.shipment_id)
             .where(sa.or_(
                 sa.and_(carrier_bookings.c.status.in_([BookingStatus.PENDING, BookingStatus.FAILED]),
                         carrier_bookings.c.next_attempt_at <= now),
                 sa.and_(carrier_bookings.c.status == BookingStatus.BOOKING, carrier_bookings.c.claimed_until < now)))
             .order_by(carrier_bookings.c.next_attempt_at, carrier_bookings.c.shipment_id).limit(limit))
        return list(self.conn.execute(q).scalars())

    def claim_cancel(self, shipment_id: str, *, now: datetime, until: datetime) -> CarrierBookingState | None:
        """Take a booking's cancellation for one call to the carrier (compare-and-set on ``claimed_until``): a
        booked or cancelling booking nobody holds. None when another caller holds it or it is not cancellable:
        the carrier is told once, not once per caller."""
        done = self.conn.execute(
            carrier_bookings.update()
            .where(carrier_bookings.c.shipment_id == shipment_id,
                   carrier_bookings.c.status.in_([BookingStatus.BOOKED, BookingStatus.CANCELLING]),
                   carrier_bookings.c.awb.is_not(None),
                   sa.or_(carrier_bookings.c.claimed_until.is_(None), carrier_bookings.c.claimed_until < now))
            .values(claimed_until=until, updated_at=now)).rowcount
        return self.booking(shipment_id) if done == 1 else None

    # -------------------------------------------------------------- tracking pulled from carriers
    def tracking_config(self, carrier: str) -> dict | None:
        r = self.conn.execute(sa.select(carrier_tracking_configs)
                              .where(carrier_tracking_configs.c.carrier == carrier)).first()
        return None if r is None else dict(r._mapping)

    def tracking_configs(self) -> list[dict]:
        rows = self.conn.execute(sa.select(carrier_tracking_configs).order_by(carrier_tracking_configs.c.carrier))
        return [dict(r._mapping) for r in rows]

    def put_tracking_config(self, carrier: str, settings: dict) -> None:
        """Set (or replace) a carrier's tracking API; a new configuration starts without backoff."""
        values = dict(settings=dict(settings), failures=0, next_poll_at=None, last_error=None, updated_at=utcnow())
        stmt = insert(self.conn, carrier_tracking_configs).values(carrier=carrier, **values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=[carrier_tracking_configs.c.carrier],
                                                     set_=values))

    def delete_tracking_config(self, carrier: str) -> bool:
        return self.conn.execute(carrier_tracking_configs.delete()
                                 .where(carrier_tracking_configs.c.carrier == carrier)).rowcount == 1

    def tracking_outcome(self, carrier: str, at: datetime, *, error: str | None = None,
                         retry_at: datetime | None = None) -> None:
        """The carrier answered (``error`` None: its backoff ends) or was unavailable (backoff until
        ``retry_at``)."""
        c = carrier_tracking_configs.c
        values: dict[str, Any]
        if error is None:
            values = dict(failures=0, next_poll_at=None, last_error=None)
        else:
            values = dict(failures=c.failures + 1, next_poll_at=retry_at, last_error=error)
        self.conn.execute(carrier_tracking_configs.update().where(c.carrier == carrier).values(**values))

    def due_polls(self, carrier: str, statuses, now: datetime, *, limit: int = 50) -> list[tuple[str, str]]:
        """(shipment id, AWB) of the carrier's shipments in ``statuses`` with an AWB whose poll is due: never
        polled first, then the longest waiting; a poll another worker holds is skipped."""
        p = tracking_polls.c
        q = (sa.select(shipments.c.id, shipments.c.awb)
             .select_from(shipments.outerjoin(tracking_polls, p.shipment_id == shipments.c.id))
             .where(shipments.c.carrier == carrier, shipments.c.status.in_([str(s) for s in statuses]),
                    shipments.c.awb.is_not(None), shipments.c.awb != "",
                    sa.or_(p.shipment_id.is_(None),
                           sa.and_(p.next_poll_at <= now,
                                   sa.or_(p.claimed_until.is_(None), p.claimed_until < now))))
             .order_by(p.next_poll_at.is_not(None), p.next_poll_at, shipments.c.id).limit(limit))
        return [(r.id, r.awb) for r in self.conn.execute(q)]

    def claim_poll(self, shipment_id: str, carrier: str, *, now: datetime, until: datetime) -> dict | None:
        """Take a shipment's poll (compare-and-set, a row made on its first poll); None if another holds it or
        it is not due. The row as it was claimed (``failures`` so far)."""
        self.conn.execute(insert(self.conn, tracking_polls).values(
            shipment_id=shipment_id, carrier=carrier, next_poll_at=now, failures=0)
            .on_conflict_do_nothing(index_elements=[tracking_polls.c.shipment_id]))
        p = tracking_polls.c
        done = self.conn.execute(tracking_polls.update()
                                 .where(p.shipment_id == shipment_id, p.next_poll_at <= now,
                                        sa.or_(p.claimed_until.is_(None), p.claimed_until < now))
                                 .values(claimed_until=until, carrier=carrier)).rowcount
        if done != 1:
            return None
        return dict(self.conn.execute(sa.select(tracking_polls).where(p.shipment_id == shipment_id)).one()._mapping)

    def finish_poll(self, shipment_id: str, *, at: datetime, next_poll_at: datetime, error: str | None = None,
                    failed: bool = False) -> None:
        """A poll's outcome: when to poll next; ``failed`` counts a failure of this AWB (else the count restarts)."""
        p = tracking_polls.c
        self.conn.execute(tracking_polls.update().where(p.shipment_id == shipment_id).values(
            claimed_until=None, next_poll_at=next_poll_at, last_error=error,
            failures=p.failures + 1 if failed else 0, **({} if failed else {"polled_at": at})))

    def tracking_poll(self, shipment_id: str) -> dict | None:
        r = self.conn.execute(sa.select(tracking_polls).where(tracking_polls.c.shipment_id == shipment_id)).first()
        return None if r is None else dict(r._mapping)

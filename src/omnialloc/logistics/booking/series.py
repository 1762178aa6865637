"""Carrier booking from an AWB series: the carrier handed out number ranges, we assign them ourselves.

``book`` assigns the shipment the next unused AWB of the carrier's uploaded
series (the same AWB on every retry for that shipment); ``cancel`` voids it (a
voided AWB is never handed out again: the carrier considers it used). Such
carriers collect from a node against the handover manifest, so
``schedule_pickup`` gives the pickup its reference (carrier, node, day) for the
manifest; they report tracking by their own feed or webhook, so ``track`` is
``Unsupported``.

The AWBs come from an ``AwbSource``: ``AwbLedger`` in memory today, the store's
ranges and ledger (same contract, docs/carriers.md) when they land.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from omnialloc.logistics.booking.awb_series import SeriesExhausted
from omnialloc.logistics.booking.contract import (Booking, BookingRejected, BookingRequest, LabelData, Pickup,
                                                  PickupRequest, TrackingScan, Unsupported)


class AwbSource(Protocol):
    def assign(self, carrier: str, key: str) -> str:
        """The AWB of shipment ``key``: assigned before, or the next unused one (SeriesExhausted if none)."""

    def void(self, carrier: str, awb: str) -> None:
        """Mark ``awb`` as not shipped; KeyError if it was never assigned."""


class AwbSeriesCarrier:
    """``CarrierBooking`` for a carrier that hands out AWB ranges."""

    def __init__(self, carrier: str, source: AwbSource, *, routing_codes: Mapping[str, str] | None = None):
        if not carrier:
            raise ValueError("an AWB series adapter needs its carrier code")
        self.carrier = carrier
        self.source = source
        # PIN prefix -> the carrier's sort code for the label; the longest matching prefix wins.
        self.routing_codes = dict(routing_codes or {})
        for prefix in self.routing_codes:
            if not re.fullmatch(r"[1-9][0-9]{0,5}", prefix):
                raise ValueError(f"{carrier}: routing code keys are PIN prefixes, got {prefix!r}")

    def _routing_code(self, pin: str) -> str:
        for cut in range(len(pin), 0, -1):
            if (code := self.routing_codes.get(pin[:cut])) is not None:
                return code
        return ""

    def book(self, request: BookingRequest) -> Booking:
        if request.carrier != self.carrier:
            raise BookingRejected(f"this adapter books {self.carrier}, not {request.carrier}")
        try:
            awb = self.source.assign(self.carrier, request.shipment_ref)
        except SeriesExhausted as exc:
            raise BookingRejected(str(exc)) from None
        return Booking(awb=awb, label=LabelData(routing_code=self._routing_code(request.ship_to.pin)))

    def cancel(self, awb: str) -> None:
        try:
            self.source.void(self.carrier, awb)
        except KeyError as exc:
            raise BookingRejected(str(exc.args[0]) if exc.args else f"unknown AWB {awb}") from None

    def schedule_pickup(self, request: PickupRequest) -> Pickup:
        return Pickup(reference=f"{self.carrier}-{request.node}-{request.pickup_date:%Y%m%d}",
                      pickup_date=request.pickup_date)

    def track(self, awb: str) -> list[TrackingScan]:
        raise Unsupported(f"{self.carrier} hands out AWB series and reports tracking by its own feed; "
                          "there is nothing to ask")

    def close(self) -> None:
        pass

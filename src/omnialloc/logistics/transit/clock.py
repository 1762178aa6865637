"""Delivery days per lane, fast enough to price every lane of every order (the allocator's clock).

`estimate_delivery` (estimate.py) explains one shipment's EDD step by step; the
allocator instead needs, for ~70 lanes per order, only the dates: when the
parcel leaves the node (its calendar, cut-off and the carrier's pickup days),
when it arrives (transit days on the destination's delivery days), and how
many days that is after the order was placed (what a promise of N days is
measured against). The arithmetic is `logistics.calendar`'s; this module keeps
its answers per (node, carrier, local day, before/after the cut-off) and per
(dispatch day, transit days, destination state), so an order costs dictionary
hits once a day's first orders have been planned.

Days after the order count calendar days at the destination (Asia/Kolkata in
the demo): an order placed Monday and delivered Wednesday took 2 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from omnialloc.logistics.calendar import (
    DEFAULT_DELIVERY_RULES,
    DeliveryRules,
    NodeCalendar,
    delivery_date,
    dispatch_date,
)

DEFAULT_CALENDAR = NodeCalendar()


@dataclass(frozen=True)
class LaneTiming:
    """When a parcel on one lane leaves and arrives: instants UTC, dates local."""

    service: str
    transit_days: int
    transit_basis: str
    dispatch_date: date        # the node's local date
    ship_by: datetime          # UTC: the node's cut-off on the dispatch date
    delivery_date: date        # the destination's local date
    deliver_by: datetime       # UTC: the end of the delivery date (on time = delivered before it)
    days: int                  # delivery date minus the order's local date

    def to_dict(self) -> dict[str, str | int]:
        return {"service": self.service, "transit_days": self.transit_days, "transit_basis": self.transit_basis,
                "dispatch_date": self.dispatch_date.isoformat(), "ship_by": self.ship_by.isoformat(),
                "delivery_date": self.delivery_date.isoformat(), "deliver_by": self.deliver_by.isoformat(),
                "days": self.days}


class DeliveryClock:
    """Lane timings for nodes with these calendars (a node without one: the default calendar)."""

    def __init__(self, calendars: Mapping[str, NodeCalendar] | None = None,
                 rules: DeliveryRules = DEFAULT_DELIVERY_RULES) -> None:
        self.calendars = dict(calendars or {})
        self.rules = rules
        self._dispatch = lru_cache(maxsize=65536)(self._compute_dispatch)
        self._delivery = lru_cache(maxsize=65536)(self._compute_delivery)
        self._timing = lru_cache(maxsize=262144)(self._compute_timing)
        self._zones: dict[str, tuple[ZoneInfo, time]] = {}

    def __reduce__(self) -> tuple[type[DeliveryClock], tuple[dict[str, NodeCalendar], DeliveryRules]]:
        # batch workers rebuild it; the caches are process-local memos
        return (type(self), (self.calendars, self.rules))

    def calendar(self, node: str) -> NodeCalendar:
        return self.calendars.get(node, DEFAULT_CALENDAR)

    def end_of_day(self, day: date) -> datetime:
        """The UTC instant the destination's local `day` ends (a promise for `day` is kept before it)."""
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.rules.zone).astimezone(UTC)

    def order_day(self, ordered_at: datetime) -> date:
        """The order's date at the destination (the day "in N days" counts from)."""
        return ordered_at.astimezone(self.rules.zone).date()

    def moment(self, node: str, at: datetime) -> tuple[date, bool]:
        """(the node's local date at `at`, whether `at` is at or past its cut-off): all a dispatch depends on."""
        zone_cutoff = self._zones.get(node)
        if zone_cutoff is None:  # the zone object once per node (ZoneInfo(name) costs a cache look-up and a lock)
            cal = self.calendar(node)
            zone_cutoff = self._zones[node] = (cal.zone, cal.cutoff)
        local = at.astimezone(zone_cutoff[0])
        return local.date(), local.time() >= zone_cutoff[1]

    def timing(self, node: str, carrier: str, service: str, transit_days: int, transit_basis: str,
               state_code: str | None, at: datetime, order_day: date) -> LaneTiming:
        """The timing of a parcel planned at `at` (aware) on this lane, for an order placed on `order_day`."""
        local_day, past = self.moment(node, at)
        return self._timing(node, carrier, service, transit_days, transit_basis, state_code, local_day, past,
                            order_day)

    def timing_at(self, node: str, carrier: str, service: str, transit_days: int, transit_basis: str,
                  state_code: str | None, moment: tuple[date, bool], order_day: date) -> LaneTiming:
        """`timing` with the node's `moment` already worked out (the allocator reuses it for every lane)."""
        return self._timing(node, carrier, service, transit_days, transit_basis, state_code, moment[0],
                            moment[1], order_day)

    def _compute_timing(self, node: str, carrier: str, service: str, transit_days: int, basis: str,
                        state_code: str | None, local_day: date, past: bool, order_day: date) -> LaneTiming:
        dispatched, ship_by = self._dispatch(node, carrier, local_day, past)
        delivered, deliver_by = self._delivery(dispatched, transit_days, state_code)
        return LaneTiming(service, transit_days, basis, dispatched, ship_by, delivered, deliver_by,
                          (delivered - order_day).days)

    def _compute_dispatch(self, node: str, carrier: str, local_day: date, past: bool) -> tuple[date, datetime]:
        cal = self.calendar(node)
        at = cal.local_instant(local_day, cal.cutoff if past else time(0))
        d = dispatch_date(at, cal, carrier)
        return d.date, d.ship_by

    def _compute_delivery(self, dispatched: date, transit_days: int, state_code: str | None) -> tuple[date, datetime]:
        d = delivery_date(dispatched, transit_days, self.rules, state_code)
        return d.date, d.deliver_by

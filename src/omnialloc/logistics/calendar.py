"""Working calendars: on which day a node hands a parcel to its carrier, and on which day a courier delivers it.

Pure date arithmetic in local time, with UTC at the boundaries: every instant
going in must be timezone-aware (any zone; it is converted), every instant
coming out is UTC, and the days in between are local calendar dates.

Node side (`NodeCalendar`, stored per node):

- an order placed strictly before the node's cut-off (local time, 14:00 by
  default) on an open day may leave that day; at or after the cut-off it
  leaves on a later day;
- a day is open when it is one of the node's working days (Mon-Sat by default)
  and not one of its holidays;
- the carrier must also pick up that weekday (`pickup_days` per carrier; a
  carrier without an entry picks up on every working day);
- `dispatch_date` is the first day, from the order's local date (or the day
  after, past the cut-off), that passes all three; `ship_by` is the cut-off on
  that day, as a UTC instant: the moment the parcel must be ready.

Destination side (`DeliveryRules`, one set for the country):

- couriers deliver Mon-Sat and not on holidays (the three national holidays
  every year, plus any dated or per-state holidays a seller adds);
- transit days count delivery days only, as Indian couriers quote TAT
  "excluding the day of dispatch, Sundays and holidays": a parcel that leaves
  on Friday with 2 days' transit arrives on Monday (Saturday is day 1, Sunday
  does not count). 0 days means delivery on the dispatch day itself when that
  is a delivery day (same-day services), else on the next delivery day;
- `deliver_by` is the end of the delivery day at the destination, as a UTC
  instant (exclusive): a parcel delivered before it is on time.

Every step that moves a date says why, as a `Reason` with a stable `code` (for
screens and translations) and an English sentence, so an estimate can be
explained ("ordered 14:01, after the 14:00 cut-off", "15 Aug is a holiday").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Kolkata"
DEFAULT_CUTOFF = time(14, 0)
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ALL_DAYS = frozenset(range(7))
MON_SAT = frozenset(range(6))
# A calendar whose every day is shut (say, 366 annual holidays) would search forever; no real one
# needs more than a few weeks, so ten years means the calendar is wrong.
_SEARCH_LIMIT_DAYS = 3660

# Reason codes, stable for screens and translations.
CUTOFF_MET = "cutoff_met"
CUTOFF_PASSED = "cutoff_passed"
NODE_CLOSED = "node_closed"
NODE_HOLIDAY = "node_holiday"
NO_PICKUP = "no_pickup"
DISPATCHED = "dispatched"
NO_DELIVERY_DAY = "no_delivery_day"
DESTINATION_HOLIDAY = "destination_holiday"
DELIVERED = "delivered"


@dataclass(frozen=True)
class Reason:
    """One step of an estimate: what happened on which day, and why."""

    code: str
    day: date | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "day": self.day.isoformat() if self.day else None, "text": self.text}


# ------------------------------------------------------------------ weekdays and holidays
def parse_weekdays(spec: str | Iterable[int | str]) -> frozenset[int]:
    """Weekday numbers (0 = Monday) from "Mon-Sat", "Mon,Wed,Fri", "Fri-Mon" (wraps) or an iterable.

    Names are English, any case, three letters or in full. ValueError says what is wrong.
    """
    parts: list[int | str]
    if isinstance(spec, str):
        parts = [p.strip() for p in spec.replace("|", ",").split(",") if p.strip()]
    else:
        parts = list(spec)
    if not parts:
        raise ValueError("no weekdays given; write them like Mon-Sat or Mon,Wed,Fri")
    days: set[int] = set()
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            if not 0 <= part <= 6:
                raise ValueError(f"weekday number {part} must be 0 (Monday) to 6 (Sunday)")
            days.add(part)
            continue
        text = str(part).strip()
        if "-" in text:
            first, _, last = text.partition("-")
            start, end = _weekday(first), _weekday(last)
            days.update((start + i) % 7 for i in range((end - start) % 7 + 1))
        else:
            days.add(_weekday(text))
    return frozenset(days)


def _weekday(name: str) -> int:
    key = name.strip().lower()
    for number, (short, long) in enumerate(zip(WEEKDAY_NAMES, _WEEKDAY_LONG)):
        if key in (short.lower(), long.lower()):
            return number
    raise ValueError(f"{name.strip()!r} is not a weekday; use Mon, Tue, Wed, Thu, Fri, Sat or Sun")


def format_weekdays(days: Iterable[int]) -> str:
    """The shortest spelling `parse_weekdays` reads back: {0..5} -> "Mon-Sat", {0, 2, 4} -> "Mon,Wed,Fri"."""
    chosen = sorted(set(days))
    runs: list[list[int]] = []
    for d in chosen:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(WEEKDAY_NAMES[r[0]] if len(r) == 1 else f"{WEEKDAY_NAMES[r[0]]}-{WEEKDAY_NAMES[r[-1]]}"
                    for r in runs)


@dataclass(frozen=True)
class Holidays:
    """Days off: dated ones (a festival this year) and annual ones (the same day every year)."""

    dates: frozenset[date] = frozenset()
    annual: frozenset[tuple[int, int]] = frozenset()   # (month, day)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dates", frozenset(self.dates))
        object.__setattr__(self, "annual", frozenset(self.annual))
        for d in self.dates:
            if not isinstance(d, date) or isinstance(d, datetime):
                raise ValueError(f"holiday {d!r} must be a date")
        for month, day in self.annual:
            date(2024, month, day)  # a leap year, so 29 Feb is allowed; ValueError for 31 Apr

    def __contains__(self, day: date) -> bool:
        return day in self.dates or (day.month, day.day) in self.annual

    def __or__(self, other: "Holidays") -> "Holidays":
        return Holidays(self.dates | other.dates, self.annual | other.annual)

    @classmethod
    def parse(cls, items: Iterable[str] | str) -> "Holidays":
        """From "2024-11-01" (that day) and "08-15" (every 15 August) strings; ValueError names a bad one."""
        if isinstance(items, str):
            items = [p for p in items.replace("|", ",").split(",")]
        dates, annual = set(), set()
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            try:
                if len(text) == 5 and text[2] == "-":
                    month, day = int(text[:2]), int(text[3:])
                    date(2024, month, day)
                    annual.add((month, day))
                else:
                    dates.add(date.fromisoformat(text))
            except ValueError:
                raise ValueError(f"holiday {text!r} must be a date YYYY-MM-DD or an annual MM-DD") from None
        return cls(frozenset(dates), frozenset(annual))

    def as_strings(self) -> list[str]:
        """Annual days as MM-DD, then dated ones as YYYY-MM-DD, each sorted: what `parse` reads back."""
        return [f"{m:02d}-{d:02d}" for m, d in sorted(self.annual)] + [d.isoformat() for d in sorted(self.dates)]


# Republic Day, Independence Day and Gandhi Jayanti: gazetted national holidays, the same date every year,
# on which couriers neither pick up nor deliver. Festival holidays move with the lunar calendar: a seller adds
# them per year (dated holidays), per state where they are regional (Onam in Kerala, Pongal in Tamil Nadu).
INDIA_NATIONAL_HOLIDAYS = Holidays(annual=frozenset({(1, 26), (8, 15), (10, 2)}))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"time zone {name!r} is not an IANA zone name such as Asia/Kolkata") from None


def _check_days(days: frozenset[int], what: str) -> None:
    if not days:
        raise ValueError(f"{what} must name at least one weekday")
    if not days <= ALL_DAYS:
        raise ValueError(f"{what} must be weekday numbers 0 (Monday) to 6 (Sunday), got {sorted(days)}")


def _aware(at: datetime, what: str) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (UTC in the store), got {at!r}")
    return at


def _day_text(day: date) -> str:
    return day.strftime("%a %d %b %Y")


# ------------------------------------------------------------------ node calendar and dispatch
@dataclass(frozen=True)
class NodeCalendar:
    """A node's working calendar, in its own time zone."""

    timezone: str = DEFAULT_TIMEZONE
    cutoff: time = DEFAULT_CUTOFF                     # local; orders at or after it leave on a later day
    working_days: frozenset[int] = MON_SAT             # 0 = Monday
    holidays: Holidays = INDIA_NATIONAL_HOLIDAYS
    pickup_days: Mapping[str, frozenset[int]] = field(default_factory=dict, hash=False)  # carrier -> weekdays

    def __post_init__(self) -> None:
        _zone(self.timezone)
        if not isinstance(self.cutoff, time) or self.cutoff.tzinfo is not None:
            raise ValueError(f"cut-off must be a local time of day without a zone (e.g. 14:00), got {self.cutoff!r}")
        object.__setattr__(self, "working_days", frozenset(self.working_days))
        _check_days(self.working_days, "working days")
        pickups = {}
        for carrier, days in dict(self.pickup_days).items():
            days = frozenset(days)
            _check_days(days, f"pickup days of {carrier}")
            if not days & self.working_days:
                raise ValueError(f"{carrier} would never pick up: its pickup days ({format_weekdays(days)}) are not "
                                 f"working days of the node ({format_weekdays(self.working_days)})")
            pickups[carrier] = days
        # A private plain dict, not a MappingProxyType: calendars are pickled to batch workers.
        object.__setattr__(self, "pickup_days", pickups)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # zoneinfo caches instances per name

    def carrier_pickup_days(self, carrier: str | None) -> frozenset[int]:
        """Weekdays `carrier` collects from this node (every working day unless the calendar says otherwise)."""
        return self.pickup_days.get(carrier, self.working_days) if carrier is not None else self.working_days

    def local_instant(self, day: date, at: time) -> datetime:
        """The UTC instant of local time `at` on `day` in this node's zone.

        In a zone with summer time a wall time can be skipped (spring forward) or occur twice (fall back);
        zoneinfo's default (fold=0) then takes the offset in force before the change, the usual reading.
        """
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready settings (what `from_dict` reads back), for storing per node."""
        return {
            "timezone": self.timezone,
            "cutoff": self.cutoff.isoformat() if self.cutoff.second or self.cutoff.microsecond
            else self.cutoff.strftime("%H:%M"),
            "working_days": format_weekdays(self.working_days),
            "holidays": self.holidays.as_strings(),
            "pickup_days": {c: format_weekdays(d) for c, d in sorted(self.pickup_days.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "NodeCalendar":
        """From settings such as {"timezone": "Asia/Kolkata", "cutoff": "14:00", "working_days": "Mon-Sat",
        "holidays": ["08-15", "2024-11-01"], "pickup_days": {"XPR": "Mon-Fri"}}; missing keys take the defaults.
        ValueError names the setting that is wrong."""
        unknown = set(data) - {"timezone", "cutoff", "working_days", "holidays", "pickup_days"}
        if unknown:
            raise ValueError(f"unknown calendar setting(s): {', '.join(sorted(unknown))}")
        kwargs: dict[str, Any] = {}
        if data.get("timezone") is not None:
            kwargs["timezone"] = str(data["timezone"])
        if data.get("cutoff") is not None:
            try:
                kwargs["cutoff"] = time.fromisoformat(str(data["cutoff"]).strip())
            except ValueError:
                raise ValueError(f"cutoff {data['cutoff']!r} must be a local time HH:MM, e.g. 14:00") from None
        if data.get("working_days") is not None:
            kwargs["working_days"] = parse_weekdays(data["working_days"])
        if data.get("holidays") is not None:
            kwargs["holidays"] = Holidays.parse(data["holidays"])
        if data.get("pickup_days") is not None:
            kwargs["pickup_days"] = {str(c): parse_weekdays(d) for c, d in dict(data["pickup_days"]).items()}
        return cls(**kwargs)


@dataclass(frozen=True)
class Dispatch:
    """When a parcel leaves the node: the local date, and the UTC moment it must be ready by (the cut-off)."""

    date: date
    ship_by: datetime
    reasons: tuple[Reason, ...]


def dispatch_date(ordered_at: datetime, calendar: NodeCalendar, carrier: str | None = None) -> Dispatch:
    """The day a parcel ordered at `ordered_at` (aware; UTC in the store) leaves a node with this calendar,
    handed to `carrier` (whose pickup days the calendar holds; None: any working day). See the module docstring."""
    local = _aware(ordered_at, "order time").astimezone(calendar.zone)
    cutoff_text = calendar.cutoff.strftime("%H:%M")
    ordered_text = f"{local.strftime('%a %d %b %Y %H:%M')} {local.tzname()}"
    reasons: list[Reason] = []
    if local.time() < calendar.cutoff:
        day = local.date()
        reasons.append(Reason(CUTOFF_MET, day, f"ordered {ordered_text}, before the {cutoff_text} cut-off"))
    else:
        day = local.date() + timedelta(days=1)
        reasons.append(Reason(CUTOFF_PASSED, local.date(),
                              f"ordered {ordered_text}, at or after the {cutoff_text} cut-off: "
                              f"cannot leave before the next day"))
    pickups = calendar.carrier_pickup_days(carrier)
    who = carrier or "the carrier"
    for _ in range(_SEARCH_LIMIT_DAYS):
        weekday = day.weekday()
        if weekday not in calendar.working_days:
            reasons.append(Reason(NODE_CLOSED, day, f"{_day_text(day)}: the node does not work on {_WEEKDAY_LONG[weekday]}s"))
        elif day in calendar.holidays:
            reasons.append(Reason(NODE_HOLIDAY, day, f"{_day_text(day)}: holiday at the node"))
        elif weekday not in pickups:
            reasons.append(Reason(NO_PICKUP, day, f"{_day_text(day)}: {who} does not pick up on {_WEEKDAY_LONG[weekday]}s"))
        else:
            reasons.append(Reason(DISPATCHED, day, f"leaves the node on {_day_text(day)}, "
                                                   f"ready by the {cutoff_text} cut-off"))
            return Dispatch(day, calendar.local_instant(day, calendar.cutoff), tuple(reasons))
        day += timedelta(days=1)
    raise ValueError(f"the node's calendar has no day open for {who} within {_SEARCH_LIMIT_DAYS} days")


# ------------------------------------------------------------------ destination rules and delivery
@dataclass(frozen=True)
class DeliveryRules:
    """When couriers deliver at destinations: weekdays, holidays for everyone, and holidays per state."""

    timezone: str = DEFAULT_TIMEZONE
    delivery_days: frozenset[int] = MON_SAT
    holidays: Holidays = INDIA_NATIONAL_HOLIDAYS
    state_holidays: Mapping[str, Holidays] = field(default_factory=dict, hash=False)  # state code -> extra days off

    def __post_init__(self) -> None:
        _zone(self.timezone)
        object.__setattr__(self, "delivery_days", frozenset(self.delivery_days))
        _check_days(self.delivery_days, "delivery days")
        object.__setattr__(self, "state_holidays", dict(self.state_holidays))  # a private copy (picklable)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def holidays_in(self, state_code: str | None) -> Holidays:
        extra = self.state_holidays.get(state_code) if state_code else None
        return self.holidays | extra if extra else self.holidays


DEFAULT_DELIVERY_RULES = DeliveryRules()


@dataclass(frozen=True)
class Delivery:
    """The destination's local delivery date and the UTC instant it ends (on time = delivered before it)."""

    date: date
    deliver_by: datetime
    reasons: tuple[Reason, ...]


def delivery_date(dispatched: date, transit_days: int, rules: DeliveryRules = DEFAULT_DELIVERY_RULES,
                  state_code: str | None = None) -> Delivery:
    """The day a parcel that left on `dispatched` arrives after `transit_days` delivery days (see the
    module docstring), at a destination in `state_code` (for its state holidays)."""
    if not isinstance(transit_days, int) or isinstance(transit_days, bool) or transit_days < 0:
        raise ValueError(f"transit days must be a whole number of days, 0 or more, got {transit_days!r}")
    holidays = rules.holidays_in(state_code)
    where = f" ({state_code})" if state_code else ""
    reasons: list[Reason] = []
    counted = 0
    # Same-day (0 days) may land on the dispatch day itself; otherwise counting starts the day after.
    day = dispatched if transit_days == 0 else dispatched + timedelta(days=1)
    for _ in range(_SEARCH_LIMIT_DAYS + transit_days):
        weekday = day.weekday()
        if weekday not in rules.delivery_days:
            reasons.append(Reason(NO_DELIVERY_DAY, day,
                                  f"{_day_text(day)}: couriers do not deliver on {_WEEKDAY_LONG[weekday]}s (not counted)"))
        elif day in holidays:
            reasons.append(Reason(DESTINATION_HOLIDAY, day, f"{_day_text(day)}: holiday at the destination{where} "
                                                            f"(not counted)"))
        else:
            counted += 1
            if counted >= transit_days:
                plural = "" if transit_days == 1 else "s"
                reasons.append(Reason(DELIVERED, day, f"delivered on {_day_text(day)}, "
                                                      f"{transit_days} delivery day{plural} after dispatch"))
                end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=rules.zone)
                return Delivery(day, end.astimezone(UTC), tuple(reasons))
        day += timedelta(days=1)
    raise ValueError(f"the delivery rules leave no delivery day{where} within {_SEARCH_LIMIT_DAYS} days")

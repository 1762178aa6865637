"""A seller's transit-time table: days per carrier and service, most specific row wins.

Each row says how many days a carrier's service takes between an origin and a
destination given at one of four levels, from the most specific down:

1. `pin`: an exact origin PIN and destination PIN (560038 > 560001);
2. `prefix`: the first three digits of each (a postal sorting district, 560 > 682);
3. `state`: the two states, by code (KA > KL);
4. `zone`: the courier zone of the pair (A-E, as `geo.zones.zone_between` says).

For one (carrier, service) the most specific level that has a row for the
pair answers, whatever the less specific rows say; a pair no row covers gets
no answer here (the transit model then falls back to its distance defaults).
Prefixes are exactly three digits on both sides, so specificity is a strict
order and two rows can only collide by having the same key, which the table
refuses.

Look-ups are dictionary hits, built once per (carrier, service) when the table
is made: at most four `dict.get` calls and one zone computation per question.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from omnialloc.domain.enums import Zone
from omnialloc.geo.pins import PinLocation
from omnialloc.geo.states import STATE_NAMES
from omnialloc.geo.zones import zone_between
from omnialloc.logistics.transit.service import Service

PREFIX_DIGITS = 3
# The slowest Indian surface lanes (to the islands, the far North-East) take two weeks or so; a month or more is
# a typo (hours for days?) rather than a courier service.
MAX_TRANSIT_DAYS = 30


class Level(StrEnum):
    """How specific a row's key is; `SPECIFICITY` lists them most specific first."""

    PIN = "pin"
    PREFIX = "prefix"
    STATE = "state"
    ZONE = "zone"


SPECIFICITY = (Level.PIN, Level.PREFIX, Level.STATE, Level.ZONE)
_RANK = {level: i for i, level in enumerate(SPECIFICITY)}


@dataclass(frozen=True)
class TransitRow:
    """One row: `days` for `carrier`'s `service` from `origin` to `destination` (or within `zone`).

    `origin`/`destination` are 6-digit PINs, 3-digit prefixes or state codes as `level` says, and empty
    for a zone row, whose zone letter is in `zone` (empty otherwise).
    """

    carrier: str
    service: Service
    level: Level
    origin: str
    destination: str
    zone: str
    days: int

    def __post_init__(self) -> None:
        # Plain names ("surface", "state") become the enums; anything else stays for `row_problems` to report.
        for name, enum in (("service", Service), ("level", Level)):
            value = getattr(self, name)
            if isinstance(value, str) and not isinstance(value, enum) and value in {m.value for m in enum}:
                object.__setattr__(self, name, enum(value))

    @property
    def key(self) -> tuple[str, Service, Level, str, str, str]:
        """What two rows must not share: the lane and the place it covers."""
        return (self.carrier, self.service, self.level, self.origin, self.destination, self.zone)

    def sort_key(self) -> tuple[str, Service, int, str, str, str]:
        return (self.carrier, self.service, _RANK[self.level], self.origin, self.destination, self.zone)

    def describe(self) -> str:
        if self.level is Level.ZONE:
            return f"zone {self.zone}"
        return f"{self.level.value} pair {self.origin}>{self.destination}"


def _pin_problem(value: str) -> str | None:
    if len(value) != 6 or not value.isascii() or not value.isdigit():
        return f"{value!r} is not a 6-digit PIN"
    if value[0] == "0":
        return f"PIN {value} cannot start with 0; Indian PIN codes start with 1-9"
    return None


def _prefix_problem(value: str) -> str | None:
    if len(value) != PREFIX_DIGITS or not value.isascii() or not value.isdigit():
        return f"{value!r} is not a {PREFIX_DIGITS}-digit PIN prefix (the first {PREFIX_DIGITS} digits of a PIN)"
    if value[0] == "0":
        return f"prefix {value} cannot start with 0; Indian PIN codes start with 1-9"
    return None


def _state_problem(value: str) -> str | None:
    if value not in STATE_NAMES:
        return f"{value!r} is not a state code such as KA or MH"
    return None


_KEY_PROBLEM = {Level.PIN: _pin_problem, Level.PREFIX: _prefix_problem, Level.STATE: _state_problem}


def row_problems(row: TransitRow) -> list[tuple[str, str]]:
    """(column, message) for everything wrong with the row's shape, carrier and directory aside.

    The one check of a row's form, used by the table (which refuses bad rows) and by the CSV loader (which
    reports them per line, through `field_problems` before it builds a row).
    """
    return field_problems(row.service, row.level, row.origin, row.destination, row.zone, row.days)


def field_problems(service: object, level: object, origin: str, destination: str, zone: str,
                   days: object) -> list[tuple[str, str]]:
    """`row_problems` on a row's fields as read, before they are known to be a Service, a Level and an int."""
    problems: list[tuple[str, str]] = []
    if not isinstance(service, Service):
        problems.append(("service", f"service {service!r} must be one of {', '.join(s.value for s in Service)}"))
    if not isinstance(level, Level):
        problems.append(("level", f"level {level!r} must be one of {', '.join(lv.value for lv in Level)}"))
    elif level is Level.ZONE:
        for column, value in (("origin", origin), ("destination", destination)):
            if value:
                problems.append((column, f"a zone row covers every pair in its zone: leave {column} empty"))
        if zone not in Zone.__members__:
            problems.append(("zone", f"zone {zone!r} must be one of A, B, C, D, E"))
    else:
        check = _KEY_PROBLEM[level]
        for column, value in (("origin", origin), ("destination", destination)):
            problem = check(value)
            if problem:
                problems.append((column, problem))
        if zone:
            problems.append(("zone", f"zone is only for zone rows; this is a {level.value} row"))
    if not isinstance(days, int) or isinstance(days, bool):
        problems.append(("days", f"days must be a whole number, got {days!r}"))
    elif days < 0:
        problems.append(("days", f"days cannot be negative, got {days}"))
    elif days > MAX_TRANSIT_DAYS:
        problems.append(("days", f"days must be at most {MAX_TRANSIT_DAYS}, got {days}"))
    return problems


@dataclass(frozen=True)
class TableMatch:
    """The row that answered a look-up."""

    days: int
    row: TransitRow


class _Lane:
    """The rows of one (carrier, service), one dict per level."""

    __slots__ = ("pins", "prefixes", "states", "zones")

    def __init__(self) -> None:
        self.pins: dict[tuple[str, str], TransitRow] = {}
        self.prefixes: dict[tuple[str, str], TransitRow] = {}
        self.states: dict[tuple[str, str], TransitRow] = {}
        self.zones: dict[str, TransitRow] = {}

    def add(self, row: TransitRow) -> TransitRow | None:
        """Store `row`; return the row already holding its key instead, if any."""
        if row.level is Level.ZONE:
            held = self.zones.get(row.zone)
            if held is None:
                self.zones[row.zone] = row
            return held
        slot = {Level.PIN: self.pins, Level.PREFIX: self.prefixes, Level.STATE: self.states}[row.level]
        key = (row.origin, row.destination)
        held = slot.get(key)
        if held is None:
            slot[key] = row
        return held

    def find(self, origin: PinLocation, destination: PinLocation) -> TransitRow | None:
        if self.pins:
            row = self.pins.get((origin.pin, destination.pin))
            if row is not None:
                return row
        if self.prefixes:
            row = self.prefixes.get((origin.pin[:PREFIX_DIGITS], destination.pin[:PREFIX_DIGITS]))
            if row is not None:
                return row
        if self.states:
            row = self.states.get((origin.state_code, destination.state_code))
            if row is not None:
                return row
        if self.zones:
            return self.zones.get(str(zone_between(origin, destination)))
        return None


class TransitTable:
    """Rows indexed per (carrier, service) for most-specific-wins look-ups; immutable once built.

    ValueError if a row is malformed (see `row_problems`) or two rows share a key; the CSV loader reports the
    same problems per line before it builds a table.
    """

    def __init__(self, rows: Iterable[TransitRow] = ()) -> None:
        # Keyed by (carrier, service): a Service is a str, and `match` takes the plain name too.
        lanes: dict[tuple[str, str], _Lane] = {}
        kept: list[TransitRow] = []
        for row in rows:
            problems = row_problems(row)
            if problems:
                column, message = problems[0]
                raise ValueError(f"transit row {row}: {column}: {message}")
            held = lanes.setdefault((row.carrier, row.service), _Lane()).add(row)
            if held is not None:
                raise ValueError(f"two transit rows for {row.carrier} {row.service.value} {row.describe()}: "
                                 f"{held.days} and {row.days} days")
            kept.append(row)
        self._lanes = lanes
        self._rows = tuple(sorted(kept, key=TransitRow.sort_key))

    @property
    def rows(self) -> tuple[TransitRow, ...]:
        """Every row, in a canonical order (carrier, service, most specific level first, key)."""
        return self._rows

    def __iter__(self) -> Iterator[TransitRow]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TransitTable) and self._rows == other._rows

    def __hash__(self) -> int:
        return hash(self._rows)

    def __repr__(self) -> str:
        return f"TransitTable({len(self._rows)} rows, {len(self._lanes)} carrier services)"

    def lanes(self) -> frozenset[tuple[str, Service]]:
        """The (carrier, service) pairs that have at least one row."""
        return frozenset((row.carrier, row.service) for row in self._rows)

    def match(self, carrier: str, service: Service | str, origin: PinLocation,
              destination: PinLocation) -> TableMatch | None:
        """The most specific row of `carrier`'s `service` covering origin -> destination, or None."""
        lane = self._lanes.get((carrier, service))
        if lane is None:
            return None
        row = lane.find(origin, destination)
        return None if row is None else TableMatch(row.days, row)

"""AWB series: number ranges a carrier hands out, consumed in order without gaps or reuse (pure).

Many Indian carriers give a shipper blocks of air waybill numbers instead of an
API: "your AWBs are 1234500000 to 1234509999". Each upload is an ``AwbRange``:
a serial from ``first`` to ``last`` printed with ``width`` digits between an
optional ``prefix`` and ``suffix``, with the carrier's check digit:

* ``none``;
* ``mod7``: the serial modulo 7 appended (IATA air waybills: ``176-1234567`` + ``5``);
* ``s10``: UPU S10 (India Post, ``EE123456785IN``): an 8-digit serial weighted
  8 6 4 2 3 5 9 7, check = 11 - sum mod 11, with 10 -> 0 and 11 -> 5.

``take`` serves AWBs from the ranges in upload order: the first unused serial of
the first range that has any, then on into the next range. A request that
cannot be served in full takes nothing. ``check_upload`` refuses a range whose
numbers could coincide with an uploaded one (reuse).

The store keeps, per carrier, the ranges with a cursor (``next_serial``, the
first unused serial) and a ledger of assigned AWBs. What it must guarantee is
written in docs/carriers.md ("AWB series: the store contract"): the cursor only
moves forward by compare-and-set in the same transaction that writes the
ledger rows, the ledger has ``UNIQUE (carrier, awb)`` and
``UNIQUE (carrier, shipment)``, and a voided AWB stays in the ledger.
``AwbLedger`` below is that contract held in memory (one process): the tests'
reference for the store's version (store/repositories/carrier_booking.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

_AFFIX = re.compile(r"[A-Z0-9-]{0,12}")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


class CheckDigit(StrEnum):
    NONE = "none"
    MOD7 = "mod7"
    S10 = "s10"


def check_digit(scheme: CheckDigit, serial: int) -> str:
    if scheme is CheckDigit.NONE:
        return ""
    if scheme is CheckDigit.MOD7:
        return str(serial % 7)
    digits = f"{serial:08d}"
    remainder = 11 - sum(int(d) * w for d, w in zip(digits, _S10_WEIGHTS)) % 11
    return {10: "0", 11: "5"}.get(remainder, str(remainder))


class SeriesExhausted(Exception):
    """Not enough unused AWBs left for a carrier: upload a new range."""

    def __init__(self, carrier: str, wanted: int, available: int):
        super().__init__(f"{carrier}: {wanted} AWB(s) wanted, {available} left in its uploaded series "
                         "(upload the next range from the carrier)")
        self.carrier, self.wanted, self.available = carrier, wanted, available


@dataclass(frozen=True)
class AwbRange:
    carrier: str
    first: int
    last: int
    width: int
    prefix: str = ""
    suffix: str = ""
    check: CheckDigit = CheckDigit.NONE

    def __post_init__(self) -> None:
        problems = []
        if not self.carrier:
            problems.append("a carrier")
        for name in ("first", "last", "width"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(f"{name} a whole number >= 0 (got {value!r})")
        if not problems:
            if not 1 <= self.width <= 18:
                problems.append(f"width between 1 and 18 digits (got {self.width})")
            elif self.last >= 10 ** self.width:
                problems.append(f"last ({self.last}) fitting in {self.width} digits")
            if self.first > self.last:
                problems.append(f"first ({self.first}) <= last ({self.last})")
        if not (isinstance(self.prefix, str) and _AFFIX.fullmatch(self.prefix)
                and isinstance(self.suffix, str) and _AFFIX.fullmatch(self.suffix)):
            problems.append("prefix and suffix of up to 12 capital letters, digits or -")
        if not isinstance(self.check, CheckDigit):
            problems.append("a check digit scheme (none, mod7, s10)")
        elif self.check is CheckDigit.S10 and self.width != 8:
            problems.append("an 8-digit serial for S10 numbers")
        if problems:
            raise ValueError("an AWB range needs " + "; ".join(problems))

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def length(self) -> int:
        return len(self.prefix) + self.width + (self.check is not CheckDigit.NONE) + len(self.suffix)

    def awb(self, serial: int) -> str:
        if not self.first <= serial <= self.last:
            raise ValueError(f"serial {serial} is outside {self.first}..{self.last}")
        return f"{self.prefix}{serial:0{self.width}d}{check_digit(self.check, serial)}{self.suffix}"

    def serial_of(self, awb: str) -> int | None:
        """The serial ``awb`` was made from, if it belongs to this range (check digit included)."""
        if len(awb) != self.length or not awb.startswith(self.prefix) or not awb.endswith(self.suffix):
            return None
        digits = awb[len(self.prefix):len(awb) - len(self.suffix) if self.suffix else None]
        body = digits[:self.width]
        if not body.isdigit() or not body.isascii():
            return None
        serial = int(body)
        if not self.first <= serial <= self.last or digits[self.width:] != check_digit(self.check, serial):
            return None
        return serial

    def __str__(self) -> str:
        return f"{self.carrier} {self.awb(self.first)}..{self.awb(self.last)}"


def _leading(pattern: str, text: str) -> str:
    """The start of ``text`` that ``pattern`` matches (a starred class: it always matches, perhaps nothing)."""
    match = re.match(pattern, text)
    assert match is not None
    return match.group(0)


def parse_range(carrier: str, first_awb: str, last_awb: str, *, check: CheckDigit = CheckDigit.NONE,
                prefix: str | None = None) -> AwbRange:
    """A range from its first and last AWB as the carrier wrote them.

    Letters before the digits are the prefix and letters after them the suffix, unless ``prefix`` says how
    the number starts (a numeric airline prefix such as ``176``). With a check digit, the last digit is it,
    and it must be right for both ends.
    """
    first_awb, last_awb = first_awb.strip().upper(), last_awb.strip().upper()
    parts = []
    for awb in (first_awb, last_awb):
        head = prefix if prefix is not None else _leading(r"[A-Z-]*", awb)
        if not awb.startswith(head):
            raise ValueError(f"{awb!r} does not start with the prefix {head!r}")
        rest = awb[len(head):]
        digits = _leading(r"[0-9]*", rest)
        tail = rest[len(digits):]
        if check is not CheckDigit.NONE:
            digits, given = digits[:-1], digits[-1:]
        else:
            given = ""
        if not digits:
            raise ValueError(f"{awb!r} has no serial number")
        if check is not CheckDigit.NONE and given != check_digit(check, int(digits)):
            raise ValueError(f"{awb!r}: check digit {given!r} is wrong for {check} (expected "
                             f"{check_digit(check, int(digits))})")
        parts.append((head, digits, tail))
    (p1, d1, s1), (p2, d2, s2) = parts
    if (p1, s1, len(d1)) != (p2, s2, len(d2)):
        raise ValueError(f"{first_awb} and {last_awb} are not of one series (prefix, digits or suffix differ)")
    return AwbRange(carrier, int(d1), int(d2), len(d1), p1, s1, check)


def may_collide(a: AwbRange, b: AwbRange) -> bool:
    """Whether some AWB of ``a`` could equal one of ``b`` (conservative for ranges of different formats)."""
    if a.carrier != b.carrier or a.length != b.length:
        return False
    if (a.prefix, a.suffix, a.width, a.check) == (b.prefix, b.suffix, b.width, b.check):
        return a.first <= b.last and b.first <= a.last
    # Different formats of the same length: they can only meet if their fixed letters agree where both have them.
    return (a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)) and \
        (a.suffix.endswith(b.suffix) or b.suffix.endswith(a.suffix))


def check_upload(existing: Sequence[AwbRange], new: AwbRange) -> None:
    """Refuse ``new`` if any of its AWBs could be one already uploaded (that would be reuse)."""
    for old in existing:
        if may_collide(old, new):
            raise ValueError(f"the range {new} overlaps the uploaded range {old}: a carrier's AWBs are used once "
                             "(upload only numbers not handed out before; one format per series)")


@dataclass(frozen=True)
class SeriesState:
    """A stored range and its cursor: ``next_serial`` is the first unused serial (``last + 1``: used up)."""

    id: str
    range: AwbRange
    next_serial: int

    @property
    def remaining(self) -> int:
        return self.range.last - self.next_serial + 1


@dataclass(frozen=True)
class CursorMove:
    """The compare-and-set the store applies: ``next_serial`` from ``expected`` to ``new`` on range ``range_id``."""

    range_id: str
    expected: int
    new: int


@dataclass(frozen=True)
class Take:
    awbs: tuple[str, ...]
    moves: tuple[CursorMove, ...]


def take(states: Sequence[SeriesState], n: int) -> Take:
    """The next ``n`` AWBs from ranges in the order given (upload order). All or nothing."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"take at least one AWB, got {n!r}")
    carriers = {s.range.carrier for s in states}
    if len(carriers) > 1:
        raise ValueError(f"one carrier's series at a time, got {sorted(carriers)}")
    available = sum(max(0, s.remaining) for s in states)
    if available < n:
        raise SeriesExhausted(next(iter(carriers), "?"), n, available)
    awbs, moves, left = [], [], n
    for state in states:
        if left == 0:
            break
        count = min(left, max(0, state.remaining))
        if count == 0:
            continue
        start = state.next_serial
        awbs += [state.range.awb(serial) for serial in range(start, start + count)]
        moves.append(CursorMove(state.id, start, start + count))
        left -= count
    return Take(tuple(awbs), tuple(moves))


def apply(states: Sequence[SeriesState], moves: Sequence[CursorMove]) -> list[SeriesState]:
    """``states`` after ``moves`` (what the store's compare-and-set does), refusing a stale expectation."""
    by_id = {m.range_id: m for m in moves}
    out = []
    for state in states:
        move = by_id.get(state.id)
        if move is not None:
            if move.expected != state.next_serial:
                raise ValueError(f"range {state.id} moved on since it was read (expected {move.expected}, "
                                 f"found {state.next_serial})")
            state = replace(state, next_serial=move.new)
        out.append(state)
    return out


class AwbLedger:
    """The store contract in memory: ranges per carrier, cursors, and the AWB assigned to each shipment.

    Thread-safe in one process. ``assign`` is idempotent per (carrier, key): asking again for the same
    shipment returns its AWB, never a second one. ``void`` marks an AWB as not shipped; it is not reused.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, list[SeriesState]] = {}
        self._by_key: dict[tuple[str, str], str] = {}
        self._assigned: set[tuple[str, str]] = set()
        self.voided: set[tuple[str, str]] = set()

    def upload(self, new: AwbRange) -> str:
        with self._lock:
            states = self._states.setdefault(new.carrier, [])
            check_upload([s.range for s in states], new)
            range_id = f"{new.carrier}-{len(states) + 1}"
            states.append(SeriesState(range_id, new, new.first))
            return range_id

    def remaining(self, carrier: str) -> int:
        with self._lock:
            return sum(s.remaining for s in self._states.get(carrier, []))

    def assign(self, carrier: str, key: str) -> str:
        with self._lock:
            if (carrier, key) in self._by_key:
                return self._by_key[(carrier, key)]
            states = self._states.get(carrier, [])
            got = take(states, 1)
            self._states[carrier] = apply(states, got.moves)
            [awb] = got.awbs
            self._by_key[(carrier, key)] = awb
            self._assigned.add((carrier, awb))
            return awb

    def void(self, carrier: str, awb: str) -> None:
        with self._lock:
            if (carrier, awb) not in self._assigned:
                raise KeyError(f"{carrier} AWB {awb} was not assigned from this series")
            self.voided.add((carrier, awb))

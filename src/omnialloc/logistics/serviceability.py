"""Which carriers deliver to a PIN, by longest-prefix match over serviceability rows.

Carriers publish serviceability as PIN lists; we also accept prefixes (2-5
digits) so a demo network can say "all of 78xxxx" in one row. For each
carrier the most specific row wins, whatever it says: a full-PIN row beats a
3-digit row, which beats a 2-digit row. That lets a row switch off COD or
forward delivery for one PIN inside an otherwise served prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from omnialloc.domain.enums import Zone
from omnialloc.domain.logistics import Serviceability


class ServiceabilityIndex:
    """Longest-prefix lookup of `Serviceability` rows per carrier.

    Immutable once built; answers are cached per (carrier, PIN) because the
    allocator asks the same questions for every node of every order.
    """

    def __init__(self, rows: Iterable[Serviceability]):
        by_carrier: dict[str, dict[str, Serviceability]] = {}
        for row in rows:
            prefix = str(row.pin_prefix).strip()
            if not prefix.isdigit() or not 1 <= len(prefix) <= 6:
                raise ValueError(f"serviceability prefix {row.pin_prefix!r} for {row.carrier} must be 1-6 digits")
            rows_of = by_carrier.setdefault(row.carrier, {})
            if prefix in rows_of:
                raise ValueError(f"duplicate serviceability row for carrier {row.carrier} prefix {prefix}")
            rows_of[prefix] = row
        self._rows = by_carrier
        self._lookup = lru_cache(maxsize=65536)(self._find)

    @property
    def carriers(self) -> frozenset[str]:
        return frozenset(self._rows)

    def same_rows(self, other: "ServiceabilityIndex") -> bool:
        """True if both indexes hold the same rows (by value)."""
        return self._rows == other._rows

    def __len__(self) -> int:
        return sum(len(r) for r in self._rows.values())

    def _find(self, carrier: str, pin: str) -> Serviceability | None:
        rows = self._rows.get(carrier)
        if not rows:
            return None
        for length in range(len(pin), 0, -1):
            row = rows.get(pin[:length])
            if row is not None:
                return row
        return None

    def row(self, carrier: str, pin: str) -> Serviceability | None:
        """The most specific row of `carrier` covering `pin`, or None if the carrier never goes there."""
        return self._lookup(carrier, str(pin).strip())

    def forward(self, carrier: str, pin: str) -> bool:
        row = self.row(carrier, pin)
        return bool(row and row.forward)

    def reverse(self, carrier: str, pin: str) -> bool:
        row = self.row(carrier, pin)
        return bool(row and row.reverse)

    def cod(self, carrier: str, pin: str) -> bool:
        """COD allowed for a forward delivery to `pin` (needs forward service too)."""
        row = self.row(carrier, pin)
        return bool(row and row.forward and row.cod)

    def sla_days(self, carrier: str, pin: str, zone: Zone | str) -> int | None:
        """Promised transit days in `zone`, or None when the carrier does not serve `pin`."""
        row = self.row(carrier, pin)
        return None if row is None else row.sla_days(Zone(zone))

    def serving(self, pin: str, *, reverse: bool = False) -> list[str]:
        """Carriers (sorted) that deliver to `pin` (or pick up from it, with `reverse`)."""
        check = self.reverse if reverse else self.forward
        return sorted(c for c in self._rows if check(c, pin))

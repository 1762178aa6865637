"""The transit model: days from an origin PIN to a destination PIN for a carrier's service.

The seller's table answers first (exact PIN pair, then 3-digit prefix pair,
then state pair, then zone: see `table`); a lane it does not cover falls back
to the distance defaults (see `defaults`). Every answer says where it came
from, for explanations ("3 days: seller's table, state pair KA>KL").

Only services a carrier offers are answered (see `service`): `transit` gives
None for the others, so a caller can ask for every service of every carrier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from omnialloc.domain.logistics import Carrier
from omnialloc.geo.pins import PinLocation
from omnialloc.logistics.transit.defaults import DEMO_DEFAULTS, DistanceDefaults
from omnialloc.logistics.transit.service import Service, services_of
from omnialloc.logistics.transit.table import TransitRow, TransitTable

DEFAULT_BASIS = "default"


@dataclass(frozen=True)
class TransitTime:
    """Days in transit (delivery days, see `logistics.calendar`) and where the number came from.

    `basis` is the level of the seller's row that answered (`pin`, `prefix`, `state`, `zone`) or `default`.
    """

    days: int
    basis: str
    detail: str

    def describe(self) -> str:
        plural = "" if self.days == 1 else "s"
        return f"{self.days} day{plural} in transit ({self.detail})"


class TransitModel:
    """Answers transit days for every service of the given carriers; immutable, safe to share."""

    def __init__(self, carriers: Iterable[Carrier], table: TransitTable | None = None,
                 defaults: DistanceDefaults = DEMO_DEFAULTS):
        self._carriers = tuple(carriers)
        self._services = {c.code: services_of(c) for c in self._carriers}
        self.table = table if table is not None else TransitTable()
        self.defaults = defaults
        # The default depends on the pair and the service only, not the carrier; computing it takes a
        # distance, so it is kept for the pairs a process sees again (every node of every order).
        self._default = lru_cache(maxsize=65536)(self._compute_default)
        self._default_days = lru_cache(maxsize=65536)(self.defaults.days_by_service)

    def __reduce__(self) -> tuple[type[TransitModel], tuple[tuple[Carrier, ...], TransitTable, DistanceDefaults]]:
        # Rebuilt on unpickling (batch workers): the cache is a process-local memo, not state.
        return (type(self), (self._carriers, self.table, self.defaults))

    @property
    def carriers(self) -> tuple[str, ...]:
        return tuple(sorted(self._services))

    def services(self, carrier: str) -> tuple[Service, ...]:
        """Services `carrier` offers, slowest first; KeyError for a carrier the model was not given."""
        try:
            return self._services[carrier]
        except KeyError:
            raise KeyError(f"carrier {carrier!r} is not one of {', '.join(self.carriers)}") from None

    def transit(self, carrier: str, service: Service | str, origin: PinLocation,
                destination: PinLocation) -> TransitTime | None:
        """Transit days for `carrier`'s `service` from `origin` to `destination`; None if it does not offer it."""
        if service not in self.services(carrier):
            return None
        hit = self.table.match(carrier, service, origin, destination)
        if hit is not None:
            return _from_row(hit.row)
        return self._default(Service(service), origin, destination)

    def days(self, carrier: str, service: Service, origin: PinLocation,
             destination: PinLocation) -> tuple[int, str] | None:
        """`transit`'s days and basis without its description: the allocator prices every lane of every
        order and needs only these (the words are for explanations)."""
        if service not in self.services(carrier):
            return None
        hit = self.table.match(carrier, service, origin, destination)
        if hit is not None:
            return hit.days, hit.row.level.value
        return self._default_days(origin, destination)[service], DEFAULT_BASIS

    def _compute_default(self, service: Service, origin: PinLocation, destination: PinLocation) -> TransitTime:
        estimate = self.defaults.estimate(service, origin, destination)
        return TransitTime(estimate.days, DEFAULT_BASIS, estimate.describe())


@lru_cache(maxsize=65536)
def _from_row(row: TransitRow) -> TransitTime:
    return TransitTime(row.days, row.level.value, f"seller's table: {row.describe()}")

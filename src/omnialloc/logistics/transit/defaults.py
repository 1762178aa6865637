"""Default transit days by distance band and service, for lanes a seller's table does not cover.

Distance is great-circle kilometres between the two PINs' points (roads are
some 20-40% longer; the bands are set in straight-line km). A pair in the same
city is always `local`, however wide the city. Each band gives days per
service; a pair that enters or leaves a remote region (the North-East with
Sikkim, Jammu & Kashmir with Ladakh, the Andaman & Nicobar Islands,
Lakshadweep) pays extra days, because parcels reach it through one corridor, a
ferry or a few flights. Moving inside one remote region (Guwahati to Shillong)
pays nothing extra: distance already prices it.

The demo numbers (`DEMO_DEFAULTS`) and their reasoning are in data/README.md;
a seller's own rows, at any level, always take precedence over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from omnialloc.geo.distance import haversine_point_km
from omnialloc.geo.pins import PinLocation
from omnialloc.logistics.transit.service import Service


@dataclass(frozen=True)
class Band:
    """Pairs closer than `max_km` (None: no limit) that no nearer band took, and their days per service."""

    name: str
    max_km: float | None
    days: Mapping[Service, int] = field(hash=False)

    def __post_init__(self) -> None:
        missing = set(Service) - set(self.days)
        if missing:
            raise ValueError(f"band {self.name} lacks days for {', '.join(sorted(missing))}")
        object.__setattr__(self, "days", dict(self.days))  # private copies, plain dicts so the value pickles


@dataclass(frozen=True)
class DefaultTransit:
    """Days the defaults give, with the band and the remote surcharge that made them."""

    days: int
    band: Band
    km: float
    remote_extra: int

    def describe(self) -> str:
        upper = "" if self.band.max_km is None else f" under {self.band.max_km:,.0f} km"
        extra = f", +{self.remote_extra} for a remote region" if self.remote_extra else ""
        return f"distance default: {self.km:,.0f} km, {self.band.name}{upper}{extra}"


@dataclass(frozen=True)
class DistanceDefaults:
    """Bands nearest first (the last without a limit), the remote regions and their extra days per service."""

    bands: tuple[Band, ...]
    remote_regions: Mapping[str, str] = field(hash=False)   # state code -> region name
    remote_extra: Mapping[Service, int] = field(hash=False)

    def __post_init__(self) -> None:
        limits = [b.max_km for b in self.bands]
        if not self.bands or limits[-1] is not None or any(x is None for x in limits[:-1]):
            raise ValueError("bands must end with exactly one band without a distance limit")
        inner = [x for x in limits[:-1] if x is not None]  # all of them, as just checked
        if inner != sorted(inner):
            raise ValueError("bands must be ordered nearest first")
        object.__setattr__(self, "remote_regions", dict(self.remote_regions))
        object.__setattr__(self, "remote_extra", dict(self.remote_extra))

    def band_of(self, km: float, same_city: bool) -> Band:
        if same_city:
            return self.bands[0]
        for band in self.bands:
            if band.max_km is None or km < band.max_km:
                return band
        raise AssertionError("unreachable: the last band has no limit")

    def crosses_remote(self, origin: PinLocation, destination: PinLocation) -> bool:
        """True when the pair enters or leaves a remote region (not when it stays inside one)."""
        a = self.remote_regions.get(origin.state_code)
        b = self.remote_regions.get(destination.state_code)
        return (a is not None or b is not None) and a != b

    def estimate(self, service: Service, origin: PinLocation, destination: PinLocation) -> DefaultTransit:
        km, band, remote = self._placed(origin, destination)
        extra = self.remote_extra[service] if remote else 0
        return DefaultTransit(band.days[service] + extra, band, km, extra)

    def days_by_service(self, origin: PinLocation, destination: PinLocation) -> Mapping[Service, int]:
        """`estimate`'s days for every service at once (one distance per pair, not one per service); read-only."""
        _, band, remote = self._placed(origin, destination)
        if not remote:
            return band.days
        return {s: days + self.remote_extra[s] for s, days in band.days.items()}

    def _placed(self, origin: PinLocation, destination: PinLocation) -> tuple[float, Band, bool]:
        km = haversine_point_km(origin.lat, origin.lon, destination.lat, destination.lon)
        same_city = origin.state_code == destination.state_code and origin.city == destination.city
        return km, self.band_of(km, same_city), self.crosses_remote(origin, destination)


_S, _A, _X = Service.SURFACE, Service.AIR, Service.EXPRESS
_NORTH_EAST = ("AS", "AR", "MN", "ML", "MZ", "NL", "TR", "SK")

# Reasoning in data/README.md ("Transit times"): surface within a city next day, metro to metro 3-5,
# the rest of India 5-6 and the North-East or J&K 7-8; air 1-3; express next day up to ~800 km.
DEMO_DEFAULTS = DistanceDefaults(
    bands=(
        Band("local", 40.0, {_S: 1, _A: 1, _X: 1}),
        Band("short haul", 300.0, {_S: 2, _A: 2, _X: 1}),
        Band("regional", 800.0, {_S: 3, _A: 2, _X: 1}),
        Band("long haul", 1500.0, {_S: 5, _A: 2, _X: 2}),
        Band("cross-country", None, {_S: 6, _A: 2, _X: 2}),
    ),
    remote_regions={**{s: "North-East" for s in _NORTH_EAST}, "JK": "Jammu, Kashmir and Ladakh",
                    "LA": "Jammu, Kashmir and Ladakh", "AN": "Andaman and Nicobar Islands", "LD": "Lakshadweep"},
    remote_extra={_S: 2, _A: 1, _X: 1},
)

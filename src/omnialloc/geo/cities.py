"""City identity and metro membership derived from India Post districts.

India Post files every PIN under a revenue district, and district names are not
city names: Bengaluru is "BENGALURU URBAN", Guwahati is "KAMRUP METRO",
Ahmedabad is "AHMADABAD", Delhi is eleven districts and Mumbai two. Couriers
price "within city" (zone A) and "metro to metro" (zone C), so we need a
stable answer to "which city is this PIN in" and "which metro area, if any".

The answer is keyed on (state code, district) because district names repeat
across states (AURANGABAD is in Maharashtra and in Bihar, HAMIRPUR in Uttar
Pradesh and Himachal Pradesh).
"""

from __future__ import annotations

from functools import lru_cache

# The eight metros couriers price as "metro to metro". Each lists the districts
# whose PINs count as that metro area. Satellite cities (Gurugram, Noida, Thane,
# Howrah, Tambaram) are in the metro area but stay their own city, so Delhi ->
# Gurugram is metro-to-metro (C), not within-city (A).
METRO_DISTRICTS: dict[str, frozenset[tuple[str, str]]] = {
    "Delhi NCR": frozenset(
        {("DL", d) for d in (
            "CENTRAL", "EAST", "NEW DELHI", "NORTH", "NORTH EAST", "NORTH WEST",
            "SHAHDARA", "SOUTH", "SOUTH EAST", "SOUTH WEST", "WEST",
        )}
        | {("HR", "GURUGRAM"), ("HR", "FARIDABAD"), ("UP", "GAUTAM BUDDHA NAGAR"), ("UP", "GHAZIABAD")}
    ),
    "Mumbai": frozenset({("MH", "MUMBAI"), ("MH", "MUMBAI SUBURBAN"), ("MH", "THANE")}),
    "Kolkata": frozenset({("WB", "KOLKATA"), ("WB", "HOWRAH"), ("WB", "24 PARAGANAS NORTH")}),
    "Chennai": frozenset({("TN", "CHENNAI"), ("TN", "CHENGALPATTU"), ("TN", "THIRUVALLUR")}),
    "Bengaluru": frozenset({("KA", "BENGALURU URBAN")}),
    "Hyderabad": frozenset({("TS", "HYDERABAD"), ("TS", "MEDCHAL MALKAJGIRI"), ("TS", "RANGA REDDY")}),
    "Ahmedabad": frozenset({("GJ", "AHMADABAD")}),
    "Pune": frozenset({("MH", "PUNE")}),
}

_METRO_OF = {key: metro for metro, keys in METRO_DISTRICTS.items() for key in keys}

# Districts whose everyday city name differs from the district's name. Anything
# not listed is named after its district (title case), which is right for most
# of India (JAIPUR -> Jaipur, LUCKNOW -> Lucknow).
_CITY_OF_DISTRICT: dict[tuple[str, str], str] = {
    **{("DL", d): "Delhi" for state, d in METRO_DISTRICTS["Delhi NCR"] if state == "DL"},
    ("MH", "MUMBAI"): "Mumbai",
    ("MH", "MUMBAI SUBURBAN"): "Mumbai",
    ("TS", "HYDERABAD"): "Hyderabad",
    # GHMC spans these two districts; Gachibowli and Kukatpally are Hyderabad to any courier.
    ("TS", "MEDCHAL MALKAJGIRI"): "Hyderabad",
    ("TS", "RANGA REDDY"): "Hyderabad",
    ("TS", "HANUMAKONDA"): "Warangal",
    ("KA", "BENGALURU URBAN"): "Bengaluru",
    ("KA", "BENGALURU RURAL"): "Bengaluru Rural",
    ("KA", "DAKSHINA KANNADA"): "Mangaluru",
    ("KA", "DHARWAD"): "Hubballi-Dharwad",
    ("GJ", "AHMADABAD"): "Ahmedabad",
    ("GJ", "KACHCHH"): "Bhuj",
    ("AS", "KAMRUP METRO"): "Guwahati",
    ("KL", "ERNAKULAM"): "Kochi",
    ("HR", "GURUGRAM"): "Gurugram",
    ("UP", "GAUTAM BUDDHA NAGAR"): "Noida",
    ("UP", "KANPUR NAGAR"): "Kanpur",
    ("UP", "PRAYAGRAJ"): "Prayagraj",
    ("WB", "24 PARAGANAS NORTH"): "North 24 Parganas",
    ("WB", "24 PARAGANAS SOUTH"): "South 24 Parganas",
    ("WB", "PASCHIM BARDHAMAN"): "Asansol",
    ("WB", "DARJEELING"): "Siliguri",
    ("OD", "KHORDHA"): "Bhubaneswar",
    ("JH", "EAST SINGHBUM"): "Jamshedpur",     # India Post's spelling
    ("CG", "DURG"): "Durg-Bhilai",
    ("AN", "SOUTH ANDAMANS"): "Port Blair",
    ("LA", "LEH LADAKH"): "Leh",
    ("LD", "LAKSHADWEEP DISTRICT"): "Kavaratti",
    ("MN", "IMPHAL WEST"): "Imphal",
    ("MN", "IMPHAL EAST"): "Imphal",
    ("ML", "EAST KHASI HILLS"): "Shillong",
    ("TR", "WEST TRIPURA"): "Agartala",
    ("SK", "EAST DISTRICT"): "Gangtok",
    ("SK", "NORTH DISTRICT"): "Mangan",
    ("SK", "SOUTH DISTRICT"): "Namchi",
    ("SK", "WEST DISTRICT"): "Gyalshing",
    ("AP", "VISAKHAPATANAM"): "Visakhapatnam",  # India Post's spelling
    ("AP", "NTR"): "Vijayawada",
    ("AP", "SPSR NELLORE"): "Nellore",
    ("PB", "S.A.S NAGAR"): "Mohali",
    ("UK", "UDAM SINGH NAGAR"): "Rudrapur",
    ("UK", "NAINITAL"): "Haldwani",
    ("AR", "PAPUM PARE"): "Itanagar",
    ("GA", "NORTH GOA"): "Panaji",
    ("GA", "SOUTH GOA"): "Margao",
    ("PY", "PONDICHERRY"): "Puducherry",
}

_SUFFIXES = (" DISTRICT", " URBAN", " METRO", " CITY")


def city_of(state_code: str, district: str) -> str:
    """The everyday city name for a PIN's district (e.g. ("KA", "BENGALURU URBAN") -> "Bengaluru")."""
    district = district.strip().upper()
    named = _CITY_OF_DISTRICT.get((state_code, district))
    if named:
        return named
    for suffix in _SUFFIXES:
        if district.endswith(suffix) and len(district) > len(suffix):
            district = district[: -len(suffix)]
            break
    return district.title()


@lru_cache(maxsize=8192)  # asked twice per zone, i.e. per node and order: districts are few
def metro_of(state_code: str, district: str) -> str | None:
    """Which of the eight courier metros a district belongs to, or None."""
    return _METRO_OF.get((state_code, district.strip().upper()))

"""Indian states and union territories: India Post names, short codes, regions.

India Post spells states in capitals ("TAMIL NADU"); rules and rate cards speak
in two-letter codes (TN) and broad regions, so this table is the one place
that translates between them. Codes follow the vehicle-registration style most
Indian logistics software uses (TS for Telangana, CG for Chhattisgarh, OD for
Odisha, UK for Uttarakhand, DH for Dadra and Nagar Haveli and Daman and Diu).
"""

from __future__ import annotations

from types import MappingProxyType

# India Post state name -> (code, region)
_STATES = {
    "ANDAMAN AND NICOBAR ISLANDS": ("AN", "east"),   # served through the West Bengal postal circle
    "ANDHRA PRADESH": ("AP", "south"),
    "ARUNACHAL PRADESH": ("AR", "northeast"),
    "ASSAM": ("AS", "northeast"),
    "BIHAR": ("BR", "east"),
    "CHANDIGARH": ("CH", "north"),
    "CHHATTISGARH": ("CG", "central"),
    "DELHI": ("DL", "north"),
    "GOA": ("GA", "west"),
    "GUJARAT": ("GJ", "west"),
    "HARYANA": ("HR", "north"),
    "HIMACHAL PRADESH": ("HP", "north"),
    "JAMMU AND KASHMIR": ("JK", "north"),
    "JHARKHAND": ("JH", "east"),
    "KARNATAKA": ("KA", "south"),
    "KERALA": ("KL", "south"),
    "LADAKH": ("LA", "north"),
    "LAKSHADWEEP": ("LD", "south"),
    "MADHYA PRADESH": ("MP", "central"),
    "MAHARASHTRA": ("MH", "west"),
    "MANIPUR": ("MN", "northeast"),
    "MEGHALAYA": ("ML", "northeast"),
    "MIZORAM": ("MZ", "northeast"),
    "NAGALAND": ("NL", "northeast"),
    "ODISHA": ("OD", "east"),
    "PUDUCHERRY": ("PY", "south"),
    "PUNJAB": ("PB", "north"),
    "RAJASTHAN": ("RJ", "north"),
    "SIKKIM": ("SK", "northeast"),
    "TAMIL NADU": ("TN", "south"),
    "TELANGANA": ("TS", "south"),
    "THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU": ("DH", "west"),
    "TRIPURA": ("TR", "northeast"),
    "UTTAR PRADESH": ("UP", "north"),
    "UTTARAKHAND": ("UK", "north"),
    "WEST BENGAL": ("WB", "east"),
}

STATE_CODES = MappingProxyType({name: code for name, (code, _) in _STATES.items()})
STATE_REGIONS = MappingProxyType({code: region for code, region in _STATES.values()})
STATE_NAMES = MappingProxyType({code: name for name, (code, _) in _STATES.items()})
REGIONS = ("north", "south", "east", "west", "central", "northeast")


def state_code(india_post_name: str) -> str:
    """Two-letter code for an India Post state name; KeyError for a name we do not know."""
    return STATE_CODES[india_post_name.strip().upper()]


def display_name(code: str) -> str:
    """Human spelling of a state ("Tamil Nadu") for addresses and reports."""
    name = STATE_NAMES[code]
    small = {"and", "the"}
    words = name.lower().split()
    return " ".join(w if (w in small and i) else w.capitalize() for i, w in enumerate(words))

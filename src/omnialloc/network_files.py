"""The network's CSV files (nodes, SKUs, inventory, carriers, rate cards, serviceability, channels): read,
validated and written back in the same format.

`load_network()` returns a `NetworkData` with nodes, SKUs, inventory,
carriers, rate cards, serviceability and channels; `load_sample_orders()`
returns the sample order payloads as dicts, exactly as the API receives them.
The folder is `data_dir`, else `$OMNIALLOC_DATA_DIR`, else the demo network shipped inside the
package (``omnialloc/demo_data``, read through importlib.resources, so an installed wheel has it).

`read_network()` is the reader of a seller's own network (``omnialloc network import``, the API's CSV
uploads): any subset of the files, checked against the codes the store already knows (`Known`);
`write_network()` / `to_csv()` write the same format back (``network export``), so an export imported
into an empty store exports again byte for byte. The checks a single record passes (PIN, weights,
slabs, zones, references) are the ``*_problems`` functions, which the API's create and update call too:
one set of rules whichever way the network comes in.

Every problem found is collected (not just the first) and raised together as
one `ImportRejected` (a `ValidationFailed`) whose row errors name file, line and column; as field
errors they read ``<file>:<line>.<column>`` (line 1 is the header), e.g.
``inventory.csv:14.sku``, so a person editing the files can go straight there.
The file formats are described in docs/onboarding.md and data/README.md.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TextIO

from omnialloc.domain.enums import Capability, NodeKind, Zone
from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.domain.imports import ImportRejected, RowError
from omnialloc.domain.logistics import Carrier, RateCard, Serviceability
from omnialloc.domain.network import Channel, InventoryPosition, Node, Sku

DATA_DIR_ENV = "OMNIALLOC_DATA_DIR"
CHANNEL_KINDS = frozenset({"webshop", "marketplace", "pos", "shopify", "woocommerce"})
PROMISE_POLICIES = ("hard", "soft")  # a channel's promises: kept or infeasible / a penalty per day late
MAX_LATE_PENALTY_PAISE = 10**9     # Rs 1 crore a day: well past any freight, still far from integer limits

FILES = {
    "nodes": "nodes.csv",
    "skus": "skus.csv",
    "inventory": "inventory.csv",
    "carriers": "carriers.csv",
    "rate_cards": "rate_cards.csv",
    "serviceability": "serviceability.csv",
    "channels": "channels.csv",
}
ORDERS_FILE = "orders.json"
CITIES_FILE = "cities.csv"


@dataclass
class NetworkData:
    """The whole demo network as domain objects (inventory with nothing reserved)."""

    nodes: list[Node] = field(default_factory=list)
    skus: list[Sku] = field(default_factory=list)
    inventory: list[InventoryPosition] = field(default_factory=list)
    carriers: list[Carrier] = field(default_factory=list)
    rate_cards: list[RateCard] = field(default_factory=list)
    serviceability: list[Serviceability] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in FILES}


@dataclass(frozen=True)
class City:
    """A city used to spread demand by population (Census 2011)."""

    city: str
    state: str
    state_code: str
    population: int
    pin: str
    lat: float
    lon: float


def packaged_data_dir() -> Traversable:
    """The demo network shipped as package data (a plain folder once the wheel is installed)."""
    return resources.files("omnialloc") / "demo_data"


def default_data_dir() -> Traversable:
    from omnialloc.config import Settings

    configured = Settings().data_dir  # read now, not cached: a test or a CLI run may set it
    return Path(configured) if configured else packaged_data_dir()


def _resolve(data_dir: Path | str | None) -> Traversable:
    path = Path(data_dir) if data_dir is not None else default_data_dir()
    if not path.is_dir():
        raise ValidationFailed(
            f"data folder {path} does not exist; pass --data-dir or set {DATA_DIR_ENV}",
            field_errors=[FieldError("data_dir", f"{path} is not a folder")],
        )
    return path


class _Reader:
    """Parses cells of one CSV file, recording errors (file, line, column) instead of stopping at the first."""

    def __init__(self, errors: list[RowError], filename: str):
        self.errors = errors
        self.filename = filename
        self.line = 1

    def fail(self, column: str, message: str, value: str = "") -> None:
        self.errors.append(RowError(self.line, column, value, message, file=self.filename))

    def fail_all(self, problems: Iterable[tuple[str, str]]) -> None:
        for column, message in problems:
            self.fail(column, message)

    def text(self, row: dict, column: str, *, required: bool = True) -> str:
        value = (row.get(column) or "").strip()
        if required and not value:
            self.fail(column, f"{column} is required")
        return value

    def integer(self, row: dict, column: str, *, minimum: int | None = 0, default: int | None = None) -> int:
        raw = (row.get(column) or "").strip()
        if not raw and default is not None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.fail(column, f"{column} must be a whole number, got {raw!r}", raw)
            return default or 0
        if minimum is not None and value < minimum:
            self.fail(column, f"{column} must be at least {minimum}, got {value}", raw)
        return value

    def optional_integer(self, row: dict, column: str, *, minimum: int | None = 0) -> int | None:
        raw = (row.get(column) or "").strip()
        return None if not raw else self.integer(row, column, minimum=minimum)

    def number(self, row: dict, column: str, *, required: bool = True) -> float:
        raw = (row.get(column) or "").strip()
        if not raw and not required:
            return math.nan
        try:
            value = float(raw)
        except ValueError:
            self.fail(column, f"{column} must be a number, got {raw!r}", raw)
            return 0.0
        if not math.isfinite(value):
            self.fail(column, f"{column} must be a finite number, got {raw!r}", raw)
            return 0.0
        return value

    def boolean(self, row: dict, column: str, *, default: bool | None = None) -> bool:
        raw = (row.get(column) or "").strip().lower()
        if not raw and default is not None:
            return default
        if raw in ("true", "yes", "1"):
            return True
        if raw in ("false", "no", "0"):
            return False
        self.fail(column, f"{column} must be true or false, got {raw!r}", raw)
        return bool(default)

    def choice(self, row: dict, column: str, enum: Callable, allowed: str):
        raw = (row.get(column) or "").strip()
        try:
            return enum(raw)
        except ValueError:
            self.fail(column, f"{column} {raw!r} is not one of {allowed}", raw)
            return None

    def pipe_list(self, row: dict, column: str) -> list[str]:
        raw = (row.get(column) or "").strip()
        return [part.strip() for part in raw.split("|") if part.strip()] if raw else []

    def pairs(self, row: dict, column: str) -> list[tuple[str, str]]:
        """``a=1|b=2`` as [(a, "1"), (b, "2")]; a part without ``=`` is an error."""
        out = []
        for part in self.pipe_list(row, column):
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                self.fail(column, f"{column} entries are name=value separated by |, got {part!r}", part)
                continue
            out.append((key.strip(), value.strip()))
        return out


Source = Traversable | str | bytes  # a file, or a file's text (an upload)


def _rows(source: Source, reader: _Reader, required_columns: list[str],
          allowed_columns: Iterable[str] | None = None) -> Iterator[dict]:
    if isinstance(source, (str, bytes)):
        if isinstance(source, bytes):
            try:
                source = source.decode("utf-8-sig")
            except UnicodeDecodeError:
                reader.errors.append(RowError(0, "file", "", "the file is not UTF-8 text", file=reader.filename))
                return
        f = io.StringIO(source.lstrip("\ufeff"), newline="")
    elif not source.is_file():
        reader.errors.append(RowError(0, "file", "", f"{reader.filename} is missing", file=reader.filename))
        return
    else:
        # Traversable.open passes text options on to io.TextIOWrapper (its docstring), newline too; typeshed
        # lists only encoding and errors.
        f = source.open("r", newline="", encoding="utf-8-sig")  # type: ignore[call-overload]
    with f:
        rows = csv.DictReader(f)
        fields = [c.strip() for c in (rows.fieldnames or [])]
        rows.fieldnames = fields
        missing = [c for c in required_columns if c not in fields]
        if missing:
            reader.errors.append(RowError(0, missing[0], "", f"{reader.filename} lacks column(s) {', '.join(missing)}",
                                          file=reader.filename))
            return
        if allowed_columns is not None:  # a typo in a column name must not drop that column's data silently
            unknown = [c for c in fields if c not in set(allowed_columns)]
            if unknown:
                reader.errors.append(RowError(0, unknown[0], "", f"unknown column(s) {', '.join(unknown)}",
                                              file=reader.filename))
                return
        for row in rows:
            reader.line = rows.line_num
            if None in row:
                reader.fail("file", "the line has more cells than the header")
                continue
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue  # blank line
            yield row


def _unique(reader: _Reader, seen: set, key, column: str, what: str) -> bool:
    if key in seen:
        reader.fail(column, f"duplicate {what} {key if not isinstance(key, tuple) else ' / '.join(map(str, key))}")
        return False
    seen.add(key)
    return True


# ------------------------------------------------------------------ the rules one record passes
PIN_RE = re.compile(r"[1-9]\d{5}")
PREFIX_RE = re.compile(r"[1-9]\d{0,5}")
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")
GSTIN_RE = re.compile(r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]")
HSN_RE = re.compile(r"\d{4}(\d{2}){0,2}")
GST_RATES_BP = frozenset({0, 10, 25, 300, 500, 1200, 1800, 2800})
MAX_GRAMS = 10_000_000  # 10 tonnes: beyond any parcel; catches a value typed in milligrams
MAX_PAISE = 10**13


def pin_problem(pin: str) -> str | None:
    if not PIN_RE.fullmatch(pin or ""):
        return f"PIN {pin!r} must be 6 digits not starting with 0"
    return None


def _pin(reader: _Reader, row: dict, column: str) -> str:
    pin = reader.text(row, column)
    if pin and (problem := pin_problem(pin)):
        reader.fail(column, problem, pin)
    return pin


def _code_problem(code: str, what: str) -> str | None:
    if not CODE_RE.fullmatch(code or ""):
        return f"{what} code {code!r} must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit)"
    return None


def _ean_ok(code: str) -> bool:
    """EAN-8, UPC-A (12) or EAN-13 with a valid GS1 check digit."""
    if not code.isdigit() or len(code) not in (8, 12, 13):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    weights = [3 if (len(body) - i) % 2 == 1 else 1 for i in range(len(body))]
    return (10 - sum(d * w for d, w in zip(body, weights)) % 10) % 10 == check


def node_problems(n: Node) -> list[tuple[str, str]]:
    out = []
    if problem := _code_problem(n.code, "node"):
        out.append(("code", problem))
    if not n.name.strip():
        out.append(("name", "name is required"))
    if problem := pin_problem(n.pin):
        out.append(("pin", problem))
    if not (math.isnan(n.lat) or (6.0 <= n.lat <= 37.5 and 68.0 <= n.lon <= 97.5)):
        out.append(("lat", f"({n.lat}, {n.lon}) is outside India"))
    if n.daily_capacity < 0:
        out.append(("daily_capacity", "daily_capacity cannot be negative"))
    if n.handling_cost_paise < 0 or n.handling_cost_paise > MAX_PAISE:
        out.append(("handling_cost_paise", "handling_cost_paise must be between 0 and 10^13"))
    if n.gstin and not GSTIN_RE.fullmatch(n.gstin):
        out.append(("gstin", f"GSTIN {n.gstin!r} is not 15 characters of the form 22AAAAA0000A1Z5"))
    return out


def sku_problems(s: Sku) -> list[tuple[str, str]]:
    out = []
    if problem := _code_problem(s.code, "SKU"):
        out.append(("code", problem))
    for column in ("name", "category"):
        if not getattr(s, column).strip():
            out.append((column, f"{column} is required"))
    if not 0 < s.unit_weight_g <= MAX_GRAMS:
        out.append(("unit_weight_g", f"unit_weight_g must be between 1 and {MAX_GRAMS}, got {s.unit_weight_g}"))
    for column in ("length_mm", "width_mm", "height_mm"):
        if not 0 < getattr(s, column) <= 100_000:
            out.append((column, f"{column} must be between 1 and 100000, got {getattr(s, column)}"))
    if not 0 <= s.unit_price_paise <= MAX_PAISE:
        out.append(("unit_price_paise", f"unit_price_paise must be between 0 and 10^13, got {s.unit_price_paise}"))
    if s.hsn_code and not HSN_RE.fullmatch(s.hsn_code):
        out.append(("hsn_code", f"HSN code {s.hsn_code!r} must be 4, 6 or 8 digits"))
    if s.gst_rate_bp not in GST_RATES_BP:
        out.append(("gst_rate_bp", f"gst_rate_bp {s.gst_rate_bp} is not a GST rate "
                                   f"({', '.join(str(r) for r in sorted(GST_RATES_BP))} basis points)"))
    for b in s.barcodes:
        if not _ean_ok(b):
            out.append(("barcodes", f"barcode {b!r} is not an EAN-8, UPC-A or EAN-13 with a valid check digit"))
    if len(set(s.barcodes)) != len(s.barcodes):
        out.append(("barcodes", "a barcode is listed twice"))
    return out


MODES = frozenset({"surface", "air", "express"})


def carrier_problems(c: Carrier) -> list[tuple[str, str]]:
    out = []
    if problem := _code_problem(c.code, "carrier"):
        out.append(("code", problem))
    if not c.name.strip():
        out.append(("name", "name is required"))
    if not c.modes or not set(c.modes) <= MODES:
        out.append(("modes", f"modes must be one or more of {', '.join(sorted(MODES))}, got {sorted(c.modes)}"))
    if not 0 < c.max_weight_g <= MAX_GRAMS:
        out.append(("max_weight_g", f"max_weight_g must be between 1 and {MAX_GRAMS}, got {c.max_weight_g}"))
    if not 0 < c.volumetric_divisor <= 1_000_000:
        out.append(("volumetric_divisor", f"volumetric_divisor must be a positive number, got {c.volumetric_divisor}"))
    return out


def rate_card_problems(card: RateCard) -> list[tuple[str, str]]:
    out = []
    for column in ("first_slab_paise", "additional_slab_paise", "cod_fixed_paise"):
        if not 0 <= getattr(card, column) <= MAX_PAISE:
            out.append((column, f"{column} must be between 0 and 10^13, got {getattr(card, column)}"))
    if not 0 < card.slab_g <= MAX_GRAMS:
        out.append(("slab_g", f"slab_g (the slab's weight) must be between 1 and {MAX_GRAMS}, got {card.slab_g}"))
    for column, top in (("cod_percent_bp", 10_000), ("fuel_surcharge_bp", 10_000),
                        ("rto_multiplier_pct", 1000), ("reverse_multiplier_pct", 1000)):
        if not 0 <= getattr(card, column) <= top:
            out.append((column, f"{column} must be between 0 and {top}, got {getattr(card, column)}"))
    return out


def rate_card_set_problems(carrier: str, zones: Iterable[Zone]) -> list[tuple[str, str]]:
    """A carrier's rate card is a grid of every zone: each of A-E exactly once (a zone twice would make
    two prices for one slab, a zone missing a gap no parcel to it can be priced in)."""
    given = [Zone(z) for z in zones]
    out = []
    for z in sorted({z for z in given if given.count(z) > 1}):
        out.append(("zone", f"rate card of {carrier} gives zone {z} more than once (overlapping slabs)"))
    missing = [z.value for z in Zone if z not in given]
    if missing:
        out.append(("zone", f"rate card of {carrier} lacks zone(s) {', '.join(missing)}: every zone A-E needs "
                            "its first and additional slab price"))
    return out


def serviceability_problems(s: Serviceability) -> list[tuple[str, str]]:
    out = []
    if not PREFIX_RE.fullmatch(s.pin_prefix or ""):
        out.append(("pin_prefix", f"PIN prefix {s.pin_prefix!r} must be 1-6 digits not starting with 0"))
    for z in "abcde":
        days = getattr(s, f"sla_days_{z}")
        if not 0 <= days <= 60:
            out.append((f"sla_days_{z}", f"sla_days_{z} must be between 0 and 60, got {days}"))
    return out


def channel_problems(c: Channel, known_nodes: set[str] | None) -> list[tuple[str, str]]:
    out = []
    if problem := _code_problem(c.code, "channel"):
        out.append(("code", problem))
    if not c.name.strip():
        out.append(("name", "name is required"))
    if c.kind not in CHANNEL_KINDS:
        out.append(("kind", f"kind {c.kind!r} is not one of {', '.join(sorted(CHANNEL_KINDS))}"))
    if not 0 <= c.return_window_days <= 365:
        out.append(("return_window_days", f"return_window_days must be between 0 and 365, got {c.return_window_days}"))
    for category, days in c.return_windows:
        if not 0 <= days <= 365:
            out.append(("return_windows", f"return window of {category} must be between 0 and 365 days, got {days}"))
    if c.buffer_units < 0:
        out.append(("buffer_units", "buffer_units cannot be negative"))
    if not 0 <= c.buffer_percent <= 100:
        out.append(("buffer_percent", f"buffer_percent must be between 0 and 100, got {c.buffer_percent}"))
    if c.default_promise_days is not None and not 0 <= c.default_promise_days <= 60:
        out.append(("default_promise_days", f"default_promise_days must be between 0 and 60, got {c.default_promise_days}"))
    if c.promise_policy not in PROMISE_POLICIES:
        out.append(("promise_policy", f"promise_policy {c.promise_policy!r} is not one of {', '.join(PROMISE_POLICIES)}"))
    if c.late_penalty_paise is not None and not 0 <= c.late_penalty_paise <= MAX_LATE_PENALTY_PAISE:
        out.append(("late_penalty_paise", f"late_penalty_paise must be between 0 and {MAX_LATE_PENALTY_PAISE}, "
                                          f"got {c.late_penalty_paise}"))
    if known_nodes is not None:
        for node in sorted(c.feeding_nodes):
            if node not in known_nodes:
                out.append(("feeding_nodes", f"node {node} is not a node of the network"))
    return out


# ------------------------------------------------------------------ the files
@dataclass
class Known:
    """Codes a partial import may refer to besides its own files' (the store's): node -> PIN, SKUs, carriers."""

    nodes: dict[str, str] = field(default_factory=dict)
    skus: set[str] = field(default_factory=set)
    carriers: set[str] = field(default_factory=set)


Geocode = Callable[[str], tuple[float, float, str, str]]  # PIN -> (lat, lon, city, state); raises ValidationFailed


COLUMNS = {
    "nodes": ["code", "name", "kind", "address", "pin", "city", "state", "lat", "lon", "capabilities",
              "daily_capacity", "handling_cost_paise", "priority", "active", "groups", "gstin"],
    "skus": ["code", "name", "category", "unit_weight_g", "length_mm", "width_mm", "height_mm", "unit_price_paise",
             "hazmat", "fragile", "returnable", "hsn_code", "gst_rate_bp", "barcodes", "active"],
    "inventory": ["node", "sku", "on_hand", "safety_stock"],
    "carriers": ["code", "name", "modes", "max_weight_g", "cod_supported", "volumetric_divisor", "reverse_supported",
                 "active"],
    "rate_cards": ["carrier", "zone", "first_slab_paise", "additional_slab_paise", "cod_fixed_paise", "cod_percent_bp",
                   "rto_multiplier_pct", "reverse_multiplier_pct", "slab_g", "fuel_surcharge_bp"],
    "serviceability": ["carrier", "pin_prefix", "forward", "reverse", "cod", "sla_days_a", "sla_days_b", "sla_days_c",
                       "sla_days_d", "sla_days_e", "pickup"],
    "channels": ["code", "name", "kind", "return_window_days", "buffer_units", "buffer_percent", "feeding_nodes",
                 "active", "return_windows", "default_promise_days", "promise_policy", "late_penalty_paise"],
}
ALLOWED = {**COLUMNS, "serviceability": COLUMNS["serviceability"] + ["node"]}


def _nodes(path: Source, errors: list[RowError], geocode: Geocode | None = None, *,
           strict: bool = False) -> list[Node]:
    r = _Reader(errors, FILES["nodes"])
    kinds = ", ".join(k.value for k in NodeKind)
    caps_allowed = ", ".join(c.value for c in Capability)
    out = []
    seen: set[str] = set()
    required = ["code", "name", "kind", "pin"] if geocode else ["code", "name", "kind", "pin", "city", "state", "lat", "lon"]
    for row in _rows(path, r, required, ALLOWED["nodes"] if strict else None):
        code = r.text(row, "code")
        kind = r.choice(row, "kind", NodeKind, kinds)
        caps = []
        for cap in r.pipe_list(row, "capabilities") or ["ship"]:
            try:
                caps.append(Capability(cap))
            except ValueError:
                r.fail("capabilities", f"capability {cap!r} is not one of {caps_allowed}", cap)
        pin = r.text(row, "pin")
        lat, lon = r.number(row, "lat", required=geocode is None), r.number(row, "lon", required=geocode is None)
        city, state = r.text(row, "city", required=geocode is None), r.text(row, "state", required=geocode is None)
        node = Node(
            code=code,
            name=r.text(row, "name"),
            kind=kind,
            pin=pin,
            city=city,
            state=state,
            lat=lat,
            lon=lon,
            address=r.text(row, "address", required=False),
            capabilities=frozenset(caps),
            daily_capacity=r.integer(row, "daily_capacity", default=1000),
            handling_cost_paise=r.integer(row, "handling_cost_paise", default=0),
            priority=r.integer(row, "priority", default=100),
            active=r.boolean(row, "active", default=True),
            groups=frozenset(r.pipe_list(row, "groups")),
            gstin=r.text(row, "gstin", required=False),
        )
        problems = node_problems(node)
        r.fail_all(p for p in problems if (p[0] != "code" or code) and p[0] != "name" and (p[0] != "pin" or pin))
        if geocode is not None and not any(c == "pin" for c, _ in problems) and pin:
            node = fill_location(node, geocode, r.fail)
        if code and _unique(r, seen, code, "code", "node code"):
            out.append(node)
    return out


def fill_location(node: Node, geocode: Geocode, fail: Callable[[str, str], None]) -> Node:
    """The node with what its row left out (lat, lon, city, state) taken from its PIN, offline."""
    if not (math.isnan(node.lat) or math.isnan(node.lon) or not node.city or not node.state):
        return node
    try:
        lat, lon, city, state = geocode(node.pin)
    except ValidationFailed as exc:
        fail("pin", exc.detail)
        return node
    if math.isnan(node.lat) or math.isnan(node.lon):
        node.lat, node.lon = lat, lon
    node.city = node.city or city
    node.state = node.state or state
    return node


def _skus(path: Source, errors: list[RowError], *, strict: bool = False) -> list[Sku]:
    r = _Reader(errors, FILES["skus"])
    out = []
    seen: set[str] = set()
    for row in _rows(path, r, ["code", "name", "category", "unit_weight_g", "length_mm", "width_mm", "height_mm",
                               "unit_price_paise"], ALLOWED["skus"] if strict else None):
        code = r.text(row, "code")
        sku = Sku(
            code=code,
            name=r.text(row, "name"),
            category=r.text(row, "category"),
            unit_weight_g=r.integer(row, "unit_weight_g", minimum=None),
            length_mm=r.integer(row, "length_mm", minimum=None),
            width_mm=r.integer(row, "width_mm", minimum=None),
            height_mm=r.integer(row, "height_mm", minimum=None),
            unit_price_paise=r.integer(row, "unit_price_paise", minimum=None),
            hazmat=r.boolean(row, "hazmat", default=False),
            fragile=r.boolean(row, "fragile", default=False),
            returnable=r.boolean(row, "returnable", default=True),
            hsn_code=r.text(row, "hsn_code", required=False),
            gst_rate_bp=r.integer(row, "gst_rate_bp", default=0),
            barcodes=tuple(r.pipe_list(row, "barcodes")),
            active=r.boolean(row, "active", default=True),
        )
        r.fail_all((c, m) for c, m in sku_problems(sku) if c not in ("name", "category") and (c != "code" or code))
        if code and _unique(r, seen, code, "code", "SKU code"):
            out.append(sku)
    return out


def _inventory(path: Source, errors: list[RowError], nodes: set[str], skus: set[str]) -> list[InventoryPosition]:
    r = _Reader(errors, FILES["inventory"])
    out = []
    seen: set[tuple[str, str]] = set()
    for row in _rows(path, r, ["node", "sku", "on_hand"]):
        node, sku = r.text(row, "node"), r.text(row, "sku")
        ok = True
        if node and node not in nodes:
            r.fail("node", f"node {node} is not in nodes.csv", node)
            ok = False
        if sku and sku not in skus:
            r.fail("sku", f"SKU {sku} is not in skus.csv", sku)
            ok = False
        position = InventoryPosition(
            node=node,
            sku=sku,
            on_hand=r.integer(row, "on_hand"),
            reserved=0,
            safety_stock=r.integer(row, "safety_stock", default=0),
        )
        if ok and node and sku and _unique(r, seen, (node, sku), "sku", "stock row for"):
            out.append(position)
    return out


def _carriers(path: Source, errors: list[RowError], *, strict: bool = False) -> list[Carrier]:
    r = _Reader(errors, FILES["carriers"])
    out = []
    seen: set[str] = set()
    for row in _rows(path, r, ["code", "name"], ALLOWED["carriers"] if strict else None):
        code = r.text(row, "code")
        carrier = Carrier(
            code=code,
            name=r.text(row, "name"),
            modes=frozenset(r.pipe_list(row, "modes") or ["surface"]),
            max_weight_g=r.integer(row, "max_weight_g", minimum=None, default=30_000),
            cod_supported=r.boolean(row, "cod_supported", default=True),
            volumetric_divisor=r.integer(row, "volumetric_divisor", minimum=None, default=5000),
            reverse_supported=r.boolean(row, "reverse_supported", default=True),
            active=r.boolean(row, "active", default=True),
        )
        r.fail_all((c, m) for c, m in carrier_problems(carrier) if c != "name" and (c != "code" or code))
        if code and _unique(r, seen, code, "code", "carrier code"):
            out.append(carrier)
    return out


def _rate_cards(path: Source, errors: list[RowError], carriers: set[str], *, strict: bool = False,
                complete: bool = False) -> list[RateCard]:
    r = _Reader(errors, FILES["rate_cards"])
    out = []
    seen: set[tuple[str, str]] = set()
    first_line: dict[str, int] = {}
    for row in _rows(path, r, ["carrier", "zone", "first_slab_paise", "additional_slab_paise"],
                     ALLOWED["rate_cards"] if strict else None):
        carrier = r.text(row, "carrier")
        if carrier and carrier not in carriers:
            r.fail("carrier", f"carrier {carrier} is not in carriers.csv", carrier)
            carrier = ""
        zone = r.choice(row, "zone", Zone, "A, B, C, D, E")
        card = RateCard(
            carrier=carrier,
            zone=zone,
            first_slab_paise=r.integer(row, "first_slab_paise", minimum=None),
            additional_slab_paise=r.integer(row, "additional_slab_paise", minimum=None),
            cod_fixed_paise=r.integer(row, "cod_fixed_paise", minimum=None, default=0),
            cod_percent_bp=r.integer(row, "cod_percent_bp", minimum=None, default=0),
            rto_multiplier_pct=r.integer(row, "rto_multiplier_pct", minimum=None, default=100),
            reverse_multiplier_pct=r.integer(row, "reverse_multiplier_pct", minimum=None, default=120),
            slab_g=r.integer(row, "slab_g", minimum=None, default=500),
            fuel_surcharge_bp=r.integer(row, "fuel_surcharge_bp", minimum=None, default=0),
        )
        r.fail_all(rate_card_problems(card))
        if carrier:
            first_line.setdefault(carrier, r.line)
        if carrier and zone is not None and _unique(r, seen, (carrier, zone.value), "zone",
                                                    "rate card (overlapping slabs) for"):
            out.append(card)
    if complete:  # every carrier in the file gives all five zones
        for carrier, line in first_line.items():
            r.line = line
            r.fail_all((c, m) for c, m in rate_card_set_problems(carrier, [c.zone for c in out if c.carrier == carrier])
                       if "more than once" not in m)
    return out


def _serviceability(path: Source, errors: list[RowError], carriers: set[str], *,
                    nodes: dict[str, str] | None = None, strict: bool = False) -> list[Serviceability]:
    r = _Reader(errors, FILES["serviceability"])
    out = []
    seen: set[tuple[str, str]] = set()
    for row in _rows(path, r, ["carrier"], ALLOWED["serviceability"] if strict else None):
        carrier = r.text(row, "carrier")
        if carrier and carrier not in carriers:
            r.fail("carrier", f"carrier {carrier} is not in carriers.csv", carrier)
            carrier = ""
        prefix = r.text(row, "pin_prefix", required=False)
        node = r.text(row, "node", required=False)
        if node:  # a row for a node's PIN (a carrier's pickup list names warehouses)
            if nodes is None or node not in nodes:
                r.fail("node", f"node {node} is not a node of the network", node)
                prefix = prefix or "0"
            elif prefix and prefix != nodes[node]:
                r.fail("pin_prefix", f"pin_prefix {prefix} is not the PIN {nodes[node]} of node {node}", prefix)
            else:
                prefix = nodes[node]
        elif not prefix:
            r.fail("pin_prefix", "pin_prefix (or node) is required")
            prefix = "0"
        defaults = Serviceability("", "")
        row_obj = Serviceability(
            carrier=carrier,
            pin_prefix=prefix,
            forward=r.boolean(row, "forward", default=True),
            reverse=r.boolean(row, "reverse", default=True),
            cod=r.boolean(row, "cod", default=True),
            **{f"sla_days_{z}": r.integer(row, f"sla_days_{z}", minimum=None,
                                          default=getattr(defaults, f"sla_days_{z}"))
               for z in "abcde"},
            pickup=r.boolean(row, "pickup", default=True),
        )
        problems = serviceability_problems(row_obj)
        r.fail_all(p for p in problems if p[0] != "pin_prefix" or prefix != "0")
        if carrier and not problems and _unique(r, seen, (carrier, prefix), "pin_prefix", "serviceability row for"):
            out.append(row_obj)
    return out


def _channels(path: Source, errors: list[RowError], nodes: set[str], *, strict: bool = False) -> list[Channel]:
    r = _Reader(errors, FILES["channels"])
    out = []
    seen: set[str] = set()
    for row in _rows(path, r, ["code", "name", "kind"], ALLOWED["channels"] if strict else None):
        code = r.text(row, "code")
        windows = []
        for category, days in r.pairs(row, "return_windows"):
            if not days.isdigit():
                r.fail("return_windows", f"return window of {category} must be a whole number of days, got {days!r}",
                       days)
                continue
            windows.append((category, int(days)))
        channel = Channel(
            code=code,
            name=r.text(row, "name"),
            kind=r.text(row, "kind"),
            return_window_days=r.integer(row, "return_window_days", minimum=None, default=30),
            buffer_units=r.integer(row, "buffer_units", minimum=None, default=0),
            buffer_percent=r.integer(row, "buffer_percent", minimum=None, default=0),
            feeding_nodes=frozenset(r.pipe_list(row, "feeding_nodes")),
            active=r.boolean(row, "active", default=True),
            return_windows=tuple(sorted(windows)),
            default_promise_days=r.optional_integer(row, "default_promise_days", minimum=None),
            promise_policy=r.text(row, "promise_policy", required=False) or "soft",
            late_penalty_paise=r.optional_integer(row, "late_penalty_paise", minimum=None),
        )
        for column, message in channel_problems(channel, nodes):
            if column == "feeding_nodes":
                message = message.replace("is not a node of the network", "is not in nodes.csv")
            if column not in ("name", "kind") or "is not one of" in message:
                if column != "code" or code:
                    r.fail(column, message)
        if code and _unique(r, seen, code, "code", "channel code"):
            out.append(channel)
    return out


def _raise_if(errors: list[RowError], folder) -> None:
    if errors:
        messages = [e.field_error().message for e in errors]
        shown = "; ".join(messages[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ImportRejected(errors, detail=f"network in {folder} has {len(errors)} problem(s): {shown}{more}")


def load_network(data_dir: Path | str | None = None) -> NetworkData:
    """Read and validate the network CSVs; `ValidationFailed` lists every problem with file and line."""
    folder = _resolve(data_dir)
    errors: list[RowError] = []
    nodes = _nodes(folder / FILES["nodes"], errors)
    skus = _skus(folder / FILES["skus"], errors)
    node_codes = {n.code for n in nodes}
    inventory = _inventory(folder / FILES["inventory"], errors, node_codes, {s.code for s in skus})
    carriers = _carriers(folder / FILES["carriers"], errors)
    carrier_codes = {c.code for c in carriers}
    rate_cards = _rate_cards(folder / FILES["rate_cards"], errors, carrier_codes)
    serviceability = _serviceability(folder / FILES["serviceability"], errors, carrier_codes,
                                     nodes={n.code: n.pin for n in nodes})
    channels = _channels(folder / FILES["channels"], errors, node_codes)
    _raise_if(errors, folder)
    return NetworkData(nodes, skus, inventory, carriers, rate_cards, serviceability, channels)


NETWORK_FILES = ("nodes", "skus", "carriers", "rate_cards", "serviceability", "channels")


def read_network(sources: dict[str, Source], *, known: Known | None = None,
                 geocode: Geocode | None = None) -> NetworkData:
    """A seller's network from any of its files (``{"nodes": path-or-text, ...}``, names as in `FILES` but
    inventory, which the stock import owns): strict columns (an unknown column is an error), references
    checked against the files and ``known`` (the store's codes), nodes without lat/lon/city/state placed by
    ``geocode`` from their PIN, every carrier in rate_cards.csv with all five zones. Raises
    `ImportRejected` listing every problem."""
    known = known or Known()
    unknown = sorted(set(sources) - set(NETWORK_FILES))
    if unknown:
        raise ValidationFailed(f"not a network file: {', '.join(unknown)}",
                               field_errors=[FieldError(name, "not a network file") for name in unknown])
    errors: list[RowError] = []
    net = NetworkData()
    if "nodes" in sources:
        net.nodes = _nodes(sources["nodes"], errors, geocode, strict=True)
    if "skus" in sources:
        net.skus = _skus(sources["skus"], errors, strict=True)
    if "carriers" in sources:
        net.carriers = _carriers(sources["carriers"], errors, strict=True)
    node_pins = {**known.nodes, **{n.code: n.pin for n in net.nodes}}
    carrier_codes = known.carriers | {c.code for c in net.carriers}
    if "rate_cards" in sources:
        net.rate_cards = _rate_cards(sources["rate_cards"], errors, carrier_codes, strict=True, complete=True)
    if "serviceability" in sources:
        net.serviceability = _serviceability(sources["serviceability"], errors, carrier_codes, nodes=node_pins,
                                             strict=True)
    if "channels" in sources:
        net.channels = _channels(sources["channels"], errors, set(node_pins), strict=True)
    if errors:
        errors.sort(key=lambda e: (NETWORK_FILES.index(e.file.removesuffix(".csv")) if e.file.removesuffix(".csv")
                                   in NETWORK_FILES else 99, e.row))
        raise ImportRejected(errors)
    return net


def network_sources(folder: Path | str) -> dict[str, Path]:
    """The network files present in ``folder`` (``omnialloc network import DIR``)."""
    path = Path(folder)
    if not path.is_dir():
        raise ValidationFailed(f"{path} is not a folder", field_errors=[FieldError("dir", f"{path} is not a folder")])
    found = {name: path / FILES[name] for name in NETWORK_FILES if (path / FILES[name]).is_file()}
    if not found:
        raise ValidationFailed(f"{path} holds none of {', '.join(FILES[n] for n in NETWORK_FILES)}",
                               field_errors=[FieldError("dir", "no network files")])
    return found


# ------------------------------------------------------------------ writing the same format back
def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (frozenset, set)):
        return "|".join(sorted(str(v) for v in value))
    if isinstance(value, tuple):
        return "|".join(f"{v[0]}={v[1]}" if isinstance(v, tuple) else str(v) for v in value)
    return str(value)


def _sort_key(name: str) -> Callable:
    if name == "rate_cards":
        return lambda r: (r.carrier, str(r.zone))
    if name == "serviceability":
        return lambda r: (r.carrier, r.pin_prefix)
    if name == "inventory":
        return lambda r: (r.node, r.sku)
    return lambda r: r.code


def to_csv(name: str, records: Iterable, out: TextIO | None = None) -> str:
    """``records`` (domain objects of file ``name``) as that file's CSV, in a fixed row and column order."""
    buffer = io.StringIO()
    target = out if out is not None else buffer
    writer = csv.writer(target, lineterminator="\n")
    columns = COLUMNS[name]
    writer.writerow(columns)
    for rec in sorted(records, key=_sort_key(name)):
        writer.writerow([_cell(getattr(rec, c)) for c in columns])
    return "" if out is not None else buffer.getvalue()


def write_network(folder: Path | str, net: NetworkData, names: Iterable[str] = NETWORK_FILES) -> list[Path]:
    """Write the network's files into ``folder`` (created if missing); the paths written."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        target = path / FILES[name]
        with target.open("w", newline="", encoding="utf-8") as f:
            to_csv(name, getattr(net, name), f)
        written.append(target)
    return written


def load_sample_orders(data_dir: Path | str | None = None) -> list[dict]:
    """The sample order payloads (orders.json), as the API would receive them."""
    folder = _resolve(data_dir)
    path = folder / ORDERS_FILE
    try:
        with path.open("r", encoding="utf-8") as f:
            orders = json.load(f)
    except FileNotFoundError:
        raise ValidationFailed(f"{ORDERS_FILE} is missing from {folder}",
                               field_errors=[FieldError(ORDERS_FILE, "file is missing")]) from None
    except json.JSONDecodeError as e:
        raise ValidationFailed(f"{ORDERS_FILE} is not valid JSON: {e.msg} at line {e.lineno}",
                               field_errors=[FieldError(f"{ORDERS_FILE}:{e.lineno}", e.msg)]) from None
    if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
        raise ValidationFailed(f"{ORDERS_FILE} must hold a JSON array of order objects",
                               field_errors=[FieldError(ORDERS_FILE, "expected an array of objects")])
    return orders


def load_cities(data_dir: Path | str | None = None) -> list[City]:
    """Cities with Census 2011 populations and a representative PIN (cities.csv)."""
    folder = _resolve(data_dir)
    errors: list[RowError] = []
    r = _Reader(errors, CITIES_FILE)
    out = []
    for row in _rows(folder / CITIES_FILE, r, ["city", "state", "state_code", "population", "pin", "lat", "lon"]):
        out.append(City(r.text(row, "city"), r.text(row, "state"), r.text(row, "state_code"),
                        r.integer(row, "population", minimum=1), _pin(r, row, "pin"),
                        r.number(row, "lat"), r.number(row, "lon")))
    _raise_if(errors, folder)
    return out

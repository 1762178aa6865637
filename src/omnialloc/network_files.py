"""Read the demo network (CSV files and orders.json) into domain objects, validating as we go.

`load_network()` returns a `NetworkData` with nodes, SKUs, inventory,
carriers, rate cards, serviceability and channels; `load_sample_orders()`
returns the sample order payloads as dicts, exactly as the API receives them.
The folder is `data_dir`, else `$OMNIALLOC_DATA_DIR`, else the demo network shipped inside the
package (``omnialloc/demo_data``, read through importlib.resources, so an installed wheel has it).

Every problem found is collected (not just the first) and raised together as
one `ValidationFailed` whose field errors are addressed as
``<file>:<line>.<column>`` (line 1 is the header), e.g.
``inventory.csv:14.sku``, so a person editing the files can go straight there.
The file formats are described in data/README.md.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from omnialloc.domain.enums import Capability, NodeKind, Zone
from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.domain.logistics import Carrier, RateCard, Serviceability
from omnialloc.domain.network import Channel, InventoryPosition, Node, Sku

DATA_DIR_ENV = "OMNIALLOC_DATA_DIR"
CHANNEL_KINDS = frozenset({"webshop", "marketplace", "pos", "shopify", "woocommerce"})

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
    """Parses cells of one CSV file, recording errors instead of stopping at the first."""

    def __init__(self, errors: list[FieldError], filename: str):
        self.errors = errors
        self.filename = filename
        self.line = 1

    def fail(self, column: str, message: str) -> None:
        self.errors.append(FieldError(f"{self.filename}:{self.line}.{column}", f"{self.filename} line {self.line}: {message}"))

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
            self.fail(column, f"{column} must be a whole number, got {raw!r}")
            return default or 0
        if minimum is not None and value < minimum:
            self.fail(column, f"{column} must be at least {minimum}, got {value}")
        return value

    def number(self, row: dict, column: str) -> float:
        raw = (row.get(column) or "").strip()
        try:
            return float(raw)
        except ValueError:
            self.fail(column, f"{column} must be a number, got {raw!r}")
            return 0.0

    def boolean(self, row: dict, column: str, *, default: bool | None = None) -> bool:
        raw = (row.get(column) or "").strip().lower()
        if not raw and default is not None:
            return default
        if raw in ("true", "yes", "1"):
            return True
        if raw in ("false", "no", "0"):
            return False
        self.fail(column, f"{column} must be true or false, got {raw!r}")
        return bool(default)

    def choice(self, row: dict, column: str, enum: Callable, allowed: str):
        raw = (row.get(column) or "").strip()
        try:
            return enum(raw)
        except ValueError:
            self.fail(column, f"{column} {raw!r} is not one of {allowed}")
            return None

    def pipe_list(self, row: dict, column: str) -> list[str]:
        raw = (row.get(column) or "").strip()
        return [part.strip() for part in raw.split("|") if part.strip()] if raw else []


def _rows(path: Traversable, reader: _Reader, required_columns: list[str]) -> Iterator[dict]:
    if not path.is_file():
        reader.errors.append(FieldError(path.name, f"{path.name} is missing"))
        return
    with path.open("r", newline="", encoding="utf-8") as f:
        rows = csv.DictReader(f)
        missing = [c for c in required_columns if c not in (rows.fieldnames or [])]
        if missing:
            reader.errors.append(FieldError(path.name, f"{path.name} lacks column(s) {', '.join(missing)}"))
            return
        for row in rows:
            reader.line = rows.line_num
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue  # blank line
            yield row


def _unique(reader: _Reader, seen: set, key, column: str, what: str) -> bool:
    if key in seen:
        reader.fail(column, f"duplicate {what} {key if not isinstance(key, tuple) else ' / '.join(map(str, key))}")
        return False
    seen.add(key)
    return True


def _pin(reader: _Reader, row: dict, column: str) -> str:
    pin = reader.text(row, column)
    if pin and not (len(pin) == 6 and pin.isdigit() and pin[0] != "0"):
        reader.fail(column, f"PIN {pin!r} must be 6 digits not starting with 0")
    return pin


def _nodes(path: Traversable, errors: list[FieldError]) -> list[Node]:
    r = _Reader(errors, path.name)
    kinds = ", ".join(k.value for k in NodeKind)
    caps_allowed = ", ".join(c.value for c in Capability)
    out, seen = [], set()
    for row in _rows(path, r, ["code", "name", "kind", "pin", "city", "state", "lat", "lon"]):
        code = r.text(row, "code")
        kind = r.choice(row, "kind", NodeKind, kinds)
        caps = []
        for cap in r.pipe_list(row, "capabilities") or ["ship"]:
            try:
                caps.append(Capability(cap))
            except ValueError:
                r.fail("capabilities", f"capability {cap!r} is not one of {caps_allowed}")
        lat, lon = r.number(row, "lat"), r.number(row, "lon")
        if not (6.0 <= lat <= 37.5 and 68.0 <= lon <= 97.5):
            r.fail("lat", f"({lat}, {lon}) is outside India")
        node = Node(
            code=code,
            name=r.text(row, "name"),
            kind=kind,
            pin=_pin(r, row, "pin"),
            city=r.text(row, "city"),
            state=r.text(row, "state"),
            lat=lat,
            lon=lon,
            address=r.text(row, "address", required=False),
            capabilities=frozenset(caps),
            daily_capacity=r.integer(row, "daily_capacity", default=1000),
            handling_cost_paise=r.integer(row, "handling_cost_paise", default=0),
            priority=r.integer(row, "priority", default=100),
            active=r.boolean(row, "active", default=True),
            groups=frozenset(r.pipe_list(row, "groups")),
        )
        if code and _unique(r, seen, code, "code", "node code"):
            out.append(node)
    return out


def _skus(path: Traversable, errors: list[FieldError]) -> list[Sku]:
    r = _Reader(errors, path.name)
    out, seen = [], set()
    for row in _rows(path, r, ["code", "name", "category", "unit_weight_g", "length_mm", "width_mm", "height_mm",
                               "unit_price_paise"]):
        code = r.text(row, "code")
        sku = Sku(
            code=code,
            name=r.text(row, "name"),
            category=r.text(row, "category"),
            unit_weight_g=r.integer(row, "unit_weight_g", minimum=1),
            length_mm=r.integer(row, "length_mm", minimum=1),
            width_mm=r.integer(row, "width_mm", minimum=1),
            height_mm=r.integer(row, "height_mm", minimum=1),
            unit_price_paise=r.integer(row, "unit_price_paise"),
            hazmat=r.boolean(row, "hazmat", default=False),
            fragile=r.boolean(row, "fragile", default=False),
            returnable=r.boolean(row, "returnable", default=True),
        )
        if code and _unique(r, seen, code, "code", "SKU code"):
            out.append(sku)
    return out


def _inventory(path: Traversable, errors: list[FieldError], nodes: set[str], skus: set[str]) -> list[InventoryPosition]:
    r = _Reader(errors, path.name)
    out, seen = [], set()
    for row in _rows(path, r, ["node", "sku", "on_hand"]):
        node, sku = r.text(row, "node"), r.text(row, "sku")
        ok = True
        if node and node not in nodes:
            r.fail("node", f"node {node} is not in nodes.csv")
            ok = False
        if sku and sku not in skus:
            r.fail("sku", f"SKU {sku} is not in skus.csv")
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


def _carriers(path: Traversable, errors: list[FieldError]) -> list[Carrier]:
    r = _Reader(errors, path.name)
    out, seen = [], set()
    for row in _rows(path, r, ["code", "name"]):
        code = r.text(row, "code")
        carrier = Carrier(
            code=code,
            name=r.text(row, "name"),
            modes=frozenset(r.pipe_list(row, "modes") or ["surface"]),
            max_weight_g=r.integer(row, "max_weight_g", minimum=1, default=30_000),
            cod_supported=r.boolean(row, "cod_supported", default=True),
            volumetric_divisor=r.integer(row, "volumetric_divisor", minimum=1, default=5000),
            reverse_supported=r.boolean(row, "reverse_supported", default=True),
            active=r.boolean(row, "active", default=True),
        )
        if code and _unique(r, seen, code, "code", "carrier code"):
            out.append(carrier)
    return out


def _rate_cards(path: Traversable, errors: list[FieldError], carriers: set[str]) -> list[RateCard]:
    r = _Reader(errors, path.name)
    out, seen = [], set()
    for row in _rows(path, r, ["carrier", "zone", "first_slab_paise", "additional_slab_paise"]):
        carrier = r.text(row, "carrier")
        if carrier and carrier not in carriers:
            r.fail("carrier", f"carrier {carrier} is not in carriers.csv")
            carrier = ""
        zone = r.choice(row, "zone", Zone, "A, B, C, D, E")
        card = RateCard(
            carrier=carrier,
            zone=zone,
            first_slab_paise=r.integer(row, "first_slab_paise"),
            additional_slab_paise=r.integer(row, "additional_slab_paise"),
            cod_fixed_paise=r.integer(row, "cod_fixed_paise", default=0),
            cod_percent_bp=r.integer(row, "cod_percent_bp", default=0),
            rto_multiplier_pct=r.integer(row, "rto_multiplier_pct", default=100),
            reverse_multiplier_pct=r.integer(row, "reverse_multiplier_pct", default=120),
            slab_g=r.integer(row, "slab_g", minimum=1, default=500),
        )
        if carrier and zone is not None and _unique(r, seen, (carrier, zone.value), "zone", "rate card for"):
            out.append(card)
    return out


def _serviceability(path: Traversable, errors: list[FieldError], carriers: set[str]) -> list[Serviceability]:
    r = _Reader(errors, path.name)
    out, seen = [], set()
    for row in _rows(path, r, ["carrier", "pin_prefix"]):
        carrier = r.text(row, "carrier")
        if carrier and carrier not in carriers:
            r.fail("carrier", f"carrier {carrier} is not in carriers.csv")
            carrier = ""
        prefix = r.text(row, "pin_prefix")
        if prefix and not (prefix.isdigit() and 1 <= len(prefix) <= 6 and prefix[0] != "0"):
            r.fail("pin_prefix", f"PIN prefix {prefix!r} must be 1-6 digits not starting with 0")
            prefix = ""
        defaults = Serviceability("", "")
        row_obj = Serviceability(
            carrier=carrier,
            pin_prefix=prefix,
            forward=r.boolean(row, "forward", default=True),
            reverse=r.boolean(row, "reverse", default=True),
            cod=r.boolean(row, "cod", default=True),
            **{f"sla_days_{z}": r.integer(row, f"sla_days_{z}", default=getattr(defaults, f"sla_days_{z}"))
               for z in "abcde"},
        )
        if carrier and prefix and _unique(r, seen, (carrier, prefix), "pin_prefix", "serviceability row for"):
            out.append(row_obj)
    return out


def _channels(path: Traversable, errors: list[FieldError], nodes: set[str]) -> list[Channel]:
    r = _Reader(errors, path.name)
    out, seen = [], set()
    for row in _rows(path, r, ["code", "name", "kind"]):
        code = r.text(row, "code")
        kind = r.text(row, "kind")
        if kind and kind not in CHANNEL_KINDS:
            r.fail("kind", f"kind {kind!r} is not one of {', '.join(sorted(CHANNEL_KINDS))}")
        feeding = r.pipe_list(row, "feeding_nodes")
        for node in feeding:
            if node not in nodes:
                r.fail("feeding_nodes", f"node {node} is not in nodes.csv")
        buffer_percent = r.integer(row, "buffer_percent", default=0)
        if buffer_percent > 100:
            r.fail("buffer_percent", f"buffer_percent must be at most 100, got {buffer_percent}")
        channel = Channel(
            code=code,
            name=r.text(row, "name"),
            kind=kind,
            return_window_days=r.integer(row, "return_window_days", default=30),
            buffer_units=r.integer(row, "buffer_units", default=0),
            buffer_percent=buffer_percent,
            feeding_nodes=frozenset(feeding),
            active=r.boolean(row, "active", default=True),
        )
        if code and _unique(r, seen, code, "code", "channel code"):
            out.append(channel)
    return out


def _raise_if(errors: list[FieldError], folder: Traversable) -> None:
    if errors:
        shown = "; ".join(e.message for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ValidationFailed(f"demo network in {folder} has {len(errors)} problem(s): {shown}{more}",
                               field_errors=errors)


def load_network(data_dir: Path | str | None = None) -> NetworkData:
    """Read and validate the network CSVs; `ValidationFailed` lists every problem with file and line."""
    folder = _resolve(data_dir)
    errors: list[FieldError] = []
    nodes = _nodes(folder / FILES["nodes"], errors)
    skus = _skus(folder / FILES["skus"], errors)
    node_codes = {n.code for n in nodes}
    inventory = _inventory(folder / FILES["inventory"], errors, node_codes, {s.code for s in skus})
    carriers = _carriers(folder / FILES["carriers"], errors)
    carrier_codes = {c.code for c in carriers}
    rate_cards = _rate_cards(folder / FILES["rate_cards"], errors, carrier_codes)
    serviceability = _serviceability(folder / FILES["serviceability"], errors, carrier_codes)
    channels = _channels(folder / FILES["channels"], errors, node_codes)
    _raise_if(errors, folder)
    return NetworkData(nodes, skus, inventory, carriers, rate_cards, serviceability, channels)


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
    errors: list[FieldError] = []
    r = _Reader(errors, CITIES_FILE)
    out = []
    for row in _rows(folder / CITIES_FILE, r, ["city", "state", "state_code", "population", "pin", "lat", "lon"]):
        out.append(City(r.text(row, "city"), r.text(row, "state"), r.text(row, "state_code"),
                        r.integer(row, "population", minimum=1), _pin(r, row, "pin"),
                        r.number(row, "lat"), r.number(row, "lon")))
    _raise_if(errors, folder)
    return out

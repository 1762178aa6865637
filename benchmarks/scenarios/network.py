"""The demo network's published tables (data/*.csv) as the objects geo/logistics use.

Scenarios borrow the carriers, zone rate cards, serviceability, SKU catalogue
and the Census 2011 city table from data/ so a benchmark prices parcels
exactly as the product does. When `omnialloc.network_files.load_network`
exists it is the single reader; the small CSV reader below only stands in
until it lands (same files, same domain objects).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from omnialloc.domain.enums import Zone
from omnialloc.domain.logistics import Carrier, RateCard, Serviceability
from omnialloc.logistics import LaneTable, ServiceabilityIndex

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def _bool(text: str) -> bool:
    return str(text).strip().lower() in ("true", "1", "yes")


def _rows(name: str, data_dir: Path) -> list[dict]:
    with open(data_dir / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class City:
    name: str
    state_code: str
    population: int
    pin: str
    lat: float
    lon: float


@dataclass(frozen=True)
class CatalogueSku:
    code: str
    category: str
    unit_weight_g: int
    volume_mm3: int
    unit_price_paise: int


@dataclass(frozen=True)
class Network:
    carriers: tuple[Carrier, ...]
    rate_cards: tuple[RateCard, ...]
    serviceability: ServiceabilityIndex
    cities: tuple[City, ...]
    skus: tuple[CatalogueSku, ...]
    nodes: tuple[dict, ...]          # data/nodes.csv rows (for handling-cost defaults and the demo scenario)
    inventory: tuple[dict, ...]      # data/inventory.csv rows

    def lane_table(self) -> LaneTable:
        return LaneTable(self.carriers, self.rate_cards, self.serviceability)


@lru_cache(maxsize=4)
def load(data_dir: str | None = None) -> Network:
    d = Path(data_dir) if data_dir else DATA_DIR
    carriers = tuple(
        Carrier(
            code=r["code"], name=r["name"], modes=frozenset(r["modes"].split("|")),
            max_weight_g=int(r["max_weight_g"]), cod_supported=_bool(r["cod_supported"]),
            volumetric_divisor=int(r["volumetric_divisor"]), reverse_supported=_bool(r["reverse_supported"]),
        )
        for r in _rows("carriers.csv", d)
    )
    cards = tuple(
        RateCard(
            carrier=r["carrier"], zone=Zone(r["zone"]), first_slab_paise=int(r["first_slab_paise"]),
            additional_slab_paise=int(r["additional_slab_paise"]), cod_fixed_paise=int(r["cod_fixed_paise"]),
            cod_percent_bp=int(r["cod_percent_bp"]), rto_multiplier_pct=int(r["rto_multiplier_pct"]),
            reverse_multiplier_pct=int(r["reverse_multiplier_pct"]),
        )
        for r in _rows("rate_cards.csv", d)
    )
    svc = ServiceabilityIndex(
        Serviceability(
            carrier=r["carrier"], pin_prefix=r["pin_prefix"], forward=_bool(r["forward"]),
            reverse=_bool(r["reverse"]), cod=_bool(r["cod"]),
            **{f"sla_days_{z}": int(r[f"sla_days_{z}"]) for z in "abcde"},
        )
        for r in _rows("serviceability.csv", d)
    )
    cities = tuple(
        City(r["city"], r["state_code"], int(r["population"]), r["pin"], float(r["lat"]), float(r["lon"]))
        for r in _rows("cities.csv", d)
    )
    skus = tuple(
        CatalogueSku(
            r["code"], r["category"], int(r["unit_weight_g"]),
            int(r["length_mm"]) * int(r["width_mm"]) * int(r["height_mm"]), int(r["unit_price_paise"]),
        )
        for r in _rows("skus.csv", d)
    )
    return Network(carriers, cards, svc, cities, skus, tuple(_rows("nodes.csv", d)), tuple(_rows("inventory.csv", d)))

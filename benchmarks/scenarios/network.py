"""The demo network's published tables (data/*.csv) as the objects geo/logistics use.

Scenarios borrow the carriers, zone rate cards, serviceability, SKU catalogue
and the Census 2011 city table from data/ (read by the product's
`omnialloc.network_files`) so a benchmark prices parcels exactly as the
product does.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from omnialloc.domain.enums import Zone
from omnialloc.domain.logistics import Carrier, RateCard, Serviceability
from omnialloc.logistics import LaneTable, ServiceabilityIndex
from omnialloc.network_files import packaged_data_dir

DATA_DIR = packaged_data_dir()


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
    """The demo network through the product's own reader (`omnialloc.network_files`)."""
    from omnialloc.network_files import load_cities, load_network

    net = load_network(data_dir)
    cities = tuple(City(c.city, c.state_code, c.population, c.pin, c.lat, c.lon) for c in load_cities(data_dir))
    skus = tuple(
        CatalogueSku(s.code, s.category, s.unit_weight_g, s.length_mm * s.width_mm * s.height_mm, s.unit_price_paise)
        for s in net.skus
    )
    nodes = tuple({"code": n.code, "kind": str(n.kind), "handling_cost_paise": n.handling_cost_paise} for n in net.nodes)
    return Network(tuple(net.carriers), tuple(net.rate_cards), ServiceabilityIndex(net.serviceability), cities,
                   skus, nodes, tuple(net.inventory))

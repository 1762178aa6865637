"""A per-process cache of the reference network: nodes, their locations, carriers, rates, serviceability.

Reference data changes rarely (demo load, admin edits), while every allocation
needs all of it; reading it once per TTL keeps allocation to a few queries.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

from omnialloc.domain import Carrier, Node, RateCard
from omnialloc.domain.errors import DomainError
from omnialloc.geo.pins import PinLocation, locate
from omnialloc.logistics.serviceability import ServiceabilityIndex

log = logging.getLogger(__name__)
TTL_SECONDS = 30.0


@dataclass
class Network:
    nodes: list[Node]
    by_code: dict[str, Node]
    locations: dict[str, PinLocation]
    carriers: list[Carrier]
    rate_cards: list[RateCard]
    serviceability: ServiceabilityIndex
    loaded_at: float


_cache: dict[str, Network] = {}
_lock = threading.Lock()


def network(uow, key: str = "default", *, fresh: bool = False) -> Network:
    with _lock:
        hit = _cache.get(key)
        if hit is not None and not fresh and time.monotonic() - hit.loaded_at < TTL_SECONDS:
            return hit
    loaded = _load(uow)
    with _lock:
        _cache[key] = loaded
    return loaded


def invalidate() -> None:
    with _lock:
        _cache.clear()
        _skus.clear()
        _rejections.clear()


_skus: dict[str, tuple[float, object]] = {}
_rejections: dict[str, tuple[float, dict[str, int]]] = {}


def skus(uow, codes) -> dict:
    """SKU master data by code (cached per process for TTL_SECONDS; unknown codes are simply absent)."""
    stamp = time.monotonic()
    out, missing = {}, []
    for code in codes:
        hit = _skus.get(code)
        if hit is not None and stamp - hit[0] < TTL_SECONDS:
            out[code] = hit[1]
        else:
            missing.append(code)
    if missing:
        found = uow.skus.get_many(missing)
        with _lock:
            if len(_skus) > 200_000:
                _skus.clear()
            for code, sku in found.items():
                _skus[code] = (stamp, sku)
        out.update(found)
    return out


def recent_rejections(uow, since) -> dict[str, int]:
    """Rejections per node in the reliability window; a slightly stale count is fine for a penalty."""
    hit = _rejections.get("all")
    if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
        return hit[1]
    counts = uow.shipments.count_by_node(statuses=["REJECTED"], since=since)
    _rejections["all"] = (time.monotonic(), counts)
    return counts


def _load(uow) -> Network:
    nodes = sorted((n for n in uow.nodes.list() if n.active), key=lambda n: n.code)
    locations: dict[str, PinLocation] = {}
    usable = []
    for node in nodes:
        try:
            loc = locate(node.pin)
        except DomainError as exc:  # a node with a bad PIN cannot be zoned; leave it out, loudly
            log.warning("node %s left out of planning: %s", node.code, exc.detail)
            continue
        locations[node.code] = replace(loc, lat=node.lat, lon=node.lon)
        usable.append(node)
    carriers = [c for c in uow.carriers.list() if c.active]
    return Network(
        nodes=usable, by_code={n.code: n for n in usable}, locations=locations, carriers=carriers,
        rate_cards=uow.carriers.rate_cards(), serviceability=ServiceabilityIndex(uow.carriers.serviceability()),
        loaded_at=time.monotonic(),
    )

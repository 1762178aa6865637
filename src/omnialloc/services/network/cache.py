"""Per-process caches of the reference data: the network (nodes, their locations, carriers, rates,
serviceability), SKUs and channels.

Reference data changes rarely (demo load, admin edits), while every capture and
allocation needs it. Each cache is kept per engine and keyed by the revision
token (``tables.rules.rules_revision``), which every write of reference data
changes, whichever process makes it; the unit of work reads the token once per
transaction. So a deactivated node, a new rate card or an inactive channel is
seen by the next transaction of every process, never served from a stale cache.
``TTL_SECONDS`` still reloads now and then, for rows changed behind the
application's back (SQL by hand).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass, field, replace

from omnialloc.domain import Carrier, Channel, Node, RateCard
from omnialloc.domain.errors import DomainError
from omnialloc.geo.pins import PinLocation, locate
from omnialloc.logistics.calendar import NodeCalendar
from omnialloc.logistics.serviceability import ServiceabilityIndex
from omnialloc.logistics.transit.clock import DeliveryClock
from omnialloc.logistics.transit.model import TransitModel
from omnialloc.logistics.transit.table import TransitTable

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
    # The delivery promise (issue 24): node calendars (absent: the default calendar), the transit model
    # (the seller's table, else distance defaults) and the clock that turns both into lane dates.
    calendars: dict[str, NodeCalendar] = field(default_factory=dict)
    transit: TransitModel | None = None
    clock: DeliveryClock = field(default_factory=DeliveryClock)


@dataclass
class _Reference:
    """One engine's cached reference data, valid while the revision token is ``token``."""

    token: str | None
    network: Network | None = None
    skus: dict[str, tuple[float, object]] = field(default_factory=dict)
    channels: dict[str, tuple[float, Channel]] = field(default_factory=dict)


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> _Reference
_lock = threading.Lock()


def revision(uow) -> str | None:
    """The revision token as ``uow``'s transaction sees it (read once per transaction)."""
    return uow.revision()


def _reference(uow) -> _Reference:
    token = revision(uow)
    engine = uow.engine
    with _lock:
        ref = _cache.get(engine)
        if ref is None or ref.token != token:
            ref = _cache[engine] = _Reference(token)
        return ref


def cached_revision(uow) -> tuple[bool, str | None]:
    """(True, token) with the revision token this engine's caches were last filled at, (False, None) before
    they were ever filled: what a unit of work may assume (``UnitOfWork.assume_revision``)."""
    ref = _cache.get(uow.engine)
    return (False, None) if ref is None else (True, ref.token)


def network(uow, key: str = "default", *, fresh: bool = False) -> Network:
    ref = _reference(uow)
    hit = ref.network
    if hit is not None and not fresh and time.monotonic() - hit.loaded_at < TTL_SECONDS:
        return hit
    loaded = _load(uow)
    if hit is not None and _same_network(hit, loaded):
        # The periodic reload found nothing changed: keep the object, because the lane tables and their
        # per-destination lane memos hang off it (``planning``), and a new object would start them cold
        # (~19 lane computations per order until every destination has been seen again).
        hit.loaded_at = loaded.loaded_at
        return hit
    ref.network = loaded
    return loaded


def _same_network(a: Network, b: Network) -> bool:
    return (a.nodes == b.nodes and a.locations == b.locations and a.carriers == b.carriers
            and a.rate_cards == b.rate_cards and a.serviceability.same_rows(b.serviceability)
            and a.calendars == b.calendars
            and (a.transit.table.rows if a.transit else None) == (b.transit.table.rows if b.transit else None))


def invalidate() -> None:
    with _lock:
        _cache.clear()
        _rejections.clear()


_rejections: dict[str, tuple[float, dict[str, int]]] = {}


def skus(uow, codes) -> dict:
    """SKU master data by code (cached per process; unknown codes are simply absent)."""
    cached = _reference(uow).skus
    stamp = time.monotonic()
    out, missing = {}, []
    for code in codes:
        hit = cached.get(code)
        if hit is not None and stamp - hit[0] < TTL_SECONDS:
            out[code] = hit[1]
        else:
            missing.append(code)
    if missing:
        found = uow.skus.get_many(missing)
        with _lock:
            if len(cached) > 200_000:
                cached.clear()
            for code, sku in found.items():
                cached[code] = (stamp, sku)
        out.update(found)
    return out


def channel(uow, code: str) -> Channel | None:
    """A channel by code (cached per process like the SKUs; an unknown code is read every time)."""
    cached = _reference(uow).channels
    stamp = time.monotonic()
    hit = cached.get(code)
    if hit is not None and stamp - hit[0] < TTL_SECONDS:
        return hit[1]
    found = uow.channels.get(code)
    if found is not None:
        with _lock:
            if len(cached) > 10_000:
                cached.clear()
            cached[code] = (stamp, found)
    return found


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
    calendars = uow.promise.calendars()
    return Network(
        nodes=usable, by_code={n.code: n for n in usable}, locations=locations, carriers=carriers,
        rate_cards=uow.carriers.rate_cards(), serviceability=ServiceabilityIndex(uow.carriers.serviceability()),
        loaded_at=time.monotonic(),
        calendars=calendars, transit=TransitModel(carriers, TransitTable(uow.promise.transit_rows())),
        clock=DeliveryClock(calendars),
    )

"""Lanes: which carriers can move a parcel between a node and a customer PIN, and at what price.

A `LaneQuote` carries exactly what the solver's `AllocationProblem.add_lane`
takes (`add_lane(node, **quote.as_lane_kwargs())`), so the allocator never
re-derives zones, rate cards or serviceability itself.

Rules:
- the zone comes from `geo.zones.zone_between(origin, dest)`;
- a carrier appears only if it is active, has a rate card for that zone, and
  its serviceability row for the destination PIN allows forward delivery (or,
  with `reverse=True`, reverse pickup from the customer's PIN and the carrier
  does reverse at all);
- `cod=True` (a cash-on-delivery order) keeps only lanes that can collect
  cash: a lane that cannot would never be chosen for the order;
- reverse lanes are priced at the rate card's reverse multiplier and never
  collect cash;
- slab prices carry the rate card's fuel surcharge (``RateCard.surcharged``);
- a forward lane needs the carrier to pick up at the origin: a serviceability
  row covering the node's PIN that says ``pickup=false`` removes the carrier
  from that node (no row there: nothing is known against it).

`LaneTable` caches answers per (origin PIN, destination PIN, cod, reverse, express),
because the allocator asks for every candidate node of every order, and behind that per
destination class (`LaneTable.destination_class`: what the lanes read of the destination,
its state, city, district, PIN prefix, serviceability rows and distance band), so a PIN
seen for the first time takes the lanes of a PIN of its class already seen.

Transit days (issue 24): with a `TransitModel` the table's `sla_days` are the
model's transit days for the lane's service (the seller's transit table, most
specific row wins, else the distance defaults; docs/promise.md), not the
courier zone's SLA. A lane takes the carrier's standard (slowest) service;
with `express=True` a carrier that offers express takes it instead, its slab
prices scaled by `express_freight_pct`. Without a model (tests, tools) the
zone SLA stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypedDict

from omnialloc.domain.enums import Zone
from omnialloc.domain.logistics import Carrier, RateCard, Serviceability
from omnialloc.geo.distance import haversine_point_km
from omnialloc.geo.pins import PinLocation
from omnialloc.geo.zones import zone_between
from omnialloc.logistics.serviceability import ServiceabilityIndex
from omnialloc.logistics.transit.model import TransitModel
from omnialloc.logistics.transit.service import Service, services_of
from omnialloc.logistics.transit.table import PREFIX_DIGITS, Level


class LaneKwargs(TypedDict):
    """`AllocationProblem.add_lane`'s keyword arguments after the node, as `LaneQuote.as_lane_kwargs` gives them."""

    carrier: str
    zone: str
    first_slab_paise: int
    additional_slab_paise: int
    cod_fixed_paise: int
    cod_percent_bp: int
    max_weight_g: int
    sla_days: int
    cod_allowed: bool
    volumetric_divisor: int
    slab_g: int


@dataclass(frozen=True)
class LaneQuote:
    """One carrier's offer for one origin -> destination pair (money in paise, weights in grams)."""

    carrier: str
    zone: Zone
    first_slab_paise: int
    additional_slab_paise: int
    cod_fixed_paise: int
    cod_percent_bp: int
    max_weight_g: int
    sla_days: int
    cod_allowed: bool
    volumetric_divisor: int
    slab_g: int
    service: str = ""          # the carrier's service on this lane (empty: no transit model, zone SLA)
    transit_basis: str = ""    # where the transit days came from (TransitTime.basis)

    def as_lane_kwargs(self) -> LaneKwargs:
        """Keyword arguments for `AllocationProblem.add_lane(node, **kwargs)`."""
        return LaneKwargs(carrier=self.carrier, zone=str(self.zone), first_slab_paise=self.first_slab_paise,
                          additional_slab_paise=self.additional_slab_paise, cod_fixed_paise=self.cod_fixed_paise,
                          cod_percent_bp=self.cod_percent_bp, max_weight_g=self.max_weight_g,
                          sla_days=self.sla_days, cod_allowed=self.cod_allowed,
                          volumetric_divisor=self.volumetric_divisor, slab_g=self.slab_g)


_MAX_TABLES_PER_INDEX = 8
_MAX_CLASSES = 65536
# lane_table's key: the carriers' and rate cards' field values, the transit model (by identity), the express pct
_TableKey = tuple[tuple[tuple[object, ...], ...], tuple[tuple[object, ...], ...], TransitModel | None, int]
# LaneTable.destination_class: ("pin", the PIN's location), or (state code, city, district, PIN prefix,
# id of the distance band or None, ids of the serviceability rows)
DestinationClass = tuple[str, PinLocation] | tuple[str, str, str, str, int | None, tuple[int, ...]]


def _scaled(paise: int, percent: int) -> int:
    return (paise * percent + 50) // 100


class LaneTable:
    """Carriers, rate cards and serviceability bundled for fast, cached lane look-ups."""

    def __init__(self, carriers: Iterable[Carrier], rate_cards: Iterable[RateCard], serviceability: ServiceabilityIndex,
                 transit: TransitModel | None = None, express_freight_pct: int = 100):
        self.carriers = tuple(sorted((c for c in carriers), key=lambda c: c.code))
        self.transit = transit
        self.express_freight_pct = express_freight_pct
        self._services = {c.code: services_of(c) for c in self.carriers}
        self.cards: dict[tuple[str, Zone], RateCard] = {}
        for card in rate_cards:
            key = (card.carrier, Zone(card.zone))
            if key in self.cards:
                raise ValueError(f"duplicate rate card for carrier {card.carrier} zone {card.zone}")
            self.cards[key] = card
        self.serviceability = serviceability
        self._cached = lru_cache(maxsize=65536)(self._classed)
        # Lanes per destination class (`destination_class`), not per PIN: a PIN seen for the first time
        # (most orders and first-seen promise carts) mostly takes the lanes another PIN of its class got.
        # and per (origin, class, carrier, reverse, express service or not): one carrier's quote, whatever
        # the COD flag and, for carriers without an express service, the express flag
        self._quotes: dict[tuple[PinLocation, DestinationClass, str, bool, bool], LaneQuote | None] = {}
        self._by_class: dict[tuple[PinLocation, DestinationClass, bool, bool, bool], tuple[LaneQuote, ...]] = {}
        # PINs the transit table names in a PIN-pair row: their transit days may be their own
        self._table_pins: frozenset[str] = frozenset() if transit is None else frozenset(
            pin for row in transit.table.rows if row.level is Level.PIN for pin in (row.origin, row.destination))
        # The class shortcut knows TransitModel's look-up (table rows, then distance bands); a model of
        # another kind is asked per PIN.
        self._classes = transit is None or type(transit) is TransitModel
        # The carriers that reach a destination (with their serviceability rows) do not depend on the
        # origin: found once per destination, not once per (node, destination).
        self._reaching = lru_cache(maxsize=65536)(self._reaching_dest)

    def lanes(self, origin: PinLocation, dest: PinLocation, *, cod: bool, reverse: bool = False,
              express: bool = False) -> list[LaneQuote]:
        return list(self._timed(origin, dest, bool(cod), bool(reverse), bool(express) and not reverse))

    def _timed(self, origin: PinLocation, dest: PinLocation, cod: bool, reverse: bool,
               express: bool) -> tuple[LaneQuote, ...]:
        # Without a transit model there is no express service to take: one cache entry either way.
        return self._cached(origin, dest, cod, reverse, express and self.transit is not None)

    def destination_class(self, origin: PinLocation, dest: PinLocation, reverse: bool = False) -> DestinationClass:
        """A key shared by destinations that get the same lanes from `origin`: everything `_compute` reads of
        the destination. The courier zone needs its state, city and district (metro); the carriers' rows are
        those serviceability finds for its PIN (by identity: the index keeps them); the transit days its
        3-digit prefix and state (the table's prefix, state and zone rows) and the distance band and
        remote region of the pair (the defaults). A PIN the transit table names in a PIN-pair row is its
        own class."""
        if not self._classes or dest.pin in self._table_pins:
            return ("pin", dest)
        band = None
        if self.transit is not None:
            defaults = self.transit.defaults
            same_city = origin.state_code == dest.state_code and origin.city == dest.city
            band = id(defaults.band_of(haversine_point_km(origin.lat, origin.lon, dest.lat, dest.lon), same_city))
        rows = tuple(id(row) for _, row in self._reaching(dest.pin, reverse))
        return (dest.state_code, dest.city, dest.district, dest.pin[:PREFIX_DIGITS], band, rows)

    def lanes_in_class(self, origin: PinLocation, dest: PinLocation, klass: DestinationClass, *, cod: bool,
                       express: bool = False) -> tuple[LaneQuote, ...]:
        """`lanes` (forward) for a destination whose `destination_class` from `origin` the caller has already
        worked out (``klass``): the class's quotes, shared by every destination of the class (read-only)."""
        return self._classed(origin, dest, bool(cod), False, bool(express) and self.transit is not None, klass)

    def _classed(self, origin: PinLocation, dest: PinLocation, cod: bool, reverse: bool,
                 express: bool, klass: DestinationClass | None = None) -> tuple[LaneQuote, ...]:
        if klass is None:
            klass = self.destination_class(origin, dest, reverse)
        key = (origin, klass, cod, reverse, express)
        quotes = self._by_class.get(key)
        if quotes is None:
            if len(self._by_class) >= _MAX_CLASSES:
                self._by_class.clear()
            quotes = self._by_class[key] = self._compute(origin, dest, cod, reverse, express, klass)
        return quotes

    def _reaching_dest(self, pin: str, reverse: bool) -> tuple[tuple[Carrier, Serviceability], ...]:
        out = []
        for carrier in self.carriers:
            if not carrier.active or (reverse and not carrier.reverse_supported):
                continue
            row = self.serviceability.row(carrier.code, pin)
            if row is not None:
                out.append((carrier, row))
        return tuple(out)

    def _service(self, carrier: str, origin: PinLocation, dest: PinLocation, reverse: bool,
                 express: bool) -> tuple[Service, int, str] | None:
        """The carrier's service on this lane with its transit days and their basis; None without a model
        (or for a carrier that names no service): the zone SLA stays."""
        offered = self._services.get(carrier, ())
        if self.transit is None or not offered:
            return None
        service = Service.EXPRESS if express and Service.EXPRESS in offered else offered[0]
        # a reverse parcel travels from the customer to the node
        days = (self.transit.days(carrier, service, dest, origin) if reverse
                else self.transit.days(carrier, service, origin, dest))
        assert days is not None  # the service is one the carrier offers
        return service, days[0], days[1]

    def _compute(self, origin: PinLocation, dest: PinLocation, cod: bool, reverse: bool, express: bool,
                 klass: DestinationClass | None = None) -> tuple[LaneQuote, ...]:
        # Each quote is built once, with its transit days, rather than built on the zone SLA and copied
        # with the model's days: with a new destination per order (most orders) that copy per lane was a
        # tenth of a capture's CPU. With the destination's class known, a carrier's quote is kept per
        # (origin, class, carrier, direction, express service or not): COD only filters quotes, and
        # express changes only the carriers that offer it, so the other variants of a lane reuse it.
        zone = zone_between(origin, dest)
        out = []
        for carrier, row in self._reaching(dest.pin, reverse):
            if klass is None:
                quote = self._quote(carrier, row, origin, dest, zone, reverse, express)
            else:
                key = (origin, klass, carrier.code, reverse,
                       express and Service.EXPRESS in self._services.get(carrier.code, ()))
                if key in self._quotes:
                    quote = self._quotes[key]
                else:
                    if len(self._quotes) >= _MAX_CLASSES:
                        self._quotes.clear()
                    quote = self._quotes[key] = self._quote(carrier, row, origin, dest, zone, reverse, express)
            if quote is None or (cod and not reverse and not quote.cod_allowed):
                continue
            out.append(quote)
        return tuple(out)

    def _quote(self, carrier: Carrier, row: Serviceability, origin: PinLocation, dest: PinLocation, zone: Zone,
               reverse: bool, express: bool) -> LaneQuote | None:
        """`carrier`'s lane (COD or not: the caller filters), or None when it has none here."""
        card = self.cards.get((carrier.code, zone))
        if card is None:
            return None
        first, additional = card.surcharged(card.first_slab_paise), card.surcharged(card.additional_slab_paise)
        if reverse:
            if not row.reverse:
                return None
            timed = self._service(carrier.code, origin, dest, True, False)
            return LaneQuote(
                carrier=carrier.code,
                zone=zone,
                first_slab_paise=_scaled(first, card.reverse_multiplier_pct),
                additional_slab_paise=_scaled(additional, card.reverse_multiplier_pct),
                cod_fixed_paise=0,
                cod_percent_bp=0,
                max_weight_g=carrier.max_weight_g,
                sla_days=row.sla_days(zone) if timed is None else timed[1],
                cod_allowed=False,
                volumetric_divisor=carrier.volumetric_divisor,
                slab_g=card.slab_g,
                service="" if timed is None else str(timed[0]),
                transit_basis="" if timed is None else timed[2],
            )
        if not row.forward:
            return None
        at_origin = self.serviceability.row(carrier.code, origin.pin)
        if at_origin is not None and not at_origin.pickup:
            return None
        timed = self._service(carrier.code, origin, dest, False, express)
        if express and timed is not None and timed[0] is Service.EXPRESS and self.express_freight_pct != 100:
            first = _scaled(first, self.express_freight_pct)
            additional = _scaled(additional, self.express_freight_pct)
        return LaneQuote(
            carrier=carrier.code,
            zone=zone,
            first_slab_paise=first,
            additional_slab_paise=additional,
            cod_fixed_paise=card.cod_fixed_paise,
            cod_percent_bp=card.cod_percent_bp,
            max_weight_g=carrier.max_weight_g,
            sla_days=row.sla_days(zone) if timed is None else timed[1],
            cod_allowed=carrier.cod_supported and row.cod,
            volumetric_divisor=carrier.volumetric_divisor,
            slab_g=card.slab_g,
            service="" if timed is None else str(timed[0]),
            transit_basis="" if timed is None else timed[2],
        )


def lanes_for(
    origin: PinLocation,
    dest: PinLocation,
    carriers: Iterable[Carrier],
    rate_cards: Iterable[RateCard],
    serviceability_index: ServiceabilityIndex,
    *,
    cod: bool,
    reverse: bool = False,
    transit: TransitModel | None = None,
) -> list[LaneQuote]:
    """Lanes from `origin` (a node's PIN) to `dest` (the customer's PIN); see the module docstring.

    Calls with the same carriers and rate cards (by value) and the same index
    share one `LaneTable`, so repeated calls per order and node hit its cache.
    """
    return lane_table(carriers, rate_cards, serviceability_index, transit).lanes(origin, dest, cod=cod,
                                                                                  reverse=reverse)


def lane_table(carriers: Iterable[Carrier], rate_cards: Iterable[RateCard],
               serviceability_index: ServiceabilityIndex, transit: TransitModel | None = None,
               express_freight_pct: int = 100) -> "LaneTable":
    """The shared `LaneTable` of these carriers and rate cards (by value) on this index: look it up once
    per order and ask it for every node, rather than keying it again per node in `lanes_for`."""
    carriers = tuple(carriers)
    rate_cards = tuple(rate_cards)
    key: _TableKey = (tuple(tuple(vars(c).values()) for c in carriers),
                      tuple(tuple(vars(r).values()) for r in rate_cards),
                      transit, express_freight_pct)  # the model by identity (kept alive by the key)
    tables: dict[_TableKey, LaneTable] = serviceability_index.__dict__.setdefault("_lane_tables", {})
    table = tables.get(key)
    if table is None:
        if len(tables) >= _MAX_TABLES_PER_INDEX:
            tables.pop(next(iter(tables)))  # oldest first: carriers/rates rarely change in a process
        table = tables[key] = LaneTable(carriers, rate_cards, serviceability_index, transit, express_freight_pct)
    return table

"""The single-order allocation problem, in the domain's words.

An `AllocationProblem` is what the service layer hands the solver: one order
(lines), the candidate fulfilment nodes (stock, handling cost, capacity,
routing-rule verdicts) and the lanes (node -> destination, one per carrier,
with its rate card, SLA and serviceability). It is plain data: integer paise,
integer grams, integer mm^3. Nothing here solves anything; `instance.py`
compiles it to numpy arrays and `api.solve` picks the algorithm.

Malformed input (negative quantities, duplicate ids, a lane for an unknown
node, floats where money is expected) raises `ValueError` at once, because it
is a programming error in the caller. An order that simply cannot be served
is *not* an error: `solve` returns an INFEASIBLE plan with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, overload

PAYMENT_MODES = ("PREPAID", "COD")
SLA_POLICIES = ("hard", "soft")


@overload
def _int(name: str, value: object, *, minimum: int | None = 0, optional: Literal[False] = False) -> int: ...
@overload
def _int(name: str, value: object, *, minimum: int | None = 0, optional: bool) -> int | None: ...
def _int(name: str, value: object, *, minimum: int | None = 0, optional: bool = False) -> int | None:
    """Check an integer field; bools and floats are rejected so that money
    and weights can never silently become fractional."""
    # The common case first (a plain int in range: every field of every node and lane of every order);
    # a bool is not `int` by type, so it still takes the checks below.
    if type(value) is int and (minimum is None or value >= minimum):
        return value
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Line:
    """One order line: `qty` units of `sku`."""

    line_id: str
    sku: str
    qty: int
    unit_weight_g: int
    unit_value_paise: int
    unit_volume_mm3: int = 0


@dataclass(frozen=True)
class CandidateNode:
    """A candidate fulfilment node (warehouse, store, dark store, dropshipper) as the solver sees it
    for one order: its stock of the order's SKUs, costs and the routing verdict (built by the services
    from a `domain.Node`)."""

    code: str
    distance_km: float
    handling_cost_paise: int
    capacity_shipments: int | None
    priority: int
    kind: str
    stock: dict[str, int]
    forbidden_reason: str | None = None
    bonus_paise: int = 0
    penalty_paise: int = 0
    unit_prices_paise: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Lane:
    """One carrier's service from one node to the order's destination."""

    node: str
    carrier: str
    zone: str
    first_slab_paise: int
    additional_slab_paise: int
    slab_g: int = 500
    cod_fixed_paise: int = 0
    cod_percent_bp: int = 0
    max_weight_g: int | None = None
    sla_days: int = 0
    cod_allowed: bool = True
    volumetric_divisor: int = 5000
    bonus_paise: int = 0
    forbidden_reason: str | None = None


def make_lane(
    node: str,
    carrier: str,
    zone: str,
    first_slab_paise: int,
    additional_slab_paise: int,
    slab_g: int = 500,
    cod_fixed_paise: int = 0,
    cod_percent_bp: int = 0,
    max_weight_g: int | None = None,
    sla_days: int = 0,
    cod_allowed: bool = True,
    volumetric_divisor: int = 5000,
    bonus_paise: int = 0,
    forbidden_reason: str | None = None,
) -> Lane:
    """A checked `Lane` (the arguments of `AllocationProblem.add_lane`)."""
    if not isinstance(cod_allowed, bool):
        raise ValueError("cod_allowed must be a bool")
    return Lane(
        node,
        carrier,
        str(zone),
        _int("first_slab_paise", first_slab_paise),
        _int("additional_slab_paise", additional_slab_paise),
        _int("slab_g", slab_g, minimum=1),
        _int("cod_fixed_paise", cod_fixed_paise),
        _int("cod_percent_bp", cod_percent_bp),
        _int("max_weight_g", max_weight_g, minimum=1, optional=True),
        _int("sla_days", sla_days),
        cod_allowed,
        _int("volumetric_divisor", volumetric_divisor, minimum=1),
        _int("bonus_paise", bonus_paise),
        forbidden_reason,
    )


class AllocationProblem:
    """One order to allocate: build it with `add_line`, `add_node`, `add_lane`.

    Cost terms, all integer paise, minimised together by the optimal strategy:
    carrier charge (slabbed billed weight), COD fee per shipment, node handling
    per shipment, split penalty per shipment beyond the first, unfilled-unit
    penalty (only when `allow_partial`), lateness per late shipment (soft SLA)
    plus its lane's days times `speed_paise_per_day`,
    node priority (`priority_weight_paise * priority`), distance
    (`distance_weight_paise_per_km * km`, rounded once per node), node penalty,
    minus node and lane bonuses, plus the lookahead price per unit taken.
    """

    def __init__(
        self,
        order_id: str,
        payment_mode: str = "PREPAID",
        order_value_paise: int = 0,
        promised_days: int | None = None,
        sla_policy: str = "hard",
        lateness_penalty_paise_per_day: int = 0,
        allow_partial: bool = False,
        unfilled_penalty_paise_per_unit: int = 50_000,
        split_penalty_paise: int = 0,
        max_shipments: int | None = None,
        keep_together: list[set[str]] | None = None,
        min_shipment_value_paise: int = 0,
        distance_weight_paise_per_km: int = 0,
        priority_weight_paise: int = 0,
        speed_paise_per_day: int = 0,
    ) -> None:
        if not isinstance(order_id, str) or not order_id:
            raise ValueError("order_id must be a non-empty string")
        if payment_mode not in PAYMENT_MODES:
            raise ValueError(f"payment_mode must be one of {PAYMENT_MODES}, got {payment_mode!r}")
        if sla_policy not in SLA_POLICIES:
            raise ValueError(f"sla_policy must be one of {SLA_POLICIES}, got {sla_policy!r}")
        if not isinstance(allow_partial, bool):
            raise ValueError("allow_partial must be a bool")
        self.order_id = order_id
        self.payment_mode = payment_mode
        self.order_value_paise = _int("order_value_paise", order_value_paise)
        self.promised_days = _int("promised_days", promised_days, optional=True)
        self.sla_policy = sla_policy
        self.lateness_penalty_paise_per_day = _int(
            "lateness_penalty_paise_per_day", lateness_penalty_paise_per_day
        )
        self.allow_partial = allow_partial
        self.unfilled_penalty_paise_per_unit = _int(
            "unfilled_penalty_paise_per_unit", unfilled_penalty_paise_per_unit
        )
        self.split_penalty_paise = _int("split_penalty_paise", split_penalty_paise)
        self.max_shipments = _int("max_shipments", max_shipments, minimum=1, optional=True)
        self.keep_together = [frozenset(g) for g in (keep_together or [])]
        self.min_shipment_value_paise = _int("min_shipment_value_paise", min_shipment_value_paise)
        self.distance_weight_paise_per_km = _int(
            "distance_weight_paise_per_km", distance_weight_paise_per_km
        )
        self.priority_weight_paise = _int("priority_weight_paise", priority_weight_paise)
        # What a day of delivery costs: each shipment adds its lane's days times this (in its lateness
        # term), so a faster lane wins when it costs at most this much more per day saved.
        self.speed_paise_per_day = _int("speed_paise_per_day", speed_paise_per_day)
        self.lines: list[Line] = []
        self.nodes: list[CandidateNode] = []
        self.lanes: list[Lane] = []
        self._line_ids: set[str] = set()
        self._node_codes: set[str] = set()
        self._lane_keys: set[tuple[str, str]] = set()

    @property
    def is_cod(self) -> bool:
        return self.payment_mode == "COD"

    def add_line(
        self,
        line_id: str,
        sku: str,
        qty: int,
        unit_weight_g: int,
        unit_value_paise: int,
        unit_volume_mm3: int = 0,
    ) -> Line:
        if not line_id or line_id in self._line_ids:
            raise ValueError(f"line_id {line_id!r} is empty or already used")
        if not isinstance(sku, str) or not sku:
            raise ValueError("sku must be a non-empty string")
        line = Line(
            line_id,
            sku,
            _int("qty", qty, minimum=1),
            _int("unit_weight_g", unit_weight_g),
            _int("unit_value_paise", unit_value_paise),
            _int("unit_volume_mm3", unit_volume_mm3),
        )
        self._line_ids.add(line_id)
        self.lines.append(line)
        return line

    def add_node(
        self,
        code: str,
        distance_km: float,
        handling_cost_paise: int,
        capacity_shipments: int | None = None,
        priority: int = 0,
        kind: str = "warehouse",
        stock: dict[str, int] | None = None,
        forbidden_reason: str | None = None,
        bonus_paise: int = 0,
        penalty_paise: int = 0,
        unit_prices_paise: dict[str, int] | None = None,
    ) -> CandidateNode:
        if not code or code in self._node_codes:
            raise ValueError(f"node code {code!r} is empty or already used")
        if isinstance(distance_km, bool) or not isinstance(distance_km, (int, float)) or distance_km < 0:
            raise ValueError(f"distance_km must be a non-negative number, got {distance_km!r}")
        stock = dict(stock or {})
        for sku, units in stock.items():
            if type(units) is not int or units < 0:  # the check's message only when it fails (no f-string per SKU)
                _int(f"stock[{sku}]", units)
        prices = dict(unit_prices_paise or {})
        for sku, price in prices.items():
            if type(price) is not int or price < 0:
                _int(f"unit_prices_paise[{sku}]", price)
        node = CandidateNode(
            code,
            float(distance_km),
            _int("handling_cost_paise", handling_cost_paise),
            _int("capacity_shipments", capacity_shipments, optional=True),
            _int("priority", priority, minimum=None),
            str(kind),
            stock,
            forbidden_reason,
            _int("bonus_paise", bonus_paise),
            _int("penalty_paise", penalty_paise),
            prices,
        )
        self._node_codes.add(code)
        self.nodes.append(node)
        return node

    def add_lane(
        self,
        node: str,
        carrier: str,
        zone: str,
        first_slab_paise: int,
        additional_slab_paise: int,
        slab_g: int = 500,
        cod_fixed_paise: int = 0,
        cod_percent_bp: int = 0,
        max_weight_g: int | None = None,
        sla_days: int = 0,
        cod_allowed: bool = True,
        volumetric_divisor: int = 5000,
        bonus_paise: int = 0,
        forbidden_reason: str | None = None,
    ) -> Lane:
        """Add one lane: the arguments are those of :func:`make_lane` (node, carrier, zone, slabs, ...)."""
        lane = make_lane(
            node, carrier, zone, first_slab_paise, additional_slab_paise, slab_g, cod_fixed_paise, cod_percent_bp,
            max_weight_g, sla_days, cod_allowed, volumetric_divisor, bonus_paise, forbidden_reason,
        )
        self.add_lanes((lane,))
        return lane

    def add_lanes(self, lanes: Iterable[Lane]) -> None:
        """Add lanes built by :func:`make_lane` (checked there once, so a caller may share them
        between problems: a lane is frozen)."""
        for lane in lanes:
            key = (lane.node, lane.carrier)
            if key in self._lane_keys:
                raise ValueError(f"lane {lane.node}->{lane.carrier} already added")
            self._lane_keys.add(key)
            self.lanes.append(lane)

    def validate(self) -> None:
        """Cross-object checks that can only run once everything is added."""
        if not self.lines:
            raise ValueError("the order has no lines")
        for lane in self.lanes:
            if lane.node not in self._node_codes:
                raise ValueError(f"lane {lane.node}->{lane.carrier} refers to unknown node {lane.node!r}")
        # Overlapping groups are merged when compiled (keeping {a,b} and
        # {b,c} together means keeping a, b and c together).
        for group in self.keep_together:
            unknown = group - self._line_ids
            if unknown:
                raise ValueError(f"keep_together refers to unknown lines {sorted(unknown)}")

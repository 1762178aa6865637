"""The solver's answer: a `Plan` of shipments, with costs, status and reasons.

Everything is plain data so the service layer can store it and the API can
render `Plan.to_dict()` as JSON. Costs are integer paise per term; the sum of
shipment totals plus the unfilled penalty equals `objective_paise`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

COST_TERMS = (
    "shipping",
    "cod",
    "handling",
    "split",
    "lateness",
    "preference",
    "lookahead",
    "distance",
    "penalty",
)


class ShipmentDict(TypedDict):
    """`PlannedShipment.to_dict()`."""

    node: str
    carrier: str
    zone: str
    lines: dict[str, int]
    actual_weight_g: int
    billed_weight_g: int
    slabs: int
    sla_days: int
    value_paise: int
    costs: dict[str, int]


class ExplanationDict(TypedDict):
    """`NodeExplanation.to_dict()`: the extra cost and exactness for costlier / cheaper only."""

    node: str
    code: str
    text: str
    extra_cost_paise: NotRequired[int | None]
    exact: NotRequired[bool]


class AlternativeDict(TypedDict):
    """`Alternative.to_dict()`."""

    name: str
    nodes: list[str]
    cost_paise: int | None
    text: str


class PlanDict(TypedDict):
    """`Plan.to_dict()`: solve_ms only when timing is asked for."""

    order_id: str
    strategy: str
    status: str
    method: str
    reason: str | None
    objective_paise: int | None
    bound_paise: int | None
    costs: dict[str, int]
    shipments: list[ShipmentDict]
    unfilled: dict[str, int]
    explanation: list[ExplanationDict]
    alternatives: list[AlternativeDict]
    solve_ms: NotRequired[float]


class PlanStatus(str, enum.Enum):
    """What is known about the plan (docs/solver.md, "Status")."""

    OPTIMAL = "OPTIMAL"  # proven minimum-cost plan (bound_paise == objective_paise)
    FEASIBLE = "FEASIBLE"  # valid plan, optimality not proven (search cut short, or a baseline)
    HEURISTIC_FALLBACK = "HEURISTIC_FALLBACK"  # search cut short: best heuristic plan
    INFEASIBLE = "INFEASIBLE"  # proven: no valid plan exists; see `reason`
    UNSOLVED = "UNSOLVED"  # the limit was hit before any plan was found or ruled out

    def __str__(self) -> str:  # "OPTIMAL", not "PlanStatus.OPTIMAL", when stored
        return self.value


@dataclass
class Costs:
    """Cost breakdown by term, integer paise."""

    shipping: int = 0
    cod: int = 0
    handling: int = 0
    split: int = 0
    lateness: int = 0
    preference: int = 0
    lookahead: int = 0
    distance: int = 0
    penalty: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, t) for t in COST_TERMS)

    def to_dict(self) -> dict[str, int]:
        d = {t: int(getattr(self, t)) for t in COST_TERMS}
        d["total"] = int(self.total)
        return d


@dataclass
class PlannedShipment:
    """One parcel of a plan: the lines a node sends with one carrier, with its weights and costs
    (the solver's proposal; the services turn it into a `domain.Shipment` when they reserve it)."""

    node: str
    carrier: str
    zone: str
    lines: dict[str, int]
    actual_weight_g: int
    billed_weight_g: int
    slabs: int
    sla_days: int
    value_paise: int
    costs: Costs

    @property
    def total_paise(self) -> int:
        return self.costs.total

    def to_dict(self) -> ShipmentDict:
        return {
            "node": self.node,
            "carrier": self.carrier,
            "zone": self.zone,
            "lines": dict(self.lines),
            "actual_weight_g": int(self.actual_weight_g),
            "billed_weight_g": int(self.billed_weight_g),
            "slabs": int(self.slabs),
            "sla_days": int(self.sla_days),
            "value_paise": int(self.value_paise),
            "costs": self.costs.to_dict(),
        }


@dataclass
class NodeExplanation:
    """Why one candidate node is or is not in the plan (docs/solver.md, "Explanations").

    code: used | forbidden | over_capacity | no_stock | no_serviceable_carrier
          | misses_sla | costlier | cheaper | unusable | not_priced
    For `costlier` and `cheaper`, `extra_cost_paise` is (cost of the best plan found that
    uses this node) - (cost of the chosen plan); `exact` says whether that comparison plan is
    provably the cheapest one using the node (otherwise a costlier amount is a lower bound,
    or the extra cost of shipping everything from the node, as the text says).
    """

    node: str
    code: str
    text: str
    extra_cost_paise: int | None = None
    exact: bool = False

    def to_dict(self) -> ExplanationDict:
        d: ExplanationDict = {"node": self.node, "code": self.code, "text": self.text}
        if self.code in ("costlier", "cheaper"):
            d["extra_cost_paise"] = None if self.extra_cost_paise is None else int(self.extra_cost_paise)
            d["exact"] = self.exact
        return d


@dataclass
class Alternative:
    """A reference plan shown next to the chosen one (e.g. best single
    shipment, nearest node)."""

    name: str
    nodes: list[str]
    cost_paise: int | None
    text: str

    def to_dict(self) -> AlternativeDict:
        return {
            "name": self.name,
            "nodes": list(self.nodes),
            "cost_paise": None if self.cost_paise is None else int(self.cost_paise),
            "text": self.text,
        }


@dataclass
class Plan:
    order_id: str
    strategy: str
    status: PlanStatus
    shipments: list[PlannedShipment] = field(default_factory=list)
    unfilled: dict[str, int] = field(default_factory=dict)
    unfilled_paise: int = 0
    objective_paise: int | None = None
    bound_paise: int | None = None
    reason: str | None = None
    solve_ms: float = 0.0
    method: str = ""
    explanation: list[NodeExplanation] = field(default_factory=list)
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def costs(self) -> Costs:
        total = Costs()
        for s in self.shipments:
            for t in COST_TERMS:
                setattr(total, t, getattr(total, t) + getattr(s.costs, t))
        return total

    @property
    def is_feasible(self) -> bool:
        """True when the plan is a valid plan (possibly one that ships nothing)."""
        return self.status not in (PlanStatus.INFEASIBLE, PlanStatus.UNSOLVED)

    def to_dict(self, include_timing: bool = False) -> PlanDict:
        """Plain JSON-able data. Solve time is excluded unless asked for, so
        the same input always gives an identical dict."""
        d: PlanDict = {
            "order_id": self.order_id,
            "strategy": self.strategy,
            "status": self.status.value,
            "method": self.method,
            "reason": self.reason,
            "objective_paise": None if self.objective_paise is None else int(self.objective_paise),
            "bound_paise": None if self.bound_paise is None else int(self.bound_paise),
            "costs": {**self.costs.to_dict(), "unfilled": int(self.unfilled_paise)},
            "shipments": [s.to_dict() for s in self.shipments],
            "unfilled": {k: int(v) for k, v in self.unfilled.items()},
            "explanation": [e.to_dict() for e in self.explanation],
            "alternatives": [a.to_dict() for a in self.alternatives],
        }
        d["costs"]["total"] = d["costs"]["total"] + d["costs"]["unfilled"]
        if include_timing:
            d["solve_ms"] = round(self.solve_ms, 3)
        return d

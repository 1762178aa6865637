"""Where a customer return should go, and with which reverse carrier.

Pure: the service layer prices each reverse lane (node <- customer PIN) and
states each candidate node's stock and target; this module picks one
(node, carrier) pair for the return parcel and explains why. A return is one
reverse pickup, so the decision is a single assignment over
nodes x reverse carriers, and full enumeration is exact (a few dozen pairs):

    minimise   reverse freight + node handling - restock value
    over       eligible (node, carrier) pairs

Eligibility follows the return reason:

* ``needs_repair`` (damaged / defective): only nodes that accept returns *and*
  can refurbish or repair; restock value is 0 (the units are not sellable yet).
* otherwise, first choice: nodes that accept returns, stock (carry) one of the
  returned SKUs and are short of it (stock below target). Restock value per
  unit that fills the shortage is ``unit value * restock_value_pct / 100``.
* otherwise (no node is short): the nearest node that accepts returns, with
  its cheapest reverse carrier.

Ties break on distance, then node code, then carrier code, so answers are
deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RULE_REPAIR = "repair"
RULE_SHORTAGE = "shortage"
RULE_NEAREST = "nearest"


def _rupees(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    paise = abs(paise)
    return f"{sign}Rs {paise // 100}.{paise % 100:02d}"


@dataclass(frozen=True)
class Item:
    sku: str
    qty: int
    unit_value_paise: int


@dataclass
class Candidate:
    code: str
    distance_km: float
    accepts_returns: bool = True
    can_repair: bool = False
    handling_paise: int = 0
    stock: dict[str, int] = field(default_factory=dict)    # SKUs the node carries -> units it has
    target: dict[str, int] = field(default_factory=dict)   # SKU -> stock level the node aims for
    lanes: list[tuple[str, int, int | None]] = field(default_factory=list)  # (carrier, freight paise, sla days)


@dataclass(frozen=True)
class Option:
    """One (node, carrier) pair as priced: what the explanation lists."""

    node: str
    carrier: str | None
    freight_paise: int
    handling_paise: int
    restock_value_paise: int
    objective_paise: int
    distance_km: float
    eligible: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "carrier": self.carrier, "freight_paise": self.freight_paise,
                "handling_paise": self.handling_paise, "restock_value_paise": self.restock_value_paise,
                "objective_paise": self.objective_paise, "distance_km": round(self.distance_km, 1),
                "eligible": self.eligible, "reason": self.reason}


@dataclass
class Destination:
    """The answer: status, the chosen pair (None when infeasible), the rule used and why."""

    status: str                     # OPTIMAL | INFEASIBLE
    node: str | None = None
    carrier: str | None = None
    rule: str | None = None
    freight_paise: int = 0
    handling_paise: int = 0
    restock_value_paise: int = 0
    objective_paise: int = 0
    sla_days: int | None = None
    why: str = ""
    options: list[Option] = field(default_factory=list)

    @property
    def reverse_cost_paise(self) -> int:
        return self.freight_paise + self.handling_paise

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "node": self.node, "carrier": self.carrier, "rule": self.rule,
                "freight_paise": self.freight_paise, "handling_paise": self.handling_paise,
                "restock_value_paise": self.restock_value_paise, "objective_paise": self.objective_paise,
                "sla_days": self.sla_days, "why": self.why, "options": [o.to_dict() for o in self.options]}


@dataclass
class ReturnDestinationProblem:
    """Build with ``add_item`` / ``add_node``; ``solve()`` returns a ``Destination``."""

    needs_repair: bool = False
    restock_value_pct: int = 10
    items: list[Item] = field(default_factory=list)
    candidates: dict[str, Candidate] = field(default_factory=dict)

    def add_item(self, sku: str, qty: int, unit_value_paise: int) -> None:
        if qty <= 0 or unit_value_paise < 0:
            raise ValueError(f"item {sku}: qty must be positive and value non-negative")
        self.items.append(Item(sku, qty, unit_value_paise))

    def add_node(self, code: str, distance_km: float, *, accepts_returns: bool = True, can_repair: bool = False,
                 handling_paise: int = 0, stock: dict[str, int] | None = None,
                 target: dict[str, int] | None = None) -> Candidate:
        if code in self.candidates:
            raise ValueError(f"node {code} added twice")
        cand = Candidate(code, float(distance_km), accepts_returns, can_repair, int(handling_paise),
                         dict(stock or {}), dict(target or {}))
        self.candidates[code] = cand
        return cand

    def add_lane(self, node: str, carrier: str, freight_paise: int, sla_days: int | None = None) -> None:
        if freight_paise < 0:
            raise ValueError("freight must be non-negative")
        self.candidates[node].lanes.append((carrier, int(freight_paise), sla_days))

    # ------------------------------------------------------------------ solve
    def shortage(self, cand: Candidate) -> dict[str, int]:
        """Units of each returned SKU the node is short of (carried SKUs below target only)."""
        out = {}
        for item in self.items:
            if item.sku in cand.stock:
                gap = cand.target.get(item.sku, 0) - cand.stock[item.sku]
                if gap > 0:
                    out[item.sku] = gap
        return out

    def restock_value(self, cand: Candidate) -> int:
        if self.needs_repair:
            return 0
        short = self.shortage(cand)
        total = 0
        for item in self.items:
            fills = min(item.qty, short.get(item.sku, 0))
            total += (fills * item.unit_value_paise * self.restock_value_pct + 50) // 100
        return total

    def _why_not(self, cand: Candidate, rule: str) -> str | None:
        if not cand.accepts_returns:
            return "does not accept returns"
        if not cand.lanes:
            return "no carrier does reverse pickup from the customer's PIN to this node"
        if rule == RULE_REPAIR and not cand.can_repair:
            return "cannot refurbish or repair (needed for damaged/defective items)"
        if rule == RULE_SHORTAGE:
            if not any(item.sku in cand.stock for item in self.items):
                return "does not stock the returned SKU(s)"
            if not self.shortage(cand):
                return "stocks the SKU(s) but is not short of them"
        return None

    def _options(self, rule: str) -> list[Option]:
        out = []
        for cand in sorted(self.candidates.values(), key=lambda c: (c.distance_km, c.code)):
            reason = self._why_not(cand, rule)
            value = self.restock_value(cand) if rule == RULE_SHORTAGE else 0
            # A node without a lane is still listed (no carrier, no freight).
            lanes: list[tuple[str | None, int, int | None]] = [*sorted(cand.lanes, key=lambda l: (l[1], l[0]))] or [(None, 0, None)]
            for carrier, freight, _sla in lanes:
                objective = freight + cand.handling_paise - value
                out.append(Option(cand.code, carrier, freight, cand.handling_paise, value, objective,
                                  cand.distance_km, reason is None, reason or ""))
        return out

    def solve(self) -> Destination:
        if not self.items:
            return Destination("INFEASIBLE", why="nothing to return")
        rules = [RULE_REPAIR] if self.needs_repair else [RULE_SHORTAGE, RULE_NEAREST]
        for rule in rules:
            options = self._options(rule)
            eligible = [o for o in options if o.eligible]
            if not eligible:
                continue
            if rule == RULE_NEAREST:
                nearest = min(eligible, key=lambda o: (o.distance_km, o.node)).node
                pool = [o for o in eligible if o.node == nearest]
            else:
                pool = eligible
            best = min(pool, key=lambda o: (o.objective_paise, o.distance_km, o.node, o.carrier or ""))
            sla = next(s for c, f, s in self.candidates[best.node].lanes if c == best.carrier)
            return Destination("OPTIMAL", best.node, best.carrier, rule, best.freight_paise, best.handling_paise,
                               best.restock_value_paise, best.objective_paise, sla,
                               self._explain(rule, best, eligible), self._ranked(options, best))
        detail = ("no node that can refurbish or repair is reachable by a reverse carrier" if self.needs_repair
                  else "no node that accepts returns is reachable by a reverse carrier")
        return Destination("INFEASIBLE", why=detail, options=self._ranked(self._options(rules[-1]), None))

    @staticmethod
    def _ranked(options: list[Option], best: Option | None) -> list[Option]:
        ranked = sorted(options, key=lambda o: (not o.eligible, o.objective_paise, o.distance_km, o.node,
                                                o.carrier or ""))
        if best is not None:
            ranked.remove(best)
            ranked.insert(0, best)
        return ranked[:12]

    def _explain(self, rule: str, best: Option, eligible: list[Option]) -> str:
        cost = f"reverse freight {_rupees(best.freight_paise)} via {best.carrier} + handling {_rupees(best.handling_paise)}"
        others = sorted({o.node for o in eligible} - {best.node})
        runner = min((o for o in eligible if o.node != best.node), key=lambda o: o.objective_paise, default=None)
        versus = (f"; next best {runner.node} at {_rupees(runner.objective_paise)}" if runner is not None else "")
        if rule == RULE_REPAIR:
            return (f"{best.node}: damaged/defective items go to a node that can refurbish or repair; "
                    f"{best.node} is the cheapest of {len(others) + 1} such node(s): {cost} = "
                    f"{_rupees(best.objective_paise)}{versus}")
        if rule == RULE_SHORTAGE:
            cand = self.candidates[best.node]
            gaps = ", ".join(f"{sku} {cand.stock[sku]}/{cand.target.get(sku, 0)}"
                             for sku, _gap in sorted(self.shortage(cand).items()))
            return (f"{best.node}: stocks the returned SKU and is short of it (on hand/target: {gaps}); "
                    f"{cost} - restock value {_rupees(best.restock_value_paise)} = net "
                    f"{_rupees(best.objective_paise)}, the lowest of {len(others) + 1} short node(s){versus}")
        return (f"{best.node}: no node that stocks the returned SKU is short of it, so the return goes to the "
                f"nearest node that accepts returns ({best.distance_km:.0f} km); {cost}")

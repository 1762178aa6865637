"""One solve of an order, as kept: the strategy, the plan's status, cost and bound, and the plan itself.

Every allocation (and every re-solve after a rejection or a conflict) is kept,
so "why did this order go there" can be answered later from the plan and its
explanation. Money is integer paise.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Allocation:
    id: int
    order_id: str | None
    created_at: datetime
    strategy: str
    status: str                          # the plan's status: OPTIMAL, FEASIBLE, INFEASIBLE, ...
    objective_paise: int | None
    bound_paise: int | None
    solve_ms: float | None
    plan: dict[str, Any]                 # the plan as JSON: shipments, unfilled units, explanation

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (the plan not copied)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

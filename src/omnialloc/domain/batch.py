"""The nightly batch's plans: a run (PLANNED -> APPLYING -> APPLIED) and one move per order it re-plans.

A move records what the order was planned against (``old``: its version,
status and live shipments with their versions: the optimistic check before
applying) and what it becomes (``new``: the shipments to create, each
{node, carrier, lines {line_no: qty}, cost_paise, zone, sla_days}). Its
``state`` is PENDING, APPLIED (in the order's own transaction) or SKIPPED
with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

RUN_STATUSES = ("PLANNED", "APPLYING", "APPLIED")
MOVE_STATES = ("PENDING", "APPLIED", "SKIPPED")


@dataclass(frozen=True)
class BatchMove:
    run_id: str
    order_id: str
    seq: int                      # apply order within the run
    old: dict[str, Any]
    new: list[dict[str, Any]]
    cost_before_paise: int
    cost_after_paise: int
    state: str = "PENDING"
    reason: str = ""
    applied_at: datetime | None = None


@dataclass(frozen=True)
class BatchRun:
    id: str
    status: str
    summary: dict[str, Any]       # the plan's before/after figures (JSON)
    created_by: str
    created_at: datetime
    applied_at: datetime | None = None

    @property
    def facts(self) -> dict[str, Any]:
        """The summary's single figures (counts, money, seconds, flags), without its nested breakdowns."""
        return {k: v for k, v in (self.summary or {}).items() if isinstance(v, (int, float, str, bool))}

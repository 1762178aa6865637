"""OMS rules as the store keeps them: the current rule with its audit fields, and each saved version.

A rule is a condition in the rule language and actions of one kind
(validation, routing, shipping, split), applied in ``priority`` order;
``omnialloc.rules`` compiles and evaluates it. Every save bumps ``version``
and keeps a ``RuleVersion`` snapshot; a deleted rule keeps its row
(``deleted_at``) so its history stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KINDS = ("validation", "routing", "shipping", "split")


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    kind: str
    condition: str
    priority: int
    enabled: bool
    stop_processing: bool
    version: int
    created_by: str
    updated_by: str
    actions: list[dict[str, Any]] = field(default_factory=list)     # action dicts as saved ({"type": ..., params})
    description: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class RuleVersion:
    version: int
    change: str                  # created | updated | enabled | disabled | reordered | deleted
    snapshot: dict[str, Any]     # the rule as it was saved
    changed_by: str
    changed_at: datetime

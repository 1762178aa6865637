"""What a rule is, and the catalogue of codes a rule may name.

A rule = name, kind, condition, actions, priority, enabled, stop_processing,
version, created/updated by. Priority orders evaluation: the *lowest* number
runs first and, when two rules want different things, wins (ties broken by
rule id, so the outcome never depends on load order).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RuleKind(StrEnum):
    VALIDATION = "validation"   # at capture: priority, tags, hold, cancel
    ROUTING = "routing"         # at allocation: which nodes, preferences, distance
    SHIPPING = "shipping"       # at allocation: which carriers
    SPLIT = "split"             # at allocation: how many shipments, what stays together


ALLOCATION_KINDS = (RuleKind.ROUTING, RuleKind.SHIPPING, RuleKind.SPLIT)


@dataclass
class RuleSpec:
    """A rule as stored: plain data, not yet compiled."""

    id: int | None
    name: str
    kind: str
    condition: str
    actions: list[dict[str, Any]]
    priority: int = 100
    enabled: bool = True
    stop_processing: bool = False
    description: str = ""
    version: int = 1
    created_by: str = ""
    updated_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class NodeInfo:
    code: str
    kind: str
    groups: frozenset[str] = frozenset()
    active: bool = True


@dataclass
class Catalog:
    """The codes rules may refer to, read from the store when rules are compiled.

    ``skus``/``categories`` are optional: when None they are not checked.
    """

    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    carriers: set[str] = field(default_factory=set)
    skus: set[str] | None = None
    categories: set[str] | None = None

    @property
    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for code in sorted(self.nodes):
            for g in self.nodes[code].groups:
                out.setdefault(g, []).append(code)
        return dict(sorted(out.items()))

    @property
    def kinds(self) -> set[str]:
        from omnialloc.domain.enums import NodeKind

        return {k.value for k in NodeKind}

    def expand(self, nodes: Iterable[str] = (), groups: Iterable[str] = (), kinds: Iterable[str] = ()) -> list[str]:
        """Node codes named directly, through a group, or through a kind, sorted, known ones only
        (remembered per selection: a rule's selection is expanded for every order it fires on)."""
        nodes, groups, kinds = tuple(nodes), tuple(groups), tuple(kinds)
        key = (nodes, groups, kinds)
        memo: dict[tuple[tuple[str, ...], ...], list[str]] = self.__dict__.setdefault("_expanded", {})
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = self._expand(nodes, groups, kinds)
        return list(hit)

    def _expand(self, nodes: Iterable[str], groups: Iterable[str], kinds: Iterable[str]) -> list[str]:
        wanted = set(nodes) & set(self.nodes)
        gs, ks = set(groups), set(kinds)
        for code, info in self.nodes.items():
            if info.groups & gs or info.kind in ks:
                wanted.add(code)
        return sorted(wanted)

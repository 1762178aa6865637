"""Compile rules and evaluate a rule set against one order's facts.

Conflict resolution, in one sentence: rules run in priority order (lowest
number first, then rule id), and the first rule to decide a thing (a node's
eligibility, a node's bonus, a carrier's eligibility, the maximum distance, the
shipment limit, the order's status, its priority, ...) keeps it; later rules
that want something else for that same thing are recorded as *overridden by*
the winner. Tags and keep-together groups add up. ``stop_processing`` on a
rule that fires skips the remaining rules of the same kind.

The result of the allocation-time kinds (routing, shipping, split) is a
`RoutingOutcome`: eligibility constraints and objective bonuses for the
solver, never a filter applied to a finished plan. The result of validation is
a `ValidationOutcome`: status, reason, priority and tags for the order.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field
from functools import cached_property
from collections.abc import Iterator
from typing import Any

from omnialloc.rules.actions import FRAUD_TAG, Action, check_actions
from omnialloc.rules.conditions import CompiledCondition, ConditionInvalid, compile_condition
from omnialloc.rules.errors import InvalidRule, RuleProblem
from omnialloc.rules.facts import Facts
from omnialloc.rules.index import RuleIndex
from omnialloc.rules.model import ALLOCATION_KINDS, Catalog, RuleKind, RuleSpec

log = logging.getLogger(__name__)

MAX_NAME = 100


@dataclass(frozen=True)
class CompiledRule:
    id: int | None
    name: str
    kind: RuleKind
    priority: int
    version: int
    stop_processing: bool
    enabled: bool
    condition: CompiledCondition
    actions: tuple[Action, ...]

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.priority, self.id if self.id is not None else 0, self.name)

    @cached_property
    def label(self) -> str:
        ident = f"#{self.id} " if self.id is not None else ""
        return f"rule {ident}{self.name!r}"

    def ref(self) -> dict[str, Any]:
        """Which rule (for results; one dict per rule, shared: read it, do not change it)."""
        return self._ref

    @cached_property
    def _ref(self) -> dict[str, Any]:
        return {"rule_id": self.id, "name": self.name, "kind": str(self.kind), "priority": self.priority,
                "version": self.version}


def compile_rule(spec: RuleSpec, catalog: Catalog | None) -> CompiledRule:
    """Check everything about ``spec``; raise `InvalidRule` listing every problem found.

    ``catalog`` None skips the existence check of codes (used when loading rules
    that were checked when saved: a node removed since just matches nothing).
    """
    problems: list[RuleProblem] = []
    name = spec.name.strip() if isinstance(spec.name, str) else ""
    if not name:
        problems.append(RuleProblem("name", "give the rule a name"))
    elif len(name) > MAX_NAME:
        problems.append(RuleProblem("name", f"is {len(name)} characters; at most {MAX_NAME}"))
    kinds = [k.value for k in RuleKind]
    kind = None
    if spec.kind in kinds:
        kind = RuleKind(spec.kind)
    else:
        close = difflib.get_close_matches(str(spec.kind), kinds, n=1, cutoff=0.5)
        problems.append(RuleProblem("kind", f"unknown kind {spec.kind!r}; one of: {', '.join(kinds)}",
                                    suggestion=close[0] if close else None))
    if isinstance(spec.priority, bool) or not isinstance(spec.priority, int) or not 0 <= spec.priority <= 1_000_000:
        problems.append(RuleProblem("priority", f"must be a whole number from 0 to 1000000, got {spec.priority!r} "
                                                "(lower runs first and wins conflicts)"))
    condition = None
    try:
        condition = compile_condition(spec.condition)
    except ConditionInvalid as exc:
        problems.append(exc.problem)
    actions: list[Action] = []
    if kind is not None:
        actions, found = check_actions(kind, spec.actions, catalog)
        problems.extend(found)
    if problems or kind is None or condition is None:  # (no problems means both were made)
        raise InvalidRule(problems, name or None)
    return CompiledRule(id=spec.id, name=name, kind=kind, priority=spec.priority, version=spec.version,
                        stop_processing=bool(spec.stop_processing), enabled=bool(spec.enabled),
                        condition=condition, actions=tuple(actions))


# ------------------------------------------------------------------ outcomes
@dataclass
class ValidationOutcome:
    status: str = "VALIDATED"               # VALIDATED | ON_HOLD | CANCELLED
    reason: str = "passed validation"
    priority: int | None = None             # new priority, if a rule set one
    tags: list[str] = field(default_factory=list)   # tags to add
    fired: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    decided_by: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "priority": self.priority, "tags": list(self.tags),
                "fired": self.fired, "errors": self.errors, "decided_by": self.decided_by}


@dataclass
class RoutingOutcome:
    forbidden_nodes: dict[str, str] = field(default_factory=dict)
    node_bonus: dict[str, int] = field(default_factory=dict)
    max_distance_km: float | None = None
    forbidden_carriers: dict[str, str] = field(default_factory=dict)
    carrier_bonus: dict[str, int] = field(default_factory=dict)
    max_shipments: int | None = None
    keep_together: list[set[str]] = field(default_factory=list)
    min_shipment_value_paise: int = 0
    deliver_within: tuple[int, bool, int] | None = None   # (days, strict, late penalty paise per day)
    express: bool = False                                  # the carriers' express service (issue 24)
    promise_days: int | None = None                        # the order's promise when its request names none
    # (node, sku) -> the protection this order may not take: (units, percent, min_priority, rule label)
    protected: dict[tuple[str, str], tuple[int, int, int, str]] = field(default_factory=dict)
    fired: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    decided_by: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.fired and not self.errors

    def constraints(self) -> dict[str, Any]:
        return {
            "forbidden_nodes": dict(sorted(self.forbidden_nodes.items())),
            "node_bonus_paise": dict(sorted(self.node_bonus.items())),
            "max_distance_km": self.max_distance_km,
            "forbidden_carriers": dict(sorted(self.forbidden_carriers.items())),
            "carrier_bonus_paise": dict(sorted(self.carrier_bonus.items())),
            "max_shipments": self.max_shipments,
            "keep_together": [sorted(g, key=int) for g in self.keep_together],
            "min_shipment_value_paise": self.min_shipment_value_paise,
            "deliver_within": None if self.deliver_within is None else dict(zip(
                ("days", "strict", "late_penalty_paise"), self.deliver_within)),
            "express": self.express, "promise_days": self.promise_days,
            "protected_stock": [{"node": n, "sku": k, "units": u, "percent": pc, "min_priority": mp, "rule": label}
                                for (n, k), (u, pc, mp, label) in sorted(self.protected.items())],
        }

    def to_dict(self) -> dict[str, Any]:
        return {"constraints": self.constraints(), "fired": self.fired, "errors": self.errors,
                "decided_by": self.decided_by}


class _Claims:
    """First writer wins, per key; later writers learn who beat them."""

    def __init__(self) -> None:
        self.won: dict[tuple[Any, ...], tuple[Any, CompiledRule]] = {}

    def claim(self, key: tuple[Any, ...], value: Any, rule: CompiledRule) -> CompiledRule | None:
        held = self.won.get(key)
        if held is None:
            self.won[key] = (value, rule)
            return None
        return held[1] if held[1] is not rule else None

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        held = self.won.get(key)
        return default if held is None else held[0]

    def items(self, kind: str) -> Iterator[tuple[tuple[Any, ...], Any, CompiledRule]]:
        for key, (value, rule) in self.won.items():
            if key[0] == kind:
                yield key, value, rule


class _Effect:
    def __init__(self, action: Action):
        self.action = action
        self.applied: list[str] = []
        self.overridden: dict[str, str] = {}
        self.note: str | None = None

    def claim(self, claims: _Claims, key: tuple[Any, ...], value: Any, rule: CompiledRule, what: str) -> bool:
        winner = claims.claim(key, value, rule)
        if winner is None:
            self.applied.append(what)
            return True
        self.overridden[what] = winner.label
        return False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action.to_dict(), "applied": self.applied}
        if self.overridden:
            out["overridden_by"] = self.overridden
        if self.note:
            out["note"] = self.note
        return out


# ------------------------------------------------------------------ the rule set
class RuleSet:
    """Compiled, enabled rules ordered for evaluation; immutable, shared between threads.

    Rules are indexed on the facts their conditions require (`rules.index`): an order only evaluates
    the rules that can match it, in the same order as without the index."""

    def __init__(self, rules: list[CompiledRule], version: int = 0):
        self.version = version
        ordered = sorted((r for r in rules if r.enabled), key=lambda r: r.sort_key)
        self.by_kind: dict[RuleKind, tuple[CompiledRule, ...]] = {
            k: tuple(r for r in ordered if r.kind == k) for k in RuleKind}
        self.size = len(ordered)
        self.index = {k: RuleIndex(rules) for k, rules in self.by_kind.items()}

    def candidates(self, kind: RuleKind, facts: Facts) -> tuple[CompiledRule, ...] | list[CompiledRule]:
        """The rules of ``kind`` that can match ``facts``, in evaluation order."""
        return self.index[kind].candidates(facts)

    def _matching(self, kind: RuleKind, facts: Facts, errors: list[dict[str, Any]]) -> Iterator[CompiledRule]:
        for rule in self.index[kind].candidates(facts):
            try:
                hit = rule.condition.matches(facts)
            except Exception as exc:  # a rule must never break capture or allocation
                log.warning("%s could not be evaluated: %s", rule.label, exc)
                errors.append({**rule.ref(), "error": f"could not be evaluated: {exc}"})
                continue
            if hit:
                yield rule
                if rule.stop_processing:
                    return

    # -------------------------------------------------------------- validation
    def validate(self, facts: Facts) -> ValidationOutcome:
        out = ValidationOutcome()
        claims = _Claims()
        existing = set(facts.order.tags)
        for rule in self._matching(RuleKind.VALIDATION, facts, out.errors):
            effects = []
            for action in rule.actions:
                e = _Effect(action)
                p = action.params
                t = action.type
                if t == "set_priority":
                    e.claim(claims, ("priority",), p["priority"], rule, f"priority {p['priority']}")
                elif t == "add_tag":
                    _add_tag(out, existing, p["tag"], e)
                elif t in ("hold", "cancel"):
                    status = "ON_HOLD" if t == "hold" else "CANCELLED"
                    e.claim(claims, ("status",), (status, f"{p['reason']} ({rule.label})"), rule, status)
                elif t == "require_prepaid":
                    if facts.order.payment_mode == "COD":
                        status = "CANCELLED" if p["on_cod"] == "cancel" else "ON_HOLD"
                        reason = p["reason"] or "cash on delivery is not accepted for this order"
                        e.claim(claims, ("status",), (status, f"{reason} ({rule.label})"), rule, status)
                    else:
                        e.note = "order is prepaid: nothing to do"
                elif t == "flag_fraud":
                    _add_tag(out, existing, FRAUD_TAG, e)
                    reason = p["reason"] or "flagged for fraud review"
                    e.claim(claims, ("status",), ("ON_HOLD", f"{reason} ({rule.label})"), rule, "ON_HOLD")
                effects.append(e.to_dict())
            out.fired.append({**rule.ref(), "effects": effects})
        status = claims.get(("status",))
        if status is not None:
            out.status, out.reason = status
            out.decided_by["status"] = claims.won[("status",)][1].ref()
        elif out.fired:
            out.reason = "passed validation (" + ", ".join(f["name"] for f in out.fired) + " fired)"
        if ("priority",) in claims.won:
            out.priority = claims.get(("priority",))
            out.decided_by["priority"] = claims.won[("priority",)][1].ref()
        return out

    # -------------------------------------------------------------- routing, shipping, split
    def route(self, facts: Facts, catalog: Catalog) -> RoutingOutcome:
        out = RoutingOutcome()
        claims = _Claims()
        groups: list[tuple[set[str], CompiledRule]] = []
        for kind in ALLOCATION_KINDS:
            for rule in self._matching(kind, facts, out.errors):
                effects = [_apply_allocation(rule, a, facts, catalog, claims, groups).to_dict() for a in rule.actions]
                out.fired.append({**rule.ref(), "effects": effects})
        for (_, code), (verdict, reason), rule in claims.items("node"):
            if verdict == "forbid":
                out.forbidden_nodes[code] = reason
            out.decided_by[f"node:{code}"] = rule.ref()
        for (_, code), bonus, rule in claims.items("node_bonus"):
            out.node_bonus[code] = bonus
            out.decided_by[f"node_bonus:{code}"] = rule.ref()
        for (_, code), (verdict, reason), rule in claims.items("carrier"):
            if verdict == "forbid":
                out.forbidden_carriers[code] = reason
            out.decided_by[f"carrier:{code}"] = rule.ref()
        for (_, code), bonus, rule in claims.items("carrier_bonus"):
            out.carrier_bonus[code] = bonus
            out.decided_by[f"carrier_bonus:{code}"] = rule.ref()
        for (_, code, sku), (exempt, units, percent, min_priority), rule in claims.items("protect"):
            if not exempt:
                out.protected[(code, sku)] = (units, percent, min_priority, rule.label)
            out.decided_by[f"protect:{code}:{sku}"] = rule.ref()
        for key, attr in ((("max_distance",), "max_distance_km"), (("max_shipments",), "max_shipments"),
                          (("deliver_within",), "deliver_within"), (("express",), "express"),
                          (("promise_days",), "promise_days"),
                          (("min_value",), "min_shipment_value_paise")):
            if key in claims.won:
                setattr(out, attr, claims.get(key))
                out.decided_by[key[0]] = claims.won[key][1].ref()
        out.keep_together = _merge([g for g, _ in groups])
        return out


def _add_tag(out: ValidationOutcome, existing: set[str], tag: str, e: _Effect) -> None:
    if tag in existing or tag in out.tags:
        e.note = f"already tagged {tag!r}"
        return
    out.tags.append(tag)
    e.applied.append(f"tag {tag}")


def _apply_allocation(rule: CompiledRule, action: Action, facts: Facts, catalog: Catalog, claims: _Claims,
                      groups: list[tuple[set[str], CompiledRule]]) -> _Effect:
    e = _Effect(action)
    p, t = action.params, action.type
    if t == "only_nodes":
        allowed = catalog.expand(p["nodes"], p["groups"], p["kinds"])
        reason = f"not among the nodes {rule.label} allows ({', '.join(allowed) or 'none'})"
        for code in sorted(catalog.nodes):
            verdict = ("allow", None) if code in allowed else ("forbid", reason)
            e.claim(claims, ("node", code), verdict, rule, f"{verdict[0]} {code}")
    elif t == "exclude_nodes":
        reason = f"{p['reason'] or 'excluded'} ({rule.label})"
        for code in catalog.expand(p["nodes"], p["groups"], p["kinds"]):
            e.claim(claims, ("node", code), ("forbid", reason), rule, f"forbid {code}")
    elif t == "ship_from_store":
        stores = catalog.expand(kinds=["store"])
        verdict = ("allow", None) if p["allowed"] else ("forbid", f"ship-from-store is off ({rule.label})")
        for code in stores:
            e.claim(claims, ("node", code), verdict, rule, f"{verdict[0]} {code}")
        if not stores:
            e.note = "there are no stores"
    elif t == "prefer_nodes":
        for code in catalog.expand(p["nodes"], p["groups"], p["kinds"]):
            e.claim(claims, ("node_bonus", code), p["bonus_paise"], rule, f"bonus {p['bonus_paise']} at {code}")
    elif t == "prefer_nodes_in_order":
        ranked = [c for c in p["nodes"] if c in catalog.nodes]
        for i, code in enumerate(ranked):
            bonus = p["step_paise"] * (len(ranked) - i)
            e.claim(claims, ("node_bonus", code), bonus, rule, f"bonus {bonus} at {code}")
    elif t == "deliver_within":
        how = "strictly" if p["strict"] else f"or {p['late_penalty_paise']} paise per late day"
        e.claim(claims, ("deliver_within",), (p["days"], p["strict"], p["late_penalty_paise"]), rule,
                f"within {p['days']} day(s), {how}")
    elif t == "express":
        e.claim(claims, ("express",), True, rule, "express service")
    elif t == "promise_days":
        e.claim(claims, ("promise_days",), p["days"], rule, f"promise {p['days']} day(s)")
    elif t == "protect_stock":
        _protect(rule, p, facts, catalog, claims, e)
    elif t == "max_distance":
        e.claim(claims, ("max_distance",), float(p["km"]), rule, f"max {p['km']:g} km")
    elif t in ("allow_carriers", "force_carrier"):
        carriers = set(p["carriers"]) if t == "allow_carriers" else {p["carrier"]}
        reason = f"not among the carriers {rule.label} allows ({', '.join(sorted(carriers))})"
        for code in sorted(catalog.carriers):
            verdict = ("allow", None) if code in carriers else ("forbid", reason)
            e.claim(claims, ("carrier", code), verdict, rule, f"{verdict[0]} {code}")
    elif t == "deny_carriers":
        reason = f"{p['reason'] or 'denied'} ({rule.label})"
        for code in p["carriers"]:
            e.claim(claims, ("carrier", code), ("forbid", reason), rule, f"forbid {code}")
    elif t == "prefer_carriers":
        for code in p["carriers"]:
            e.claim(claims, ("carrier_bonus", code), p["bonus_paise"], rule, f"bonus {p['bonus_paise']} on {code}")
    elif t in ("no_split", "max_shipments"):
        k = 1 if t == "no_split" else p["count"]
        e.claim(claims, ("max_shipments",), k, rule, f"at most {k} shipment(s)")
    elif t == "min_shipment_value":
        e.claim(claims, ("min_value",), p["paise"], rule, f"min {p['paise']} paise per shipment")
    elif t == "keep_together":
        skus, cats = set(p["skus"]), set(p["categories"])
        lines = {str(line.line_no) for line in facts.lines if line.sku in skus or line.category in cats}
        if len(lines) >= 2:
            groups.append((lines, rule))
            e.applied.append("keep lines " + ", ".join(sorted(lines, key=int)) + " together")
        else:
            e.note = "fewer than two lines of this order match: nothing to keep together"
    return e


def _protect(rule: CompiledRule, p: dict[str, Any], facts: Facts, catalog: Catalog, claims: _Claims, e: _Effect) -> None:
    """Per (node, SKU of this order) the first rule to protect it decides; an order at or above its
    ``min_priority`` is exempt (and still decided, so a later rule cannot protect the stock from it)."""
    selected = p["nodes"] or p["groups"] or p["kinds"]
    nodes = catalog.expand(p["nodes"], p["groups"], p["kinds"]) if selected else sorted(catalog.nodes)
    skus, cats = set(p["skus"]), set(p["categories"])
    wanted = sorted({line.sku for line in facts.lines
                     if (not skus and not cats) or line.sku in skus or line.category in cats})
    exempt = facts.order.priority >= p["min_priority"]
    value = (exempt, p["units"], p["percent"], p["min_priority"])
    what = f"{p['units']} unit(s)" + (f" + {p['percent']}%" if p["percent"] else "") \
        if p["units"] else f"{p['percent']}%"
    for code in nodes:
        for sku in wanted:
            verb = "may take" if exempt else "hold back"
            e.claim(claims, ("protect", code, sku), value, rule, f"{verb} {what} of {sku} at {code}")
    if exempt:
        e.note = f"priority {facts.order.priority} >= {p['min_priority']}: this order may take the protected stock"
    elif not wanted:
        e.note = "no line of this order has a protected SKU"


def _merge(groups: list[set[str]]) -> list[set[str]]:
    """Keep-together is transitive: overlapping groups become one."""
    merged: list[set[str]] = []
    for g in groups:
        g = set(g)
        rest = []
        for m in merged:
            if m & g:
                g |= m
            else:
                rest.append(m)
        merged = rest + [g]
    return sorted(merged, key=lambda s: min(int(x) for x in s))

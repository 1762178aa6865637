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
        # routing, shipping and split rules in one index (kind by kind, in evaluation order): an order's
        # facts are read once for the three kinds `route` evaluates
        self._allocation = RuleIndex(tuple(r for k in ALLOCATION_KINDS for r in self.by_kind[k]))
        # per catalogue: id(action) -> its `_Plan` (the rules are held here, so their actions' ids are stable)
        self._plans: dict[int, tuple[Catalog, dict[int, _Plan]]] = {}
        self._validation_plans: dict[tuple[int, bool], _Plan] = {}   # (id(action), COD) -> its `_Plan`

    def _plans_for(self, catalog: Catalog) -> dict[int, _Plan]:
        held = self._plans.get(id(catalog))
        if held is None or held[0] is not catalog:
            if len(self._plans) >= 8:  # a catalogue per network reload: keep the recent ones
                self._plans.clear()
            held = self._plans[id(catalog)] = (catalog, {})
        return held[1]

    def candidates(self, kind: RuleKind, facts: Facts) -> tuple[CompiledRule, ...] | list[CompiledRule]:
        """The rules of ``kind`` that can match ``facts``, in evaluation order."""
        return self.index[kind].candidates(facts)

    def _matching(self, index: RuleIndex, facts: Facts, errors: list[dict[str, Any]]) -> list[CompiledRule]:
        """The candidates of ``index`` that match, in order; ``stop_processing`` ends its rule's kind.
        (Conditions read only the facts, so all are evaluated before any action is applied.)"""
        matched: list[CompiledRule] = []
        stopped: RuleKind | None = None
        for rule in index.candidates(facts):
            if rule.kind is stopped:
                continue
            try:
                hit = rule.condition.matches(facts)
            except Exception as exc:  # a rule must never break capture or allocation
                log.warning("%s could not be evaluated: %s", rule.label, exc)
                errors.append({**rule.ref(), "error": f"could not be evaluated: {exc}"})
                continue
            if hit:
                matched.append(rule)
                if rule.stop_processing:
                    stopped = rule.kind
        return matched

    # -------------------------------------------------------------- validation
    def validate(self, facts: Facts) -> ValidationOutcome:
        out = ValidationOutcome()
        claims = _Claims()
        seen = set(facts.order.tags)
        won = claims.won
        cod = facts.order.payment_mode == "COD"
        plans = self._validation_plans
        for rule in self._matching(self.index[RuleKind.VALIDATION], facts, out.errors):
            effects = []
            for action in rule.actions:
                t = action.type
                if t == "add_tag":
                    applied: list[str] = []
                    effect = {"action": action.to_dict(), "applied": applied}
                    note = _add_tag(out, seen, action.params["tag"], applied)
                    if note:
                        effect["note"] = note
                    effects.append(effect)
                    continue
                plan = plans.get((id(action), cod))
                if plan is None:
                    plan = plans[(id(action), cod)] = _validation_plan(rule, action, cod)
                if t == "flag_fraud":  # the tag, then the hold
                    e = _Effect(action)
                    e.note = _add_tag(out, seen, FRAUD_TAG, e.applied)
                    for key, value, what in plan[0]:
                        e.claim(claims, key, value, rule, what)
                    effects.append(e.to_dict())
                else:
                    effects.append(_apply_plan(action, plan, rule, won))
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
        won = claims.won
        groups: list[tuple[set[str], CompiledRule]] = []
        plans = self._plans_for(catalog)
        for rule in self._matching(self._allocation, facts, out.errors):
            effects = []
            for action in rule.actions:
                plan = plans.get(id(action))
                if plan is None and action.type not in _DYNAMIC:
                    plan = plans[id(action)] = _allocation_plan(rule, action, catalog)
                effects.append(_apply_dynamic(rule, action, facts, catalog, claims, groups).to_dict()
                               if plan is None else _apply_plan(action, plan, rule, won))
            out.fired.append({**rule.ref(), "effects": effects})
        by_kind: dict[str, list[tuple[tuple[Any, ...], Any, CompiledRule]]] = {
            "node": [], "node_bonus": [], "carrier": [], "carrier_bonus": [], "protect": []}
        for key, (value, rule) in won.items():  # one pass, then kind by kind as before
            held = by_kind.get(key[0])
            if held is not None:
                held.append((key, value, rule))
        for (_, code), (verdict, reason), rule in by_kind["node"]:
            if verdict == "forbid":
                out.forbidden_nodes[code] = reason
            out.decided_by[f"node:{code}"] = rule.ref()
        for (_, code), bonus, rule in by_kind["node_bonus"]:
            out.node_bonus[code] = bonus
            out.decided_by[f"node_bonus:{code}"] = rule.ref()
        for (_, code), (verdict, reason), rule in by_kind["carrier"]:
            if verdict == "forbid":
                out.forbidden_carriers[code] = reason
            out.decided_by[f"carrier:{code}"] = rule.ref()
        for (_, code), bonus, rule in by_kind["carrier_bonus"]:
            out.carrier_bonus[code] = bonus
            out.decided_by[f"carrier_bonus:{code}"] = rule.ref()
        for (_, code, sku), (exempt, units, percent, min_priority), rule in by_kind["protect"]:
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


def _validation_plan(rule: CompiledRule, action: Action, cod: bool) -> _Plan:
    """What a validation action claims (besides tags): the order's priority or status."""
    p, t = action.params, action.type
    if t == "set_priority":
        return (((("priority",), p["priority"], f"priority {p['priority']}"),), None)
    if t in ("hold", "cancel"):
        status = "ON_HOLD" if t == "hold" else "CANCELLED"
        return (((("status",), (status, f"{p['reason']} ({rule.label})"), status),), None)
    if t == "require_prepaid":
        if not cod:
            return (), "order is prepaid: nothing to do"
        status = "CANCELLED" if p["on_cod"] == "cancel" else "ON_HOLD"
        reason = p["reason"] or "cash on delivery is not accepted for this order"
        return (((("status",), (status, f"{reason} ({rule.label})"), status),), None)
    if t == "flag_fraud":
        reason = p["reason"] or "flagged for fraud review"
        return (((("status",), ("ON_HOLD", f"{reason} ({rule.label})"), "ON_HOLD"),), None)
    return (), None


def _add_tag(out: ValidationOutcome, seen: set[str], tag: str, applied: list[str]) -> str | None:
    """Tag the order unless it has the tag (``seen``: its tags and those added so far); the note if it has."""
    if tag in seen:
        return f"already tagged {tag!r}"
    seen.add(tag)
    out.tags.append(tag)
    applied.append(f"tag {tag}")
    return None


# The claims of an allocation action that does not depend on the order: ((key, value, what), ...) and a
# note. Worked out once per rule set and catalogue (`RuleSet._plans`), applied per order by `_apply_plan`.
_Plan = tuple[tuple[tuple[tuple[Any, ...], Any, str], ...], str | None]
_DYNAMIC = ("protect_stock", "keep_together")   # these read the order's lines and priority


def _allocation_plan(rule: CompiledRule, action: Action, catalog: Catalog) -> _Plan:
    """What ``action`` claims for any order (not for the `_DYNAMIC` types)."""
    p, t = action.params, action.type
    out: list[tuple[tuple[Any, ...], Any, str]] = []
    note = None
    if t == "only_nodes":
        allowed = catalog.expand(p["nodes"], p["groups"], p["kinds"])
        reason = f"not among the nodes {rule.label} allows ({', '.join(allowed) or 'none'})"
        for code in sorted(catalog.nodes):
            verdict = ("allow", None) if code in allowed else ("forbid", reason)
            out.append((("node", code), verdict, f"{verdict[0]} {code}"))
    elif t == "exclude_nodes":
        reason = f"{p['reason'] or 'excluded'} ({rule.label})"
        for code in catalog.expand(p["nodes"], p["groups"], p["kinds"]):
            out.append((("node", code), ("forbid", reason), f"forbid {code}"))
    elif t == "ship_from_store":
        stores = catalog.expand(kinds=["store"])
        verdict = ("allow", None) if p["allowed"] else ("forbid", f"ship-from-store is off ({rule.label})")
        for code in stores:
            out.append((("node", code), verdict, f"{verdict[0]} {code}"))
        if not stores:
            note = "there are no stores"
    elif t == "prefer_nodes":
        for code in catalog.expand(p["nodes"], p["groups"], p["kinds"]):
            out.append((("node_bonus", code), p["bonus_paise"], f"bonus {p['bonus_paise']} at {code}"))
    elif t == "prefer_nodes_in_order":
        ranked = [c for c in p["nodes"] if c in catalog.nodes]
        for i, code in enumerate(ranked):
            bonus = p["step_paise"] * (len(ranked) - i)
            out.append((("node_bonus", code), bonus, f"bonus {bonus} at {code}"))
    elif t == "deliver_within":
        how = "strictly" if p["strict"] else f"or {p['late_penalty_paise']} paise per late day"
        out.append((("deliver_within",), (p["days"], p["strict"], p["late_penalty_paise"]),
                    f"within {p['days']} day(s), {how}"))
    elif t == "express":
        out.append((("express",), True, "express service"))
    elif t == "promise_days":
        out.append((("promise_days",), p["days"], f"promise {p['days']} day(s)"))
    elif t == "max_distance":
        out.append((("max_distance",), float(p["km"]), f"max {p['km']:g} km"))
    elif t in ("allow_carriers", "force_carrier"):
        carriers = set(p["carriers"]) if t == "allow_carriers" else {p["carrier"]}
        reason = f"not among the carriers {rule.label} allows ({', '.join(sorted(carriers))})"
        for code in sorted(catalog.carriers):
            verdict = ("allow", None) if code in carriers else ("forbid", reason)
            out.append((("carrier", code), verdict, f"{verdict[0]} {code}"))
    elif t == "deny_carriers":
        reason = f"{p['reason'] or 'denied'} ({rule.label})"
        for code in p["carriers"]:
            out.append((("carrier", code), ("forbid", reason), f"forbid {code}"))
    elif t == "prefer_carriers":
        for code in p["carriers"]:
            out.append((("carrier_bonus", code), p["bonus_paise"], f"bonus {p['bonus_paise']} on {code}"))
    elif t in ("no_split", "max_shipments"):
        k = 1 if t == "no_split" else p["count"]
        out.append((("max_shipments",), k, f"at most {k} shipment(s)"))
    elif t == "min_shipment_value":
        out.append((("min_value",), p["paise"], f"min {p['paise']} paise per shipment"))
    return tuple(out), note


def _apply_plan(action: Action, plan: _Plan, rule: CompiledRule,
                won: dict[tuple[Any, ...], tuple[Any, CompiledRule]]) -> dict[str, Any]:
    """``plan``'s claims for ``rule`` (first writer wins, as `_Claims.claim`), as the effect's JSON."""
    applied: list[str] = []
    effect: dict[str, Any] = {"action": action.to_dict(), "applied": applied}
    for key, value, what in plan[0]:
        held = won.get(key)
        if held is None:
            won[key] = (value, rule)
            applied.append(what)
        elif held[1] is rule:
            applied.append(what)
        else:
            effect.setdefault("overridden_by", {})[what] = held[1].label
    if plan[1]:
        effect["note"] = plan[1]
    return effect


def _apply_dynamic(rule: CompiledRule, action: Action, facts: Facts, catalog: Catalog, claims: _Claims,
                   groups: list[tuple[set[str], CompiledRule]]) -> _Effect:
    """The `_DYNAMIC` actions: what they claim depends on the order."""
    e = _Effect(action)
    p, t = action.params, action.type
    if t == "protect_stock":
        _protect(rule, p, facts, catalog, claims, e)
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

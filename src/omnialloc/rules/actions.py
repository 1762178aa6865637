"""The actions a rule may take, per kind, and their checking against the catalogue of codes.

An action is a small JSON object: ``{"type": "only_nodes", "groups": ["south-fcs"]}``.
Each type belongs to one rule kind; its parameters are checked strictly (no
bool for an int, no unknown keys) and every code it names (node, node group,
node kind, carrier, SKU, category) must exist, else the rule is refused with a
close-match suggestion.

validation: set_priority, add_tag, hold, cancel, require_prepaid, flag_fraud
routing:    only_nodes, exclude_nodes, prefer_nodes, prefer_nodes_in_order, max_distance, ship_from_store,
            protect_stock
shipping:   allow_carriers, deny_carriers, prefer_carriers, force_carrier, deliver_within, express,
            promise_days
split:      no_split, max_shipments, keep_together, min_shipment_value
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from omnialloc.rules.errors import RuleProblem
from omnialloc.rules.model import Catalog, RuleKind

MAX_BONUS_PAISE = 10_000_000          # Rs 1 lakh: any larger "preference" is really a constraint
DEFAULT_ORDER_STEP_PAISE = 1_000_000  # Rs 10,000 between ranks of prefer_nodes_in_order
FRAUD_TAG = "fraud-review"


@dataclass(frozen=True)
class Param:
    type: str                    # int | number | text | bool | choice | nodes | groups | kinds | carriers | carrier | skus | categories
    required: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class ActionDef:
    kind: RuleKind
    params: dict[str, Param]
    doc: str
    one_of: tuple[str, ...] = ()   # at least one of these must be non-empty


_SELECT = {
    "nodes": Param("nodes", default=(), doc="node codes"),
    "groups": Param("groups", default=(), doc="node group names"),
    "kinds": Param("kinds", default=(), doc="node kinds: warehouse, store, dropship_vendor, return_center"),
}
_REASON = Param("text", default="", maximum=300, doc="shown in the order's history")

ACTIONS: dict[str, ActionDef] = {
    # -- validation
    "set_priority": ActionDef(RuleKind.VALIDATION, {"priority": Param("int", True, minimum=0, maximum=10)},
                              "set the order's priority (0-10)"),
    "add_tag": ActionDef(RuleKind.VALIDATION, {"tag": Param("text", True, minimum=1, maximum=50)}, "tag the order"),
    "hold": ActionDef(RuleKind.VALIDATION, {"reason": Param("text", True, minimum=1, maximum=300)},
                      "put the order on hold for manual review"),
    "cancel": ActionDef(RuleKind.VALIDATION, {"reason": Param("text", True, minimum=1, maximum=300)},
                        "cancel the order"),
    "require_prepaid": ActionDef(RuleKind.VALIDATION, {
        "on_cod": Param("choice", default="hold", choices=("hold", "cancel"), doc="what to do with a COD order"),
        "reason": _REASON}, "refuse cash on delivery: hold or cancel COD orders"),
    "flag_fraud": ActionDef(RuleKind.VALIDATION, {"reason": _REASON},
                            f"tag the order {FRAUD_TAG!r} and hold it for fraud review"),
    # -- routing
    "only_nodes": ActionDef(RuleKind.ROUTING, dict(_SELECT), "ship only from these nodes", ("nodes", "groups", "kinds")),
    "exclude_nodes": ActionDef(RuleKind.ROUTING, {**_SELECT, "reason": _REASON}, "never ship from these nodes",
                               ("nodes", "groups", "kinds")),
    "prefer_nodes": ActionDef(RuleKind.ROUTING, {**_SELECT, "bonus_paise": Param(
        "int", True, minimum=1, maximum=MAX_BONUS_PAISE, doc="taken off the plan's cost when a shipment leaves one of "
                                                             "these nodes")},
        "prefer these nodes by a bonus in paise (cost still counts)", ("nodes", "groups", "kinds")),
    "prefer_nodes_in_order": ActionDef(RuleKind.ROUTING, {
        "nodes": Param("nodes", True, doc="node codes, most preferred first"),
        "step_paise": Param("int", default=DEFAULT_ORDER_STEP_PAISE, minimum=1, maximum=MAX_BONUS_PAISE,
                            doc="bonus difference between consecutive ranks")},
        "prefer nodes in a strict order (strict while cost differences stay below step_paise)"),
    "max_distance": ActionDef(RuleKind.ROUTING, {"km": Param("number", True, minimum=1, maximum=5000)},
                              "no node further than this many km from the customer"),
    "ship_from_store": ActionDef(RuleKind.ROUTING, {"allowed": Param("bool", True)},
                                 "allow or forbid shipping from stores"),
    "protect_stock": ActionDef(RuleKind.ROUTING, {
        **_SELECT, "skus": Param("skus", default=(), doc="SKU codes (none: every SKU)"),
        "categories": Param("categories", default=(), doc="SKU categories (none: every SKU)"),
        "min_priority": Param("int", True, minimum=1, maximum=10,
                              doc="orders below this priority may not take the protected units"),
        "units": Param("int", default=0, minimum=0, maximum=1_000_000, doc="units held back per node and SKU"),
        "percent": Param("int", default=0, minimum=0, maximum=100,
                         doc="share of the node's sellable stock (on hand less safety stock) held back, rounded up")},
        "keep the last units of stock for orders at or above a priority (no nodes named: every node)",
        ("units", "percent")),
    # -- shipping
    "allow_carriers": ActionDef(RuleKind.SHIPPING, {"carriers": Param("carriers", True)},
                                "use only these carriers"),
    "deny_carriers": ActionDef(RuleKind.SHIPPING, {"carriers": Param("carriers", True), "reason": _REASON},
                               "never use these carriers"),
    "prefer_carriers": ActionDef(RuleKind.SHIPPING, {"carriers": Param("carriers", True), "bonus_paise": Param(
        "int", True, minimum=1, maximum=MAX_BONUS_PAISE)}, "prefer these carriers by a bonus in paise"),
    "force_carrier": ActionDef(RuleKind.SHIPPING, {"carrier": Param("carrier", True)}, "use exactly this carrier"),
    "deliver_within": ActionDef(RuleKind.SHIPPING, {
        "days": Param("int", True, minimum=1, maximum=30, doc="transit days the order should take at most"),
        "strict": Param("bool", default=False, doc="true: never use a slower lane (the order backorders "
                                                   "rather than ship late); false: prefer faster lanes"),
        "late_penalty_paise": Param("int", default=50_000, minimum=0, maximum=MAX_BONUS_PAISE,
                                    doc="cost added per day a lane is slower than `days` (when not strict)")},
        "a service level: ship within this many days (express for priority orders), strictly or by a "
        "penalty per late day"),
    "express": ActionDef(RuleKind.SHIPPING, {}, "ship by the carriers' express service where they offer it "
                                                "(priced at OMNIALLOC_EXPRESS_FREIGHT_PCT of the rate card)"),
    "promise_days": ActionDef(RuleKind.SHIPPING, {
        "days": Param("int", True, minimum=1, maximum=60, doc="days from the order to its delivery")},
        "the order's delivery promise when its request names none (over the channel's default)"),
    # -- split
    "no_split": ActionDef(RuleKind.SPLIT, {}, "ship the order in one shipment"),
    "max_shipments": ActionDef(RuleKind.SPLIT, {"count": Param("int", True, minimum=1, maximum=50)},
                               "at most this many shipments"),
    "keep_together": ActionDef(RuleKind.SPLIT, {
        "skus": Param("skus", default=()), "categories": Param("categories", default=())},
        "lines with these SKUs / categories ship in the same shipment", ("skus", "categories")),
    "min_shipment_value": ActionDef(RuleKind.SPLIT, {"paise": Param("int", True, minimum=0, maximum=10**11)},
                                    "every shipment must carry at least this much value (paise)"),
}

MAX_ACTIONS = 20


@dataclass(frozen=True)
class Action:
    type: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The action as JSON (a fresh dict: callers may keep it in results they change)."""
        return dict(self._json)

    @cached_property
    def _json(self) -> dict[str, Any]:
        return {"type": self.type, **{k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()}}


def actions_for(kind: str) -> list[str]:
    return [name for name, d in ACTIONS.items() if d.kind == kind]


def check_actions(kind: str, raw: Any, catalog: Catalog | None) -> tuple[list[Action], list[RuleProblem]]:
    """Normalise and check ``raw`` (a list of action objects) for a rule of ``kind``."""
    problems: list[RuleProblem] = []
    if not isinstance(raw, list) or not raw:
        return [], [RuleProblem("actions", f"give at least one action; a {kind} rule can use: "
                                           + ", ".join(actions_for(kind)))]
    if len(raw) > MAX_ACTIONS:
        return [], [RuleProblem("actions", f"{len(raw)} actions; at most {MAX_ACTIONS} per rule")]
    out: list[Action] = []
    for i, item in enumerate(raw):
        action, found = _check_one(kind, item, f"actions.{i}", catalog)
        problems.extend(found)
        if action is not None:
            out.append(action)
    return out, problems


def _check_one(kind: str, item: Any, where: str, catalog: Catalog | None) -> tuple[Action | None, list[RuleProblem]]:
    if not isinstance(item, dict):
        return None, [RuleProblem(where, 'an action is an object such as {"type": "add_tag", "tag": "vip"}')]
    type_ = item.get("type")
    allowed = actions_for(kind)
    if not isinstance(type_, str) or type_ not in ACTIONS:
        close = difflib.get_close_matches(str(type_), allowed, n=1, cutoff=0.5)
        return None, [RuleProblem(f"{where}.type", f"unknown action {type_!r}; a {kind} rule can use: "
                                                   + ", ".join(allowed), suggestion=close[0] if close else None)]
    spec = ACTIONS[type_]
    if spec.kind != kind:
        return None, [RuleProblem(f"{where}.type", f"{type_!r} is a {spec.kind} action and cannot be used in a "
                                                   f"{kind} rule; a {kind} rule can use: " + ", ".join(allowed),
                                  hint=f"make a separate rule of kind {spec.kind!r}")]
    problems: list[RuleProblem] = []
    params: dict[str, Any] = {}
    for key in item:
        if key != "type" and key not in spec.params:
            close = difflib.get_close_matches(key, list(spec.params), n=1, cutoff=0.5)
            known = ", ".join(spec.params) or "no parameters"
            problems.append(RuleProblem(f"{where}.{key}", f"{type_} has no parameter {key!r} (it takes: {known})",
                                        suggestion=close[0] if close else None))
    for name, p in spec.params.items():
        if name not in item or item[name] is None:
            if p.required:
                problems.append(RuleProblem(f"{where}.{name}", f"{type_} needs {name!r}"
                                                               + (f" ({p.doc})" if p.doc else "")))
            else:
                params[name] = p.default
            continue
        value, found = _check_param(p, item[name], f"{where}.{name}", catalog)
        problems.extend(found)
        params[name] = value
    if spec.one_of and not problems and not any(params.get(k) for k in spec.one_of):
        problems.append(RuleProblem(where, f"{type_} needs at least one of: " + ", ".join(spec.one_of)))
    if problems:
        return None, problems
    return Action(type_, params), []


Checked = tuple[Any, list[RuleProblem]]  # (the normalised value or None, the problems found)


def _check_param(p: Param, value: Any, where: str, catalog: Catalog | None) -> Checked:
    def bad(msg: str, suggestion: str | None = None) -> Checked:
        return None, [RuleProblem(where, msg, suggestion=suggestion)]

    if p.type == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            return bad(f"must be a whole number, got {value!r}")
        return _range(p, value, where)
    if p.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return bad(f"must be a number, got {value!r}")
        return _range(p, float(value), where)
    if p.type == "bool":
        if not isinstance(value, bool):
            return bad(f"must be true or false, got {value!r}")
        return value, []
    if p.type == "text":
        if not isinstance(value, str):
            return bad(f"must be text, got {value!r}")
        value = value.strip()
        if p.minimum is not None and len(value) < p.minimum:
            return bad("must not be empty")
        if p.maximum is not None and len(value) > p.maximum:
            return bad(f"is {len(value)} characters; at most {int(p.maximum)}")
        return value, []
    if p.type == "choice":
        if value not in p.choices:
            close = difflib.get_close_matches(str(value), list(p.choices), n=1, cutoff=0.5)
            return bad(f"must be one of {', '.join(p.choices)}, got {value!r}", close[0] if close else None)
        return value, []
    if p.type == "carrier":
        return _codes(p, [value], where, catalog, single=True)
    return _codes(p, value, where, catalog)


def _range(p: Param, value: float, where: str) -> Checked:
    if p.minimum is not None and value < p.minimum:
        return None, [RuleProblem(where, f"must be at least {_num(p.minimum)}, got {_num(value)}")]
    if p.maximum is not None and value > p.maximum:
        return None, [RuleProblem(where, f"must be at most {_num(p.maximum)}, got {_num(value)}")]
    return value, []


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_WHAT = {"nodes": "node", "groups": "node group", "kinds": "node kind", "carriers": "carrier", "carrier": "carrier",
         "skus": "SKU", "categories": "category"}


def _universe(kind: str, catalog: Catalog | None) -> set[str] | None:
    if catalog is None:
        return None
    if kind == "nodes":
        return set(catalog.nodes)
    if kind == "groups":
        return set(catalog.groups)
    if kind == "kinds":
        return catalog.kinds
    if kind in ("carriers", "carrier"):
        return set(catalog.carriers)
    if kind == "skus":
        return catalog.skus
    if kind == "categories":
        return catalog.categories
    return None


def _codes(p: Param, value: Any, where: str, catalog: Catalog | None, single: bool = False) -> Checked:
    what = _WHAT[p.type]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None, [RuleProblem(where, f"must be a list of {what} codes (text), got {value!r}")]
    if len(value) > 500:
        return None, [RuleProblem(where, f"{len(value)} entries; at most 500")]
    universe = _universe(p.type, catalog)
    problems: list[RuleProblem] = []
    seen: list[str] = []
    for i, code in enumerate(value):
        if universe is not None and code not in universe:
            close = difflib.get_close_matches(code, sorted(universe), n=1, cutoff=0.5)
            if not close:  # codes are often upper-case: compare case-blind too
                folded = {u.lower(): u for u in universe}
                hit = difflib.get_close_matches(code.lower(), sorted(folded), n=1, cutoff=0.5)
                close = [folded[hit[0]]] if hit else []
            at = where if single else f"{where}.{i}"
            hint = None
            if not close:
                known = sorted(universe)
                hint = ("known: " + ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")) if known else \
                    f"there are no {what}s yet"
            problems.append(RuleProblem(at, f"unknown {what} {code!r}", suggestion=close[0] if close else None,
                                        hint=hint))
        elif code not in seen:
            seen.append(code)
    if problems:
        return None, problems
    if single:
        return seen[0], []
    if p.type == "nodes" and p.required and not seen:
        return None, [RuleProblem(where, "give at least one node code")]
    return tuple(seen), []


def describe() -> dict[str, Any]:
    """The action vocabulary for the API (``GET /rules/schema``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, d in ACTIONS.items():
        out.setdefault(str(d.kind), []).append({
            "type": name, "doc": d.doc, "one_of": list(d.one_of),
            "params": {k: {"type": p.type, "required": p.required, "doc": p.doc,
                           **({"default": list(p.default) if isinstance(p.default, tuple) else p.default}
                              if not p.required else {}),
                           **({"choices": list(p.choices)} if p.choices else {}),
                           **({"minimum": p.minimum} if p.minimum is not None and p.type in ("int", "number") else {}),
                           **({"maximum": p.maximum} if p.maximum is not None and p.type in ("int", "number") else {})}
                       for k, p in d.params.items()},
        })
    return out

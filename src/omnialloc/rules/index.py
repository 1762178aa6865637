"""An index of rules on the facts their conditions require, so an order evaluates only rules that can match.

Most seller rules start with a test of one field against constants: ``order.channel == "amazon"``,
``ship_to.state in ["TN", "KL"]``, ``$any([line.sku == "PHONE-X" for line in lines])``. Such a test,
when it is a conjunct of the whole condition (``G and ...``), is a *guard*: the condition cannot be
true unless the guard is, so a rule whose guard fails for an order is not evaluated at all. With 500
rules spread over channels, states and SKUs an order evaluates a few dozen instead of 500.

A guard is found on the typed AST (rule-engine's public node attributes):

- ``path == "text"`` or ``"text" == path``; ``path in ["a", "b"]``; ``G1 or G2`` on the same path;
- ``$any([line.F == "x" for line in lines])`` (and ``in`` lists): some line's F is one of the values;

for ``path`` one of `INDEXED`. A PIN pattern ``ship_to.pin =~ "^78"`` guards on the PIN's literal prefix; a rule with no such guard
but a threshold on a number of the order (``order.value > 500000``, ``order.line_count <= 2``, see
`RANGED`) is filed under it and is a candidate only for orders past it. Each rule is filed under
its most selective guard (the smallest share of orders it lets through), or under a pair of guards on
two fields with one value per order (``order.channel == "web" and ship_to.zone == "A"``: one lookup of
the order's (channel, zone)) when the pair lets fewer orders through;
rules without a guard are always candidates. Candidates come back in evaluation order, so conflicts,
``stop_processing`` and every result are exactly those of evaluating all rules. The one difference:
a rule skipped by its guard cannot report an evaluation error for that order (with the guard first
in the condition, ``and`` would not have evaluated the rest either).
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

from rule_engine.ast.binary.comparison import (
    ArithmeticComparisonExpression,
    ComparisonExpression,
    FuzzyComparisonExpression,
    LogicExpression,
)
from rule_engine.ast.expression.access import ContainsExpression, GetAttributeExpression
from rule_engine.ast.expression.control import ComprehensionExpression
from rule_engine.ast.expression.resolution import FunctionCallExpression, SymbolExpression
from rule_engine.ast.literal import ArrayExpression, FloatExpression, StringExpression

# Fields worth indexing: text with few values per order. Line fields are tested through $any.
INDEXED = ("order.channel", "order.payment_mode", "ship_to.state", "ship_to.region", "ship_to.zone",
           "ship_to.city", "ship_to.pin", "lines.sku", "lines.category")

# How many distinct values a field takes in a day's orders, roughly: a guard's selectivity is the share
# of orders it lets through, len(values) / cardinality. (A prefix of ship_to.pin counts like a value.)
_CARDINALITY = {"order.channel": 5, "order.payment_mode": 2, "ship_to.state": 36, "ship_to.region": 6,
                "ship_to.zone": 5, "ship_to.city": 500, "ship_to.pin": 100, "ship_to.pin^": 100, "lines.sku": 1000,
                "lines.category": 10}

Guard = tuple[str, frozenset[str]]   # (path, values); path "ship_to.pin^" holds prefixes of the PIN
_SINGLE = frozenset(p for p in INDEXED if not p.startswith("lines."))  # one value per order

# Numbers of the order a threshold guard (``order.value > 500000``) is indexed on, when a rule has no
# guard on a text field: the rule is a candidate only for orders past its threshold.
RANGED = ("order.value", "order.total_weight_g", "order.line_count", "customer.order_count")
Threshold = tuple[str, str, Any]     # (path, ">" | ">=" | "<" | "<=", constant)
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_OPS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def guard_of(expression: Any) -> Guard | None:
    """The most selective guard of a condition's expression, or None."""
    found = [g for g in _conjunct_guards(expression) if g is not None]
    return min(found, key=_selectivity) if found else None


def pair_guard_of(expression: Any) -> tuple[Guard, Guard] | None:
    """Two guards of a condition on different fields that have one value per order (``order.channel ==
    "web" and ship_to.zone == "A"``), the most selective first, when together they let fewer orders
    through than the best guard alone; else None."""
    found = sorted({g for g in _conjunct_guards(expression) if g is not None and g[0] in _SINGLE}, key=_selectivity)
    for other in found[1:]:
        if other[0] != found[0][0]:
            best = guard_of(expression)
            if best is not None and _selectivity(found[0])[0] * _selectivity(other)[0] < _selectivity(best)[0]:
                return found[0], other
            return None
    return None


def _selectivity(guard: Guard) -> tuple[float, str]:
    return (len(guard[1]) / _CARDINALITY.get(guard[0], 10), guard[0])


def threshold_of(expression: Any) -> Threshold | None:
    """A top-level conjunct ``field > constant`` (or >=, <, <=, either side) on one of `RANGED`."""
    for node in _conjuncts(expression):
        if type(node) is ArithmeticComparisonExpression:
            for field, const, op in ((node.left, node.right, _OPS[node.type]),
                                     (node.right, node.left, _FLIP[_OPS[node.type]])):
                path = _path(field, None)
                if path in RANGED and isinstance(const, FloatExpression):
                    return path, op, const.value
    return None


def _conjuncts(node: Any) -> Iterable[Any]:
    if isinstance(node, LogicExpression) and node.type == "and":
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _conjunct_guards(node: Any) -> Iterable[Guard | None]:
    if isinstance(node, LogicExpression) and node.type == "and":
        yield from _conjunct_guards(node.left)
        yield from _conjunct_guards(node.right)
        return
    yield _guard(node, None)


def _guard(node: Any, line_var: str | None) -> Guard | None:
    if isinstance(node, LogicExpression) and node.type == "or":
        left, right = _guard(node.left, line_var), _guard(node.right, line_var)
        if left and right and left[0] == right[0]:
            return left[0], left[1] | right[1]
        return None
    if isinstance(node, ComparisonExpression) and type(node) is ComparisonExpression and node.type == "eq":
        for field, const in ((node.left, node.right), (node.right, node.left)):
            path = _path(field, line_var)
            if path in INDEXED and isinstance(const, StringExpression):
                return path, frozenset([const.value])
        return None
    if isinstance(node, FuzzyComparisonExpression) and node.type == "eq_fzm" and isinstance(node.right, StringExpression):
        path = _path(node.left, line_var)
        prefixes = literal_prefixes(node.right.value)
        if path == "ship_to.pin" and prefixes:
            return "ship_to.pin^", prefixes
        return None
    if isinstance(node, ContainsExpression):
        path = _path(node.member, line_var)
        values = _constant_texts(node.container)
        if path in INDEXED and values is not None:
            return path, values
        return None
    if isinstance(node, FunctionCallExpression) and isinstance(node.function, SymbolExpression) \
            and node.function.scope is not None and node.function.name == "any" and len(node.arguments) == 1:
        comp = node.arguments[0]
        if isinstance(comp, ComprehensionExpression) and isinstance(comp.iterable, SymbolExpression) \
                and comp.iterable.name == "lines" and comp.iterable.scope is None:
            # a true $any needs one line passing the filter (if any) whose result is true
            parts = [comp.result] + ([comp.condition] if comp.condition is not None else [])
            inner = [g for part in parts for g in _conjunct_guards_in(part, comp.variable) if g is not None]
            return min(inner, key=_selectivity) if inner else None
    return None


def _conjunct_guards_in(node: Any, line_var: str) -> Iterable[Guard | None]:
    if isinstance(node, LogicExpression) and node.type == "and":
        yield from _conjunct_guards_in(node.left, line_var)
        yield from _conjunct_guards_in(node.right, line_var)
        return
    yield _guard(node, line_var)


def _path(node: Any, line_var: str | None) -> str | None:
    """``order.channel`` (outside a comprehension) or ``lines.sku`` (``line.sku`` inside one), if indexed."""
    if not (isinstance(node, GetAttributeExpression) and not node.safe and isinstance(node.object, SymbolExpression)
            and node.object.scope is None):
        return None
    root = node.object.name
    if line_var is not None:
        path = f"lines.{node.name}" if root == line_var else None
    else:
        path = f"{root}.{node.name}" if root != "lines" else None
    return path if path in INDEXED or path in RANGED else None


_LITERAL_RUN = re.compile(r"[A-Za-z0-9 _-]+")
_ALTERNATION = re.compile(r"\(((?:[A-Za-z0-9_-]+\|)*[A-Za-z0-9_-]+)\)")


def literal_prefixes(pattern: str) -> frozenset[str] | None:
    """Texts one of which every match of ``=~ pattern`` (anchored at the start) begins with, or None.

    ``"^78"`` -> {"78"}; ``"^(11|12|20)"`` -> {"11", "12", "20"}; ``"5600?1"`` -> {"560"}; ``"[0-9]"`` -> None.
    """
    body = pattern[1:] if pattern.startswith("^") else pattern
    group = _ALTERNATION.match(body)
    if group:
        if body[group.end():group.end() + 1] in ("?", "*", "{") or "|" in body[group.end():]:
            return None
        return frozenset(group.group(1).split("|"))
    run = _LITERAL_RUN.match(body)
    if not run or "|" in body:  # a top-level alternative may start with anything
        return None
    text = run.group(0)
    if body[run.end():run.end() + 1] in ("?", "*", "{"):
        text = text[:-1]  # the last character is optional or repeated from zero
    return frozenset([text]) if text else None


def _constant_texts(node: Any) -> frozenset[str] | None:
    if isinstance(node, ArrayExpression) and all(isinstance(m, StringExpression) for m in node.value):
        return frozenset(m.value for m in node.value)
    return None


def _reader(path: str, keys: Iterable[str]) -> Callable[[Any], Iterable[Any]]:
    """``facts -> the values of path`` that may be among ``keys``: a PIN's prefixes (of the lengths the
    keys have), or every line's value."""
    if path == "ship_to.pin^":
        lengths = sorted({len(k) for k in keys if k})

        def prefixes(facts: Any) -> list[str]:
            pin: str = facts.ship_to.pin
            return [pin[:k] for k in lengths if k <= len(pin)]
        return prefixes
    get = operator.attrgetter(path.split(".")[1])
    return lambda facts: {get(line) for line in facts.lines}


class _Thresholds:
    """Rules guarded by ``field > c`` / ``field >= c`` (lower bounds) or ``< c`` / ``<= c`` (upper bounds)
    on one number, sorted by the constant: the rules an order passes are a prefix or a suffix."""

    def __init__(self) -> None:
        self.lower: list[tuple[Any, int, int]] = []   # (c, 0 for > / 1 for >=, position)
        self.upper: list[tuple[Any, int, int]] = []   # (c, 0 for <= / 1 for <, position)

    def add(self, op: str, const: Any, pos: int) -> None:
        if op in (">", ">="):
            self.lower.append((const, 0 if op == ">" else 1, pos))
        else:
            self.upper.append((const, 0 if op == "<=" else 1, pos))

    def freeze(self) -> None:
        self.lower.sort()
        self.upper.sort()
        self._lower_keys = [c for c, _, _ in self.lower]
        self._upper_keys = [c for c, _, _ in self.upper]
        self._lower_pos = [pos for _, _, pos in self.lower]
        self._upper_pos = [pos for _, _, pos in self.upper]

    def passing(self, value: Any, out: list[int]) -> None:
        # lower bounds: c < value passes '>' and '>='; c == value passes '>=' only
        below = bisect.bisect_left(self._lower_keys, value)
        out.extend(self._lower_pos[:below])
        for _, strict, pos in self.lower[below:bisect.bisect_right(self._lower_keys, value, below)]:
            if strict:
                out.append(pos)
        # upper bounds: value < c passes '<' and '<='; c == value passes '<=' only
        above = bisect.bisect_right(self._upper_keys, value)
        out.extend(self._upper_pos[above:])
        for _, strict, pos in self.upper[bisect.bisect_left(self._upper_keys, value, 0, above):above]:
            if not strict:
                out.append(pos)


class RuleIndex:
    """The rules of one kind, in evaluation order, filed under their guards."""

    def __init__(self, rules: tuple[Any, ...]):
        self.rules = rules
        self.always: list[int] = []
        self.by_path: dict[str, dict[str, list[int]]] = {}
        self.by_number: dict[str, _Thresholds] = {}
        self.by_pair: dict[tuple[str, str], dict[tuple[str, str], list[int]]] = {}
        for pos, rule in enumerate(rules):
            expression = rule.condition.rule.statement.expression
            pair = pair_guard_of(expression)
            if pair is not None:
                (first, values1), (second, values2) = pair
                table2 = self.by_pair.setdefault((first, second), {})
                for v1 in values1:
                    for v2 in values2:
                        table2.setdefault((v1, v2), []).append(pos)
                continue
            guard = guard_of(expression)
            if guard is None:
                threshold = threshold_of(expression)
                if threshold is not None:
                    path, op, const = threshold
                    self.by_number.setdefault(path, _Thresholds()).add(op, const, pos)
                    continue
                self.always.append(pos)
                continue
            path, values = guard
            table = self.by_path.setdefault(path, {})
            for value in values:
                table.setdefault(value, []).append(pos)
        for thresholds in self.by_number.values():
            thresholds.freeze()
        self.indexed = len(rules) - len(self.always)
        # one value per order (order.channel, ship_to.state, ...): a lookup; several (lines, PIN prefixes): a loop
        self._single = [(operator.attrgetter(path), table) for path, table in self.by_path.items()
                        if not path.startswith("lines.") and path != "ship_to.pin^"]
        self._multi = [(_reader(path, table), table) for path, table in self.by_path.items()
                       if path.startswith("lines.") or path == "ship_to.pin^"]
        self._pairs = [(operator.attrgetter(a, b), table) for (a, b), table in self.by_pair.items()]
        self._numbers = [(operator.attrgetter(path), thresholds) for path, thresholds in self.by_number.items()]

    def candidates(self, facts: Any) -> tuple[Any, ...] | list[Any]:
        if not self.by_path and not self.by_number and not self.by_pair:
            return self.rules
        picked = list(self.always)
        for get, table in self._single:
            hit = table.get(get(facts))
            if hit:
                picked.extend(hit)
        for get_two, pairs in self._pairs:
            hit = pairs.get(get_two(facts))
            if hit:
                picked.extend(hit)
        for read, table in self._multi:
            for value in read(facts):
                hit = table.get(value)
                if hit:
                    picked.extend(hit)
        for read, thresholds in self._numbers:
            thresholds.passing(read(facts), picked)
        if len(picked) == len(self.always):
            return [self.rules[p] for p in picked]
        rules = self.rules
        return [rules[p] for p in sorted(set(picked))]

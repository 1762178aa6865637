"""A fast evaluator for compiled conditions: rule-engine's typed AST turned into Python closures.

rule-engine parses, type-checks and reports errors (that is why we use it), but
its interpreter re-checks every value's type at run time, which costs 5-100 us
per condition; fifty rules per order would blow the 0.5 ms budget. Once a
condition has passed rule-engine's compile-time checks, the run-time checks are
redundant for our facts (the schema guarantees the types), so this module
walks the already-typed AST and builds plain closures for the common node kinds.

Semantics are rule-engine's: equality never holds across types (``true == 1``
is false), ``=~`` is an anchored ``re.match`` and ``=~~`` a ``re.search``,
``??`` coalesces null, comprehensions bind their variable. Anything not covered
(or any error while evaluating) falls back to ``rule.matches``, so the worst
case is rule-engine's own speed and its own error, never a different answer.
tests/unit/rules/test_fast.py checks the two agree on many facts.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any, Callable

from rule_engine import DataType
from rule_engine import ast as re_ast
from rule_engine.ast.binary import CoalesceExpression
from rule_engine.ast.binary.arithmetic import AddExpression, ArithmeticExpression, SubtractExpression
from rule_engine.ast.binary.comparison import (
    ArithmeticComparisonExpression,
    ComparisonExpression,
    FuzzyComparisonExpression,
    LogicExpression,
)
from rule_engine.ast.expression.access import ContainsExpression, GetAttributeExpression, GetItemExpression
from rule_engine.ast.expression.control import ComprehensionExpression, TernaryExpression, UnaryExpression
from rule_engine.ast.expression.resolution import FunctionCallExpression, SymbolExpression
from rule_engine.ast.literal import ArrayExpression, SetExpression

Fn = Callable[[Any, dict], Any]
_NUMBERS = (int, Decimal)


class _Unsupported(Exception):
    pass


def compile_fast(rule) -> Callable[[Any], bool] | None:
    """A ``facts -> bool`` function with rule-engine's semantics, or None if the AST uses something uncovered."""
    try:
        fn = _compile(rule.statement.expression, frozenset())
    except _Unsupported:
        return None
    slow = rule.matches
    empty: dict = {}

    def matches(facts) -> bool:
        try:
            return bool(fn(facts, empty))
        except Exception:
            return slow(facts)  # rule-engine's own answer or its own error

    matches.__name__ = "fast_matches"
    return matches


def _eq(a, b) -> bool:
    """rule-engine equality: values of different types are never equal (ints and Decimals are one type)."""
    if a is None or b is None:
        return a is b
    if type(a) is type(b):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    if isinstance(a, _NUMBERS) and isinstance(b, _NUMBERS):
        return a == b
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    return False


def _is_array(t) -> bool:
    return DataType.is_type(t, DataType.ARRAY) or DataType.is_type(t, DataType.SET)


def _compile(node, bound: frozenset[str]) -> Fn:  # noqa: C901 - one dispatch over node kinds
    if isinstance(node, (ArrayExpression, SetExpression)):
        if isinstance(node, SetExpression):
            raise _Unsupported("set literal")
        if all(isinstance(m, re_ast.LiteralExpressionBase) and not isinstance(m, ArrayExpression) for m in node.value):
            constant = tuple(_compile(m, bound)(None, {}) for m in node.value)
            return lambda f, env: constant
        members = [_compile(m, bound) for m in node.value]
        return lambda f, env: tuple(m(f, env) for m in members)

    if isinstance(node, re_ast.LiteralExpressionBase):
        value = node.evaluate(None)
        if not isinstance(value, (bool, str, Decimal, type(None))):
            raise _Unsupported(type(value).__name__)
        return lambda f, env: value

    if isinstance(node, SymbolExpression):
        name = node.name
        if node.scope is not None:
            raise _Unsupported("builtin symbol")  # handled by FunctionCallExpression below
        if name in bound:
            return lambda f, env: env[name]
        return lambda f, env: getattr(f, name)

    if isinstance(node, GetAttributeExpression):
        obj = _compile(node.object, bound)
        name = node.name
        obj_type = DataType.NULLABLE.unwrap(node.object.result_type)
        if DataType.is_type(obj_type, DataType.OBJECT):
            if node.safe:
                def safe_get(f, env):
                    o = obj(f, env)
                    return None if o is None else getattr(o, name)
                return safe_get
            return lambda f, env: getattr(obj(f, env), name)
        if (_is_array(obj_type) or obj_type == DataType.STRING) and not node.safe:
            if name == "length":
                return lambda f, env: len(obj(f, env))
            if name == "is_empty":
                return lambda f, env: len(obj(f, env)) == 0
        raise _Unsupported(f"attribute {name}")

    if isinstance(node, GetItemExpression):
        container_type = DataType.NULLABLE.unwrap(node.container.result_type)
        if node.safe or not (_is_array(container_type) or container_type == DataType.STRING):
            raise _Unsupported("item access")
        container, item = _compile(node.container, bound), _compile(node.item, bound)

        def get_item(f, env):
            index = item(f, env)
            if isinstance(index, bool) or index != int(index):
                raise TypeError("index is not a whole number")
            return container(f, env)[int(index)]  # IndexError -> rule-engine's LookupError via the fallback
        return get_item

    if isinstance(node, LogicExpression):
        left, right = _compile(node.left, bound), _compile(node.right, bound)
        if node.type == "and":
            return lambda f, env: bool(left(f, env) and right(f, env))
        if node.type == "or":
            return lambda f, env: bool(left(f, env) or right(f, env))
        raise _Unsupported(node.type)

    if isinstance(node, FuzzyComparisonExpression):
        if not hasattr(node, "_right"):
            raise _Unsupported("dynamic regex")
        left, regex = _compile(node.left, bound), node._right
        kind = node.type
        search = regex.match if kind.endswith("fzm") else regex.search
        positive = kind.startswith("eq")

        def fuzzy(f, env):
            value = left(f, env)
            if not isinstance(value, str):
                raise TypeError("regex on a non-string")
            return (search(value) is not None) is positive
        return fuzzy

    if isinstance(node, ArithmeticComparisonExpression):
        if _is_array(node.left.result_type) or _is_array(node.right.result_type):
            raise _Unsupported("array ordering")
        left, right = _compile(node.left, bound), _compile(node.right, bound)
        op = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}[node.type]

        def ordered(f, env):
            a, b = left(f, env), right(f, env)
            if a is None or b is None or isinstance(a, bool) != isinstance(b, bool) or \
                    isinstance(a, str) != isinstance(b, str):
                raise TypeError("mixed ordering")  # rule-engine raises; let it say so
            return op(a, b)
        return ordered

    if isinstance(node, ComparisonExpression):
        left, right = _compile(node.left, bound), _compile(node.right, bound)
        if node.type == "eq":
            return lambda f, env: _eq(left(f, env), right(f, env))
        if node.type == "ne":
            return lambda f, env: not _eq(left(f, env), right(f, env))
        raise _Unsupported(node.type)

    if isinstance(node, ContainsExpression):
        container, member = _compile(node.container, bound), _compile(node.member, bound)
        if DataType.NULLABLE.unwrap(node.container.result_type) == DataType.STRING:
            def substring(f, env):
                c, m = container(f, env), member(f, env)
                if not isinstance(m, str):
                    raise TypeError("substring of a non-string")
                return m in c
            return substring
        if not _is_array(node.container.result_type):
            raise _Unsupported("container type")
        return lambda f, env: member(f, env) in container(f, env)

    if isinstance(node, UnaryExpression):
        right = _compile(node.right, bound)
        if node.type == "not":
            return lambda f, env: not right(f, env)
        if node.type == "uminus":
            return lambda f, env: -right(f, env)
        raise _Unsupported(node.type)

    if isinstance(node, CoalesceExpression):
        left, right = _compile(node.left, bound), _compile(node.right, bound)

        def coalesce(f, env):
            value = left(f, env)
            return right(f, env) if value is None else value
        return coalesce

    if isinstance(node, TernaryExpression):
        cond, yes, no = (_compile(n, bound) for n in (node.condition, node.case_true, node.case_false))
        return lambda f, env: yes(f, env) if cond(f, env) else no(f, env)

    if isinstance(node, (AddExpression, SubtractExpression, ArithmeticExpression)):
        if DataType.NULLABLE.unwrap(node.result_type) != DataType.FLOAT:
            raise _Unsupported("non-numeric arithmetic")
        if node.type not in ("add", "sub", "mul"):
            raise _Unsupported(node.type)  # division and friends: rule-engine handles zero and rounding
        left, right = _compile(node.left, bound), _compile(node.right, bound)
        op = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}[node.type]
        return lambda f, env: op(left(f, env), right(f, env))

    if isinstance(node, ComprehensionExpression):
        iterable = _compile(node.iterable, bound)
        var = node.variable
        inner = bound | {var}
        result = _compile(node.result, inner)
        cond = _compile(node.condition, inner) if node.condition is not None else None

        def comprehension(f, env):
            out = []
            scope = dict(env)
            for value in iterable(f, env):
                scope[var] = value
                if cond is None or cond(f, scope):
                    out.append(result(f, scope))
            return tuple(out)
        return comprehension

    if isinstance(node, FunctionCallExpression):
        fn = node.function
        if not (isinstance(fn, SymbolExpression) and fn.scope is not None and fn.name in _BUILTINS):
            raise _Unsupported("function")
        impl = _BUILTINS[fn.name]
        args = [_compile(a, bound) for a in node.arguments]
        if len(args) != 1:
            raise _Unsupported("arity")
        arg = args[0]
        return lambda f, env: impl(arg(f, env))

    raise _Unsupported(type(node).__name__)


def _strict_bool_any(values) -> bool:
    return any(values)


_BUILTINS: dict[str, Callable[[Any], Any]] = {"any": _strict_bool_any, "all": all}

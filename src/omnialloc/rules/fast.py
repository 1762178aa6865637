"""The evaluator of compiled conditions: rule-engine's typed AST turned into Python closures, and those
written out as the source of one Python function per condition (`_generate`, at the end: no call per
AST node at run time; the closures stay for what it does not write itself).

rule-engine parses, type-checks and reports errors (that is why we use it), but
its interpreter re-checks every value's type at run time, which costs 5-100 us
per condition; fifty rules per order would blow the 0.5 ms budget. Once a
condition has passed rule-engine's compile-time checks, the run-time checks are
redundant for our facts (the schema guarantees the types), so this module
walks the already-typed AST (through its public attributes) and builds plain
closures.

Semantics are rule-engine's, with two deliberate exceptions that make a rule
unable to stall an order:

- regular expressions run on RE2 (`rules.regex`: linear time, input cut to
  ``MAX_INPUT_CHARS``), never on Python's backtracking ``re``;
- arithmetic runs in one explicit decimal context, `DECIMAL`, which is also the
  context rule-engine evaluates (and folds constants) in, so the two agree on
  every product and sum, rounding included.

Otherwise equality never holds across types (``true == 1`` is false), ``=~``
matches from the start and ``=~~`` searches anywhere, ``??`` coalesces null,
comprehensions bind their variable. A condition using something this module
does not cover compiles to None: `rules.conditions` then refuses it if it holds
a regular expression, and otherwise lets rule-engine's interpreter evaluate it.
An error while evaluating raises `ConditionError` with a message for a seller.
The differential property test (tests/unit/rules/test_fast_property.py)
compares the two over generated conditions and facts.
"""

from __future__ import annotations

import decimal
import keyword
import operator
from decimal import Decimal
from collections.abc import Callable, Iterable
from typing import Any

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
from rule_engine.ast.literal import ArrayExpression, SetExpression, StringExpression

from omnialloc.rules.regex import compile_pattern

Env = dict[str, Any]  # the comprehension variables in scope
Fn = Callable[[Any, Env], Any]
_NUMBERS = (int, Decimal)

# One decimal context for both evaluators (rule-engine gets it through its Context): 28 significant
# digits, banker's rounding, and the errors that should stop a rule (not silently give NaN or Infinity).
DECIMAL = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999,
                          traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])


class ConditionError(Exception):
    """A condition could not be evaluated on these facts (an index past the end, a division by zero, ...)."""


class _Unsupported(Exception):
    pass


def compile_fast(rule: Any) -> Callable[[Any], bool] | None:
    """A ``facts -> bool`` function with rule-engine's semantics, or None if the AST uses something uncovered."""
    try:
        fn = _compile(rule.statement.expression, frozenset())
    except _Unsupported:
        return None
    generated = _generate(rule.statement.expression)
    if generated is not None:
        return generated
    empty: Env = {}

    def matches(facts: Any) -> bool:
        try:
            return bool(fn(facts, empty))
        except ConditionError:
            raise
        except Exception as exc:
            raise ConditionError(explain_error(exc)) from None

    matches.__name__ = "fast_matches"
    return matches


def explain_error(exc: BaseException) -> str:
    """What went wrong while evaluating, in a seller's words."""
    if isinstance(exc, IndexError) or type(exc).__name__ == "LookupError":
        return "a list index is past the end (e.g. lines[1] on a one-line order)"
    if isinstance(exc, (ZeroDivisionError, decimal.DivisionByZero)):
        return "division by zero"
    if isinstance(exc, decimal.Overflow):
        return "a number grew beyond the arithmetic's range"
    if isinstance(exc, (ArithmeticError, decimal.InvalidOperation)):
        return "an arithmetic error (e.g. 0 / 0)"
    if isinstance(exc, ValueError) and "empty" in str(exc):
        return "$min or $max of an empty list"
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message


def contains_regex(node: Any) -> bool:
    return isinstance(node, FuzzyComparisonExpression) or any(contains_regex(c) for c in children(node))


def children(node: Any) -> list[Any]:
    """The sub-expressions of ``node`` (through rule-engine's public node attributes)."""
    out: list[Any] = []
    for attr in ("expression", "left", "right", "object", "container", "member", "item", "start", "stop",
                 "condition", "case_true", "case_false", "iterable", "result", "function"):
        child = getattr(node, attr, None)
        if child is not None and hasattr(child, "evaluate"):
            out.append(child)
    for attr in ("arguments", "value"):
        seq = getattr(node, attr, None)
        if isinstance(seq, (list, tuple)):
            out.extend(c for c in seq if hasattr(c, "evaluate"))
    return out


def _eq(a: Any, b: Any) -> bool:
    """rule-engine equality: values of different types are never equal (ints and Decimals are one type)."""
    if a is None or b is None:
        return a is b
    if type(a) is type(b):
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    if isinstance(a, _NUMBERS) and isinstance(b, _NUMBERS):
        return bool(a == b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    return False


def _is_array(t: Any) -> bool:
    return bool(DataType.is_type(t, DataType.ARRAY) or DataType.is_type(t, DataType.SET))


def _number(value: Any) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, _NUMBERS):
        raise TypeError("arithmetic on a value that is not a number")
    return value


# Arithmetic exactly as rule-engine does it inside ``decimal.localcontext(DECIMAL)``: the Context's
# methods round like the operators do there (ints are converted exactly first).
_ARITHMETIC = {"add": DECIMAL.add, "sub": DECIMAL.subtract, "mul": DECIMAL.multiply, "tdiv": DECIMAL.divide,
               "fdiv": DECIMAL.divide_int, "mod": DECIMAL.remainder, "pow": DECIMAL.power}


def _fuzzy(node: Any) -> Callable[[Any], bool]:
    """``value -> bool`` of a regex comparison (``=~``, ``=~~``, ``!~``, ``!~~`` and a quoted pattern)."""
    kind = node.type  # eq_fzm (=~), eq_fzs (=~~), ne_fzm (!~), ne_fzs (!~~)
    test = compile_pattern(node.right.value, anchored=kind.endswith("fzm")).test
    positive = kind.startswith("eq")

    def fuzzy(value: Any) -> bool:
        if not isinstance(value, str):
            raise TypeError("a regular expression on a value that is not text")
        return test(value) is positive
    return fuzzy


def _ordered(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    """``a < b`` (or another ``op``) with rule-engine's run-time type checks."""
    if a is None or b is None or isinstance(a, bool) != isinstance(b, bool) or isinstance(a, str) != isinstance(b, str):
        raise TypeError("values of different types cannot be ordered")
    return op(a, b)


def _substring(c: Any, m: Any) -> bool:
    """``m in c`` for a text ``c``."""
    if not isinstance(m, str):
        raise TypeError("'in' text needs text on its left")
    return m in c


def _sum(values: Iterable[Any]) -> int | Decimal:
    total: int | Decimal = 0
    for v in values:
        total = DECIMAL.add(total, _number(v))
    return total


def _any(values: Iterable[Any]) -> bool:
    return any(values)


_BUILTINS: dict[str, Callable[[Any], Any]] = {
    "any": _any, "all": all, "sum": _sum, "min": min, "max": max,
    "abs": lambda v: DECIMAL.abs(_number(v)),
}


_NO_CONSTANT = object()


def _constant(node: Any) -> Any:
    """The value of a literal scalar node, else `_NO_CONSTANT`."""
    if isinstance(node, re_ast.LiteralExpressionBase) and not isinstance(node, (ArrayExpression, SetExpression)):
        return node.value
    return _NO_CONSTANT


def _same_scalar(a: Any, b: Any, kinds: tuple[Any, ...]) -> bool:
    """Both nodes certainly give a non-null value of the same one of ``kinds`` (by their static types)."""
    ta, tb = a.result_type, b.result_type
    return bool(ta == tb and ta in kinds and not DataType.is_type(ta, DataType.NULLABLE))


def _field_path(node: Any) -> str | None:
    """``order.value`` / ``line.sku``: a chain of plain attribute reads of objects from a plain symbol."""
    names: list[str] = []
    while isinstance(node, GetAttributeExpression):
        if node.safe or not DataType.is_type(DataType.NULLABLE.unwrap(node.object.result_type), DataType.OBJECT) \
                or DataType.is_type(node.object.result_type, DataType.NULLABLE):
            return None
        names.append(node.name)
        node = node.object
    if not (isinstance(node, SymbolExpression) and node.scope is None) or not names:
        return None
    return ".".join([node.name, *reversed(names)])


def _compile(node: Any, bound: frozenset[str]) -> Fn:  # noqa: C901 - one dispatch over node kinds
    if isinstance(node, (ArrayExpression, SetExpression)):
        if isinstance(node, SetExpression):
            raise _Unsupported("set literal")
        if all(isinstance(m, re_ast.LiteralExpressionBase) and not isinstance(m, ArrayExpression) for m in node.value):
            constant = tuple(_compile(m, bound)(None, {}) for m in node.value)
            return lambda f, env: constant
        members = [_compile(m, bound) for m in node.value]
        return lambda f, env: tuple(m(f, env) for m in members)

    if isinstance(node, re_ast.LiteralExpressionBase):
        value = node.value
        if not isinstance(value, (bool, str, Decimal, type(None))):
            raise _Unsupported(type(value).__name__)
        return lambda f, env: value

    if isinstance(node, SymbolExpression):
        name = node.name
        if node.scope is not None:
            raise _Unsupported("builtin symbol")  # functions are handled by FunctionCallExpression below
        if name in bound:
            return lambda f, env: env[name]
        return lambda f, env: getattr(f, name)

    if isinstance(node, GetAttributeExpression):
        path = _field_path(node)
        if path is not None:  # order.value, line.sku: one C-level attrgetter instead of a closure per dot
            root, _, rest = path.partition(".")
            get = operator.attrgetter(rest)
            if root in bound:
                return lambda f, env: get(env[root])
            get_all = operator.attrgetter(path)
            return lambda f, env: get_all(f)
        obj = _compile(node.object, bound)
        name = node.name
        obj_type = DataType.NULLABLE.unwrap(node.object.result_type)
        if DataType.is_type(obj_type, DataType.OBJECT):
            if node.safe:
                def safe_get(f: Any, env: Env) -> Any:
                    o = obj(f, env)
                    return None if o is None else getattr(o, name)
                return safe_get
            return lambda f, env: getattr(obj(f, env), name)
        if (_is_array(obj_type) or obj_type == DataType.STRING) and not node.safe:
            if name == "length":
                return lambda f, env: len(obj(f, env))
            if name == "is_empty":
                return lambda f, env: len(obj(f, env)) == 0
        if obj_type == DataType.STRING and not node.safe:
            if name == "as_lower":
                return lambda f, env: obj(f, env).lower()
            if name == "as_upper":
                return lambda f, env: obj(f, env).upper()
        raise _Unsupported(f"attribute {name}")

    if isinstance(node, GetItemExpression):
        container_type = DataType.NULLABLE.unwrap(node.container.result_type)
        if node.safe or not (_is_array(container_type) or container_type == DataType.STRING):
            raise _Unsupported("item access")
        container, item = _compile(node.container, bound), _compile(node.item, bound)

        def get_item(f: Any, env: Env) -> Any:
            index = item(f, env)
            if isinstance(index, bool) or index != int(index):
                raise TypeError("a list index must be a whole number")
            return container(f, env)[int(index)]
        return get_item

    if isinstance(node, LogicExpression):
        left, right = _compile(node.left, bound), _compile(node.right, bound)
        if node.type == "and":
            return lambda f, env: bool(left(f, env) and right(f, env))
        if node.type == "or":
            return lambda f, env: bool(left(f, env) or right(f, env))
        raise _Unsupported(node.type)

    if isinstance(node, FuzzyComparisonExpression):
        if not isinstance(node.right, StringExpression):
            raise _Unsupported("a pattern that is not quoted text")
        left = _compile(node.left, bound)
        fuzzy = _fuzzy(node)
        return lambda f, env: fuzzy(left(f, env))

    if isinstance(node, ArithmeticComparisonExpression):
        if _is_array(node.left.result_type) or _is_array(node.right.result_type):
            raise _Unsupported("array ordering")
        left, right = _compile(node.left, bound), _compile(node.right, bound)
        op = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}[node.type]
        if _same_scalar(node.left, node.right, (DataType.FLOAT, DataType.STRING)):
            # the types are certain (non-null fields, literals, arithmetic): rule-engine's run-time
            # checks cannot fail, so compare directly
            const = _constant(node.right)
            if const is not _NO_CONSTANT:
                return lambda f, env: op(left(f, env), const)
            return lambda f, env: op(left(f, env), right(f, env))

        return lambda f, env: _ordered(op, left(f, env), right(f, env))

    if isinstance(node, ComparisonExpression):
        left, right = _compile(node.left, bound), _compile(node.right, bound)
        if node.type in ("eq", "ne") and _same_scalar(node.left, node.right, (DataType.STRING, DataType.BOOLEAN)):
            # two non-null values of one type (text or true/false): == is Python's
            const = _constant(node.right)
            if const is not _NO_CONSTANT:
                if node.type == "eq":
                    return lambda f, env: left(f, env) == const
                return lambda f, env: left(f, env) != const
        if node.type == "eq":
            return lambda f, env: _eq(left(f, env), right(f, env))
        if node.type == "ne":
            return lambda f, env: not _eq(left(f, env), right(f, env))
        raise _Unsupported(node.type)

    if isinstance(node, ContainsExpression):
        container, member = _compile(node.container, bound), _compile(node.member, bound)
        if DataType.NULLABLE.unwrap(node.container.result_type) == DataType.STRING:
            return lambda f, env: _substring(container(f, env), member(f, env))
        if not _is_array(node.container.result_type):
            raise _Unsupported("container type")
        return lambda f, env: member(f, env) in container(f, env)

    if isinstance(node, UnaryExpression):
        right = _compile(node.right, bound)
        if node.type == "not":
            return lambda f, env: not right(f, env)
        if node.type == "uminus":
            return lambda f, env: DECIMAL.minus(_number(right(f, env)))
        raise _Unsupported(node.type)

    if isinstance(node, CoalesceExpression):
        left, right = _compile(node.left, bound), _compile(node.right, bound)

        def coalesce(f: Any, env: Env) -> Any:
            value = left(f, env)
            return right(f, env) if value is None else value
        return coalesce

    if isinstance(node, TernaryExpression):
        cond, yes, no = (_compile(n, bound) for n in (node.condition, node.case_true, node.case_false))
        return lambda f, env: yes(f, env) if cond(f, env) else no(f, env)

    if isinstance(node, (AddExpression, SubtractExpression, ArithmeticExpression)):
        if DataType.NULLABLE.unwrap(node.result_type) != DataType.FLOAT:
            raise _Unsupported("non-numeric arithmetic")
        arith = _ARITHMETIC.get(node.type)
        if arith is None:
            raise _Unsupported(node.type)
        left, right = _compile(node.left, bound), _compile(node.right, bound)
        return lambda f, env: arith(_number(left(f, env)), _number(right(f, env)))

    if isinstance(node, ComprehensionExpression):
        iterable = _compile(node.iterable, bound)
        var = node.variable
        inner = bound | {var}
        result = _compile(node.result, inner)
        keep = _compile(node.condition, inner) if node.condition is not None else None

        def comprehension(f: Any, env: Env) -> Any:
            out = []
            scope = dict(env)
            for value in iterable(f, env):
                scope[var] = value
                if keep is None or keep(f, scope):
                    out.append(result(f, scope))
            return tuple(out)
        return comprehension

    if isinstance(node, FunctionCallExpression):
        fn = node.function
        if not (isinstance(fn, SymbolExpression) and fn.scope is not None and fn.name in _BUILTINS):
            raise _Unsupported("function")
        impl = _BUILTINS[fn.name]
        if len(node.arguments) != 1:
            raise _Unsupported("arity")
        arg = _compile(node.arguments[0], bound)
        return lambda f, env: impl(arg(f, env))

    raise _Unsupported(type(node).__name__)


# ------------------------------------------------------------------ the same, as one Python function
# Calling a closure per AST node costs ~0.1 us each; a condition of a dozen nodes evaluated for 50 rules
# of an order adds up. `_generate` writes the condition as the source of one Python function instead,
# node by node with exactly the closures' semantics above: the same helpers (`_eq`, `_ordered`,
# `_fuzzy`, `_substring`, `_number`, the `DECIMAL` methods, `_BUILTINS`), operands evaluated in the
# same order, and for what it does not write (item access, safe navigation, a ``??`` with a computed
# default) a call of the closure itself. Every value of the condition (literals, patterns, helpers)
# reaches the source as a name bound in the function's namespace, never as text, so a seller's
# condition cannot inject code. A condition whose source Python cannot compile (nesting beyond the
# parser's limits) keeps the closures.
_MATCHES = """def matches(f):
    try:
        return True if ({expression}) else False
    except ConditionError:
        raise
    except Exception as exc:
        raise ConditionError(explain_error(exc)) from None
"""
_PY_OPS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class _Source:
    """The names a generated condition refers to: ``_kN`` for its values and helpers."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"ConditionError": ConditionError, "explain_error": explain_error,
                                      "_eq": _eq, "_ordered": _ordered, "_substring": _substring,
                                      "_number": _number, "_EMPTY": {}}

    def name(self, value: Any) -> str:
        key = f"_k{len(self.names)}"
        self.names[key] = value
        return key


def _generate(expression: Any) -> Callable[[Any], bool] | None:
    src = _Source()
    try:
        code = compile(_MATCHES.format(expression=_gen(expression, frozenset(), src)), "<rule condition>", "exec")
        namespace = dict(src.names)
        exec(code, namespace)  # noqa: S102 - source made by _gen: names and operators only, no seller text
    except Exception:  # e.g. too deeply nested for Python's parser: the closures evaluate it
        return None
    fn: Callable[[Any], bool] = namespace["matches"]
    fn.__name__ = "fast_matches"
    return fn


def _word(name: Any) -> str:
    if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)):
        raise _Unsupported(f"name {name!r}")
    return name


def _var(name: str) -> str:
    return "_v_" + _word(name)


def _closure(node: Any, bound: frozenset[str], src: _Source) -> str:
    """A call of the closure of ``node`` (with the comprehension variables in scope as its env)."""
    fn = src.name(_compile(node, bound))
    if not bound:
        return f"{fn}(f, _EMPTY)"
    return f"{fn}(f, {{{', '.join(f'{n!r}: {_var(n)}' for n in sorted(bound))}}})"


def _gen(node: Any, bound: frozenset[str], src: _Source) -> str:  # noqa: C901 - one dispatch, as _compile
    if isinstance(node, ArrayExpression):
        if all(isinstance(m, re_ast.LiteralExpressionBase) and not isinstance(m, ArrayExpression) for m in node.value):
            return src.name(_compile(node, bound)(None, {}))
        return "(" + "".join(_gen(m, bound, src) + ", " for m in node.value) + ")"

    if isinstance(node, re_ast.LiteralExpressionBase) and not isinstance(node, SetExpression):
        return src.name(_compile(node, bound)(None, {}))

    if isinstance(node, SymbolExpression) and node.scope is None:
        return _var(node.name) if node.name in bound else f"f.{_word(node.name)}"

    if isinstance(node, GetAttributeExpression) and not node.safe:
        path = _field_path(node)
        if path is not None:
            root, *rest = [_word(part) for part in path.split(".")]
            return ".".join([_var(root) if root in bound else f"f.{root}", *rest])
        obj, name = _gen(node.object, bound, src), node.name
        obj_type = DataType.NULLABLE.unwrap(node.object.result_type)
        if DataType.is_type(obj_type, DataType.OBJECT):
            return f"({obj}).{_word(name)}"
        if name == "length":
            return f"len({obj})"
        if name == "is_empty":
            return f"(len({obj}) == 0)"
        if name == "as_lower":
            return f"({obj}).lower()"
        if name == "as_upper":
            return f"({obj}).upper()"
        raise _Unsupported(f"attribute {name}")

    if isinstance(node, LogicExpression) and node.type in ("and", "or"):
        return f"(True if ({_gen(node.left, bound, src)}) {node.type} ({_gen(node.right, bound, src)}) else False)"

    if isinstance(node, FuzzyComparisonExpression):
        return f"{src.name(_fuzzy(node))}({_gen(node.left, bound, src)})"

    if isinstance(node, ArithmeticComparisonExpression):
        left, right = _gen(node.left, bound, src), _gen(node.right, bound, src)
        if _same_scalar(node.left, node.right, (DataType.FLOAT, DataType.STRING)):
            return f"(({left}) {_PY_OPS[node.type]} ({right}))"
        op = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}[node.type]
        return f"_ordered({src.name(op)}, {left}, {right})"

    if isinstance(node, ComparisonExpression) and node.type in ("eq", "ne"):
        left, right = _gen(node.left, bound, src), _gen(node.right, bound, src)
        if _same_scalar(node.left, node.right, (DataType.STRING, DataType.BOOLEAN)) \
                and _constant(node.right) is not _NO_CONSTANT:
            return f"(({left}) {'==' if node.type == 'eq' else '!='} ({right}))"
        return f"_eq({left}, {right})" if node.type == "eq" else f"(not _eq({left}, {right}))"

    if isinstance(node, ContainsExpression):
        container, member = _gen(node.container, bound, src), _gen(node.member, bound, src)
        if DataType.NULLABLE.unwrap(node.container.result_type) == DataType.STRING:
            return f"_substring({container}, {member})"
        return f"(({member}) in ({container}))"

    if isinstance(node, UnaryExpression):
        right = _gen(node.right, bound, src)
        if node.type == "not":
            return f"(not ({right}))"
        return f"{src.name(DECIMAL.minus)}(_number({right}))"

    if isinstance(node, CoalesceExpression) and _constant(node.right) is not _NO_CONSTANT:
        default = _gen(node.right, bound, src)
        return f"{src.name(_coalesce)}({_gen(node.left, bound, src)}, {default})"

    if isinstance(node, TernaryExpression):
        cond, yes, no = (_gen(n, bound, src) for n in (node.condition, node.case_true, node.case_false))
        return f"(({yes}) if ({cond}) else ({no}))"

    if isinstance(node, (AddExpression, SubtractExpression, ArithmeticExpression)):
        arith = src.name(_ARITHMETIC[node.type])
        return f"{arith}(_number({_gen(node.left, bound, src)}), _number({_gen(node.right, bound, src)}))"

    if isinstance(node, ComprehensionExpression):
        return f"tuple({_comprehension(node, bound, src)})"

    if isinstance(node, FunctionCallExpression):
        line_test = _line_value_test(node, bound, src)
        if line_test is not None:
            return line_test
        impl = src.name(_BUILTINS[node.function.name])
        (arg,) = node.arguments
        if isinstance(arg, ComprehensionExpression):  # the list straight into the builtin: no tuple copy
            return f"{impl}({_comprehension(arg, bound, src)})"
        return f"{impl}({_gen(arg, bound, src)})"

    return _closure(node, bound, src)  # item access, safe navigation, ?? with a computed default


def _comprehension(node: Any, bound: frozenset[str], src: _Source) -> str:
    """``[result for var in iterable if condition]`` (the variable bound in result and condition only)."""
    iterable = _gen(node.iterable, bound, src)
    inner = bound | {node.variable}
    result = _gen(node.result, inner, src)
    keep = f" if ({_gen(node.condition, inner, src)})" if node.condition is not None else ""
    return f"[({result}) for {_var(node.variable)} in ({iterable}){keep}]"


def _coalesce(value: Any, default: Any) -> Any:
    return default if value is None else value


def _line_value_test(node: Any, bound: frozenset[str], src: _Source) -> str | None:
    """``$any([line.F == "x" for line in lines])`` / ``$all(...)``, the commonest seller test, as a set test
    on the order's values of F (`_line_values`, worked out once per order for all its rules), or None.

    The same answer: F is a text field every line has and the comparison is text against a constant,
    so no element can fail and == is set membership; ``$all`` of no lines is true as ``set() <= {x}``."""
    (arg,) = node.arguments
    if node.function.name not in ("any", "all") or not isinstance(arg, ComprehensionExpression) \
            or arg.condition is not None or "lines" in bound:
        return None
    test, iterable = arg.result, arg.iterable
    if not (isinstance(iterable, SymbolExpression) and iterable.scope is None and iterable.name == "lines"):
        return None
    if not (type(test) is ComparisonExpression and test.type == "eq"
            and _same_scalar(test.left, test.right, (DataType.STRING,))
            and _constant(test.right) is not _NO_CONSTANT):
        return None
    path = _field_path(test.left)
    if path is None or path.count(".") != 1 or path.partition(".")[0] != arg.variable:
        return None
    field, value = _word(path.partition(".")[2]), src.name(_constant(test.right))
    values = f"{src.name(_line_values)}(f.lines, {field!r})"
    return f"({value} in {values})" if node.function.name == "any" else f"({values} <= {{{value}}})"


# The values of one field over the lines of the order being evaluated (one order at a time per thread,
# usually): (lines, {field: values}). Held by identity, so only for the immutable tuple of frozen lines.
_last_lines: tuple[Any, dict[str, frozenset[Any]]] = ((), {})


def _line_values(lines: Any, field: str) -> frozenset[Any]:
    global _last_lines
    held = _last_lines
    if held[0] is not lines:
        if type(lines) is not tuple:
            return frozenset(getattr(line, field) for line in lines)
        held = _last_lines = (lines, {})
    values = held[1].get(field)
    if values is None:
        values = held[1][field] = frozenset(getattr(line, field) for line in lines)
    return values

"""Compile a rule condition with rule-engine against the typed facts, or say precisely why not.

Everything a seller can get wrong is caught here, at save time: syntax errors,
unknown fields (with a close-match suggestion), type mismatches (a number
compared with text), nullable fields used without a default, regexes that do
not compile, and conditions that are not true/false. Each problem carries the
character offset, line and column in the condition.

Python's ``any(x for v in xs)`` / ``all(...)`` is accepted as a convenience and
rewritten to rule-engine's ``$any([x for v in xs])``; positions in error
messages still point into the text the seller wrote.
"""

from __future__ import annotations

import decimal
import difflib
import re
from dataclasses import dataclass, fields
from collections.abc import Generator
from typing import Any, Callable

import rule_engine
from rule_engine import DataType, errors as re_errors
from rule_engine.ast.binary.comparison import FuzzyComparisonExpression
from rule_engine.ast.expression.resolution import FunctionCallExpression, SymbolExpression
from rule_engine.ast.literal import StringExpression

from omnialloc.rules.errors import RuleProblem, locate
from omnialloc.rules.facts import REPRESENTATIVE_FACTS, ROOTS, attributes_of, field_paths
from omnialloc.rules.fast import DECIMAL, ConditionError, children, compile_fast, contains_regex, explain_error
from omnialloc.rules.regex import PatternRefused, compile_pattern

MAX_CONDITION_CHARS = 4000


def _object_type(name: str, cls: type) -> Any:
    return DataType.OBJECT.from_dataclass(name, cls)


def _type_map() -> dict[str, Any]:
    return {
        "order": _object_type("order", ROOTS["order"]),
        "ship_to": _object_type("ship_to", ROOTS["ship_to"]),
        "lines": DataType.ARRAY(_object_type("line", ROOTS["lines"])),
        "customer": _object_type("customer", ROOTS["customer"]),
    }


# One context for the process: compile-time type information, attribute access on dataclasses, and
# the decimal context both evaluators compute in (`fast.DECIMAL`: one arithmetic).
CONTEXT = rule_engine.Context(
    type_resolver=rule_engine.type_resolver_from_dict(_type_map()),
    resolver=rule_engine.resolve_attribute,
    default_timezone="utc",
    decimal_context=DECIMAL,
)

_BUILTIN_NAMES = {"any", "all", "sum", "max", "min", "abs", "map", "filter", "range", "split"}
# Functions a condition may call: each runs in time linear in an order's size. $range, $random,
# $now, $today, $parse_* and $split are left out: a rule must be a pure, bounded test of the order.
FUNCTIONS = ("any", "all", "sum", "min", "max", "abs")
_REFUSED_BUILTINS = {
    "now": "a rule must give the same answer for the same order; use order.created_hour or order.created_weekday",
    "today": "a rule must give the same answer for the same order; use order.created_weekday",
    "random": "a rule must give the same answer for the same order",
    "range": "build lists from the order's own fields, e.g. [line.qty for line in lines]",
    "re_groups": "a rule tests the order; it cannot read back what a pattern captured",
}

MAX_NESTING = 24        # brackets inside brackets
MAX_OPERATORS = 200     # operators in one condition (longer chains: split the rule or use `in [...]`)
MAX_PREFIX_CHAIN = 8    # `not not not ...` / `- - -`


@dataclass
class CompiledCondition:
    text: str                       # as the seller wrote it
    source: str                     # as handed to rule-engine (after the any/all rewrite)
    rule: rule_engine.Rule
    matches: Callable[[Any], bool]  # the evaluator (`fast`; rule-engine's interpreter for what it does not cover)
    fast: bool                      # whether `matches` is the compiled closure evaluator


class ConditionInvalid(Exception):
    def __init__(self, problem: RuleProblem):
        super().__init__(problem.text())
        self.problem = problem


def compile_condition(text: str) -> CompiledCondition:
    """Compile ``text`` or raise ``ConditionInvalid`` carrying one precise ``RuleProblem``.

    Refused here, so that a stored rule always runs: syntax and type errors, unknown fields,
    attributes and functions, nesting beyond `MAX_NESTING`, regular expressions RE2 cannot run,
    and any condition that raises on one of the representative orders (`REPRESENTATIVE_FACTS`).
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionInvalid(_problem(text or "", "the condition is empty; write e.g. order.value > 500000 "
                                                    "(or true to match every order)", None))
    if len(text) > MAX_CONDITION_CHARS:
        raise ConditionInvalid(_problem(text, f"the condition is {len(text)} characters long; the limit is "
                                              f"{MAX_CONDITION_CHARS}", MAX_CONDITION_CHARS))
    shape = _shape_problem(text)
    if shape is not None:
        raise ConditionInvalid(shape)
    source, to_original = _rewrite_generators(text)
    try:
        with decimal.localcontext(DECIMAL):  # constants are folded while parsing: in the same context
            rule = rule_engine.Rule(source, context=CONTEXT)
    except re_errors.EngineError as exc:
        raise ConditionInvalid(_explain(exc, text, source, to_original)) from None
    except RecursionError:
        raise ConditionInvalid(_too_deep(text)) from None
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise ConditionInvalid(_problem(text, f"the condition cannot be compiled: {exc}", 0)) from None
    result = rule.statement.expression.result_type
    if result != DataType.BOOLEAN and result != DataType.UNDEFINED:
        what = _human_type(result)
        hint = None
        if DataType.is_type(result, DataType.ARRAY):
            hint = "a list is not a condition: wrap it as $any([...]) or test [...].length > 0"
        raise ConditionInvalid(_problem(text, f"the condition gives {what}, not true/false", 0, hint=hint))
    found = _audit(rule.statement.expression, text)
    if found is not None:
        raise ConditionInvalid(found)
    mismatch = _equality_mismatch(rule.statement.expression)
    if mismatch:
        raise ConditionInvalid(_type_problem(re_errors.EvaluationError("data type mismatch"), text))
    fast = compile_fast(rule)
    if fast is None and contains_regex(rule.statement.expression):
        raise ConditionInvalid(_problem(
            text, "this condition combines a regular expression with something only rule-engine's interpreter "
                  "evaluates, which runs patterns without a time bound", _regex_at(text),
            hint="keep to comparisons, in, and/or/not, ??, comprehensions, .length, .as_lower and "
                 "$any/$all/$sum/$min/$max/$abs next to =~"))
    matches = fast or _interpreted(rule)
    problem = _fails_on_representatives(matches, text)
    if problem is not None:
        raise ConditionInvalid(problem)
    return CompiledCondition(text=text, source=source, rule=rule, matches=matches, fast=fast is not None)


def _interpreted(rule: rule_engine.Rule) -> Callable[[Any], bool]:
    """rule-engine's interpreter for conditions the closure evaluator does not cover (never with a regex)."""
    def matches(facts: Any) -> bool:
        try:
            return bool(rule.matches(facts))
        except Exception as exc:
            raise ConditionError(explain_error(exc)) from None
    return matches


# ------------------------------------------------------------------ any(...) / all(...) rewrite
_GEN_START = re.compile(r"(?<![\w$.])(any|all)\s*\(")


def _rewrite_generators(text: str) -> tuple[str, list[int]]:
    """Rewrite ``any(expr for v in xs)`` to ``$any([expr for v in xs])``.

    Returns the new text and, for each character of it, the offset in the
    original (so errors point at what the seller wrote).
    """
    out: list[str] = []
    mapping: list[int] = []
    i = 0
    while True:
        m = _GEN_START.search(text, i)
        if m is None:
            break
        close = _matching_paren(text, m.end() - 1)
        inner = text[m.end():close] if close is not None else ""
        if close is None or _inside_string(text, m.start()) or not re.search(r"\bfor\b.+\bin\b", inner) \
                or inner.lstrip().startswith("["):
            out.append(text[i:m.end()])
            mapping.extend(range(i, m.end()))
            i = m.end()
            continue
        out.append(text[i:m.start()])
        mapping.extend(range(i, m.start()))
        name = m.group(1)
        out.append("$" + name + "([")
        mapping.extend([m.start()] * (len(name) + 3))
        # recurse into the inner text so nested any/all work too
        inner_src, inner_map = _rewrite_generators(inner)
        out.append(inner_src)
        mapping.extend(m.end() + k for k in inner_map)
        out.append("])")
        mapping.extend([close, close])
        i = close + 1
    out.append(text[i:])
    mapping.extend(range(i, len(text)))
    mapping.append(len(text))  # one past the end: errors "at EOF"
    return "".join(out), mapping


def _unquoted(text: str, start: int = 0, stop: int | None = None) -> Generator[tuple[int, str], None, bool]:
    """Yield (index, char) of the characters outside string literals (escapes honoured), and at the
    end whether ``stop`` fell inside a string."""
    quote, k, stop = None, start, len(text) if stop is None else stop
    while k < stop:
        ch = text[k]
        if quote:
            if ch == "\\":
                k += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        else:
            yield k, ch
        k += 1
    return quote is not None


def _matching_paren(text: str, open_at: int) -> int | None:
    depth = 0
    for k, ch in _unquoted(text, open_at):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return int(k)
    return None


# ------------------------------------------------------------------ shape, functions, patterns, trial runs
_WORD_OPS = {"and", "or", "not", "in", "if", "for"}
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_SYMBOL_OPS = re.compile(r"==|!=|<=|>=|=~~|!~~|=~|!~|\?\?|&\.|&\[|\*\*|//|[<>+\-*/%?:]")


def _shape_problem(text: str) -> RuleProblem | None:
    """Nesting and size limits, checked on the text before parsing (the parser recurses per level):
    each refusal names the column where the limit is crossed."""
    depth, operators, chain = 0, 0, 0
    k = 0
    unquoted = dict(_unquoted(text))
    while k < len(text):
        ch = unquoted.get(k)
        if ch is None:      # inside a string literal
            k += 1
            continue
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                return _problem(text, f"nested too deep at column {locate(text, k)[1]}: at most {MAX_NESTING} "
                                      "levels of brackets", k,
                                hint="split the condition into several rules, or name the parts with "
                                     "comprehensions instead of nesting brackets")
            chain = 0
            k += 1
            continue
        if ch in ")]}":
            depth -= 1
            k += 1
            continue
        word = _WORD.match(text, k)
        if word:
            w = word.group(0)
            if w in _WORD_OPS:
                operators += 1
                chain = chain + 1 if w == "not" else 0
            else:
                chain = 0
            if chain > MAX_PREFIX_CHAIN:
                return _problem(text, f"nested too deep at column {locate(text, k)[1]}: more than "
                                      f"{MAX_PREFIX_CHAIN} 'not' in a row", k, hint="two 'not' cancel out")
            k += len(w)
        else:
            op = _SYMBOL_OPS.match(text, k)
            if op:
                operators += 1
                if op.group(0) == "-" and _prefix_position(text, k, unquoted):
                    chain += 1
                    if chain > MAX_PREFIX_CHAIN:
                        return _problem(text, f"nested too deep at column {locate(text, k)[1]}: more than "
                                              f"{MAX_PREFIX_CHAIN} signs in a row", k)
                else:
                    chain = 0
                k += len(op.group(0))
            else:
                if not ch.isspace():
                    chain = 0
                k += 1
        if operators > MAX_OPERATORS:
            return _problem(text, f"the condition has more than {MAX_OPERATORS} operators (the limit is crossed "
                                  f"at column {locate(text, k)[1]})", k,
                            hint='test a field against a list with in ["A", "B", ...] instead of a chain of '
                                 "or, or split the condition into several rules")
    return None


def _prefix_position(text: str, k: int, unquoted: dict[int, str]) -> bool:
    """Whether the '-' at ``k`` is a sign (nothing or an operator before it), not a subtraction."""
    j = k - 1
    while j >= 0 and unquoted.get(j, "x").isspace():
        j -= 1
    if j < 0:
        return True
    prev = unquoted.get(j)
    if prev is None:
        return False  # a string literal ends there: "a" - ...
    return prev in "([{,=<>!?:+-*/%~&|" or re.search(r"\b(and|or|not|in|if)$", text[:j + 1]) is not None


def _too_deep(text: str) -> RuleProblem:
    """The parser ran out of stack: point at the deepest bracket."""
    depth, deepest, at = 0, 0, 0
    for k, ch in _unquoted(text):
        if ch in "([{":
            depth += 1
            if depth > deepest:
                deepest, at = depth, k
        elif ch in ")]}":
            depth -= 1
    return _problem(text, f"nested too deep at column {locate(text, at)[1]}", at,
                    hint="split the condition into several rules")


def _audit(node: Any, text: str) -> RuleProblem | None:
    """Functions that exist and are allowed, and patterns RE2 can run: what rule-engine lets through."""
    if isinstance(node, SymbolExpression) and node.scope is not None:
        return _builtin_problem(node.name, text)
    if isinstance(node, FunctionCallExpression):
        fn = node.function
        if isinstance(fn, SymbolExpression) and fn.scope is not None:
            problem = _builtin_problem(fn.name, text, called=True)
            if problem is not None:
                return problem
            for arg in node.arguments:
                found = _audit(arg, text)
                if found is not None:
                    return found
            return None
    if isinstance(node, FuzzyComparisonExpression):
        if not isinstance(node.right, StringExpression):
            return _problem(text, "the pattern after a regular-expression operator must be quoted text",
                            _regex_at(text), hint='e.g. ship_to.pin =~ "^78"')
        pattern = node.right.value
        try:
            compile_pattern(pattern, anchored=True)
        except PatternRefused as exc:
            return _problem(text, f"the regular expression {pattern!r} cannot be used: {exc.reason}",
                            _pattern_at(text, pattern),
                            hint="patterns run on RE2 (linear time): no back-references or look-around")
    for child in children(node):
        found = _audit(child, text)
        if found is not None:
            return found
    return None


def _builtin_problem(name: str, text: str, called: bool = False) -> RuleProblem | None:
    if name in FUNCTIONS and called:
        return None
    at = _dollar_at(text, name)
    if name in _REFUSED_BUILTINS:
        return _problem(text, f"${name} cannot be used in a rule", at, hint=_REFUSED_BUILTINS[name])
    if name in FUNCTIONS:
        return _problem(text, f"${name} is a function: call it on a list", at,
                        hint=f"e.g. ${name}([line.qty for line in lines])")
    close = difflib.get_close_matches(name, FUNCTIONS, n=1, cutoff=0.5)
    return _problem(text, f"unknown function ${name}", at, suggestion=f"${close[0]}" if close else None,
                    hint="functions: " + ", ".join("$" + f for f in FUNCTIONS))


def _dollar_at(text: str, name: str) -> int | None:
    for m in re.finditer(r"\$" + re.escape(name) + r"(?!\w)", text):
        if not _inside_string(text, m.start()):
            return m.start()
    return None


def _regex_at(text: str) -> int | None:
    for m in re.finditer(r"[=!]~~?", text):
        if not _inside_string(text, m.start()):
            return m.start()
    return None


def _pattern_at(text: str, pattern: str) -> int | None:
    """Offset of the first character of ``pattern``'s literal (the one after a regex operator)."""
    first = None
    for m in re.finditer(r"[=!]~~?\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')", text):
        if _inside_string(text, m.start()):
            continue
        raw = m.group(1)[1:-1]
        if first is None:
            first = m.start(1) + 1
        if re.sub(r"\\(.)", r"\1", raw) == pattern or raw == pattern:
            return m.start(1) + 1
    return first if first is not None else _regex_at(text)


def _fails_on_representatives(matches: Callable[[Any], bool], text: str) -> RuleProblem | None:
    """Run the condition on orders of every shape it will meet (one line and several, no tags, no
    promise, COD and prepaid, ...): a condition that raises on any of them would fail on real orders."""
    for label, facts in REPRESENTATIVE_FACTS:
        try:
            matches(facts)
        except ConditionError as exc:
            return _problem(text, f"the condition fails on {label}: {exc}", _failure_at(text, str(exc)),
                            hint=_failure_hint(str(exc)))
    return None


def _failure_at(text: str, message: str) -> int:
    if "index" in message:
        m = re.search(r"\[\s*-?\d", text)
        if m and not _inside_string(text, m.start()):
            return m.start()
    if "division" in message or "arithmetic" in message:
        for m in re.finditer(r"//|/|%", text):
            if not _inside_string(text, m.start()):
                return m.start()
    if "$min" in message or "$max" in message:
        m = re.search(r"\$(min|max)", text)
        if m:
            return m.start()
    return 0


def _failure_hint(message: str) -> str | None:
    if "index" in message:
        return "guard it: lines.length > 1 and lines[1].qty > 2, or test every line with $any([...])"
    if "division" in message:
        return "guard the divisor: order.line_count > 0 and order.value / order.line_count > 1000"
    if "$min" in message or "$max" in message:
        return "guard the list: [...].length > 0 and $max([...]) > 2"
    return None


# ------------------------------------------------------------------ error explanations
def _problem(text: str, message: str, offset: int | None, *, suggestion: str | None = None,
             hint: str | None = None) -> RuleProblem:
    line, column = locate(text, offset)
    return RuleProblem("condition", message, offset, line, column, suggestion, hint)


def _explain(exc: re_errors.EngineError, text: str, source: str, to_original: list[int]) -> RuleProblem:
    def orig(offset: int | None) -> int | None:
        if offset is None:
            return None
        return to_original[min(max(offset, 0), len(to_original) - 1)]

    if isinstance(exc, re_errors.RegexSyntaxError):
        return _regex_problem(exc, text)
    if isinstance(exc, re_errors.RuleSyntaxError):
        return _syntax_problem(exc, text, source, orig)
    if isinstance(exc, re_errors.SymbolResolutionError):
        return _symbol_problem(exc.symbol_name, text)
    if isinstance(exc, re_errors.AttributeResolutionError):
        return _attribute_problem(exc.attribute_name, text)
    if isinstance(exc, re_errors.StringSyntaxError | re_errors.FloatSyntaxError | re_errors.DatetimeSyntaxError
                  | re_errors.TimedeltaSyntaxError | re_errors.BytesSyntaxError):
        value = getattr(exc, "value", "")
        at = text.find(str(value)) if value else -1
        return _problem(text, f"{exc.message}: {value!r}", at if at >= 0 else None)
    if isinstance(exc, re_errors.FunctionCallError):
        return _problem(text, f"function call problem: {exc.message}", None)
    if isinstance(exc, re_errors.EvaluationError):
        return _type_problem(exc, text)
    return _problem(text, exc.message or type(exc).__name__, None)


def _regex_problem(exc: re_errors.RegexSyntaxError, text: str) -> RuleProblem:
    pattern = exc.value or ""
    at = None
    for quote in ('"', "'"):
        k = text.find(quote + pattern + quote)
        if k >= 0:
            at = k + 1 + (exc.error.pos or 0 if exc.error is not None else 0)
            break
    reason = exc.error.msg if exc.error is not None else "invalid"
    return _problem(text, f"the regular expression {pattern!r} does not compile: {reason}", at,
                    hint="check brackets and escape special characters with \\\\")


def _syntax_problem(exc: re_errors.RuleSyntaxError, text: str, source: str, orig: Any) -> RuleProblem:
    token = exc.token
    if token is None:
        tail = text.rstrip()[-30:]
        return _problem(text, f"the condition ends too early, after {tail!r}", len(text.rstrip()),
                        hint="something is missing at the end: a value after an operator, or a closing bracket")
    at = orig(getattr(token, "lexpos", None))
    value = str(getattr(token, "value", ""))
    message = exc.message
    suggestion, hint = None, None
    if value.startswith("=") and not value.startswith("=="):
        message, hint = "a single '=' is not a comparison", "write == to compare"
    elif value[:1] in ("&", "|"):
        message, hint = f"{value[:1]!r} is not an operator here", "write and / or"
    elif getattr(token, "type", "") == "error":
        message = f"unexpected character {value[:1]!r}"
    else:
        message = f"unexpected {value!r}"
    return _problem(text, message, at, suggestion=suggestion, hint=hint)


def _identifier_at(text: str, name: str, *, attribute: bool) -> int | None:
    pattern = (r"\.\s*" if attribute else r"(?<![\w.$])") + re.escape(name) + r"(?!\w)"
    for m in re.finditer(pattern, text):
        if not _inside_string(text, m.start()):
            return m.end() - len(name)
    return None


def _inside_string(text: str, pos: int) -> bool:
    scan = _unquoted(text, 0, pos)
    while True:
        try:
            next(scan)
        except StopIteration as done:
            return bool(done.value)


def _symbol_problem(name: str, text: str) -> RuleProblem:
    at = _identifier_at(text, name, attribute=False)
    if name in _BUILTIN_NAMES:
        return _problem(text, f"{name!r} is a built-in function and is written with a $", at,
                        suggestion=f"${name}", hint=f"e.g. ${name}([line.qty > 5 for line in lines])")
    roots = list(ROOTS)
    close = difflib.get_close_matches(name, roots, n=1, cutoff=0.6)
    if not close:
        # "value" instead of "order.value": suggest the dotted path that ends like it
        ends = [p for p in field_paths() if p.split(".")[-1] == name]
        if ends:
            return _problem(text, f"unknown field {name!r}; fields sit under order, ship_to, lines or customer", at,
                            suggestion=ends[0].replace("lines[]", "line"))
        close_paths = difflib.get_close_matches(name, [p.split(".")[-1] for p in field_paths()], n=1, cutoff=0.75)
        if close_paths:
            path = next(p for p in field_paths() if p.split(".")[-1] == close_paths[0])
            return _problem(text, f"unknown field {name!r}", at, suggestion=path.replace("lines[]", "line"))
    return _problem(text, f"unknown field {name!r}", at, suggestion=close[0] if close else None,
                    hint=None if close else "a condition starts from order, ship_to, lines or customer")


def _attribute_problem(name: str, text: str) -> RuleProblem:
    at = _identifier_at(text, name, attribute=True)
    owner = path = None
    if at is not None:
        m = re.search(r"([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*\.\s*$", text[:at])
        path = re.sub(r"\s+", "", m.group(1)) if m else None
        owner = path.split(".")[-1] if path else None
    if path and "." in path:  # a field's own attribute, e.g. order.channel.foo
        kind = _PATH_TYPES.get(path) or _PATH_TYPES.get("line." + path.split(".", 1)[1], "a value")
        has = _VALUE_ATTRIBUTES.get(kind.split(" ")[0] if kind.startswith("list") else kind, ())
        close = difflib.get_close_matches(name, has, n=1, cutoff=0.5)
        return _problem(text, f"{path} is {kind} and has no field {name!r}", at,
                        suggestion=f"{path}.{close[0]}" if close else None,
                        hint=f"{kind} has: {', '.join(has)}" if has else "compare it directly, e.g. with == or >")
    if owner == "lines":
        return _problem(text, f"lines is a list, it has no field {name!r}", at,
                        hint=f"look inside it: $any([line.{name} ... for line in lines])")
    if owner in ROOTS:
        options, label = attributes_of(owner), owner
    else:  # a comprehension variable (e.g. `line`): its fields are a line's
        options, label = attributes_of("lines"), owner or "line"
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return _problem(text, f"unknown field {name!r} of {label}", at,
                    suggestion=f"{label}.{close[0]}" if close else None,
                    hint=None if close else f"{label} has: {', '.join(options)}")


# --- type mismatches: rule-engine says "data type mismatch" without a place; find the comparison at fault.
_TOKEN = re.compile(r"""
    (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<num>\b\d+(?:\.\d+)?\b)
  | (?P<kw>\b(?:true|false|null|and|or|not|in|for|if)\b)
  | (?P<path>[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)
  | (?P<op>==|!=|<=|>=|=~~|!~~|=~|!~|<|>|\?\?)
  | (?P<lst>\[)
""", re.X)

_PATH_TYPES = {p.replace("lines[]", "line"): t for p, t in field_paths().items()}
_PATH_TYPES.update({"lines": "list of lines", "order.tags": "list of text"})
# What the evaluator offers on a field's value (the attributes `fast` covers).
_VALUE_ATTRIBUTES = {"text": ("length", "is_empty", "as_lower", "as_upper"), "list": ("length", "is_empty")}


def _lexeme_type(kind: str, value: str, text_vars: set[str]) -> str | None:
    if kind == "str":
        return "text"
    if kind == "num":
        return "number"
    if kind == "kw" and value in ("true", "false"):
        return "true/false"
    if kind == "lst":
        return "list"
    if kind == "path":
        path = re.sub(r"\s+", "", value)
        root, _, rest = path.partition(".")
        if root in text_vars:
            path = "line." + rest if rest else "line"
        return _PATH_TYPES.get(path)
    return None


def _type_problem(exc: re_errors.EvaluationError, text: str) -> RuleProblem:
    message = exc.message or "type mismatch"
    if "nullable" in message:
        at = _identifier_at(text, "promised_days", attribute=True)
        return _problem(text, "order.promised_days is null for orders without a delivery promise and cannot be "
                              "compared directly", at,
                        hint="give it a default: (order.promised_days ?? 99) <= 2")
    comp_vars = set(re.findall(r"\bfor\s+([A-Za-z_]\w*)\s+in\b", text))
    toks = [(str(m.lastgroup), m.group(str(m.lastgroup)), m.start()) for m in _TOKEN.finditer(text)
            if not _inside_string(text, m.start())]
    precedence = _precedence_problem(text, toks)
    if precedence is not None:
        return precedence
    for i, (kind, value, pos) in enumerate(toks):
        if kind != "op" and not (kind == "kw" and value == "in"):
            continue
        if i == 0 or i + 1 >= len(toks):
            continue
        left = _lexeme_type(*toks[i - 1][:2], comp_vars)
        right = _lexeme_type(*toks[i + 1][:2], comp_vars)
        if left is None or right is None:
            continue
        if value == "in":
            ok = right.startswith("list") or (right == "text" and left == "text")
            if not ok:
                return _problem(text, f"'in' needs a list (or text) on its right, got {right} "
                                      f"({toks[i + 1][1]!r})", toks[i + 1][2],
                                hint='e.g. ship_to.state in ["TN", "KL"]')
            if right == "list" and i + 2 < len(toks):
                member = _lexeme_type(*toks[i + 2][:2], comp_vars)
                if member is not None and left in ("text", "number", "true/false") and member != left:
                    return _problem(text, f"{toks[i - 1][1]} is {left} but the list holds {member}", toks[i + 2][2],
                                    hint="quote text values: [\"TN\", \"KL\"]" if left == "text" else None)
            elif right.startswith("list of ") and left != right[len("list of "):] and left in (
                    "text", "number", "true/false"):
                return _problem(text, f"{toks[i + 1][1]} holds {right[len('list of '):]}, not {left}", pos)
            continue
        if value in ("=~", "!~", "=~~", "!~~"):
            if left != "text" or right != "text":
                return _problem(text, f"{value} matches text against a regular expression, got {left} and {right}",
                                pos, hint='e.g. ship_to.pin =~ "^78"')
            continue
        if value == "??":
            continue
        if left != right:
            if left.startswith("list") or right.startswith("list"):
                lst, other = (toks[i - 1][1], toks[i + 1][1]) if left.startswith("list") else (toks[i + 1][1],
                                                                                               toks[i - 1][1])
                return _problem(text, f"{lst} is a list and is never equal to a single value", pos,
                                hint=f"to test membership write {other} in {lst}")
            hint = None
            if left == "text" and right == "number":
                hint = f'put the value in quotes: {toks[i - 1][1]} {value} "{toks[i + 1][1]}"'
            elif left == "number" and right == "text" and re.fullmatch(r"[\"'][0-9.]+[\"']", toks[i + 1][1]):
                hint = f"drop the quotes: {toks[i - 1][1]} {value} {toks[i + 1][1].strip(chr(34) + chr(39))}"
            return _problem(text, f"{toks[i - 1][1]!s} is {left} but is compared with {right} "
                                  f"({toks[i + 1][1]})", pos, hint=hint)
    return _problem(text, f"type mismatch: {message}", None,
                    hint="compare numbers with numbers and text with text; fields: "
                         + ", ".join(f"{p} ({t})" for p, t in field_paths().items()))


_COMPARISON_OPS = {"==", "!=", "<=", ">=", "<", ">", "=~", "!~", "=~~", "!~~"}


def _precedence_problem(text: str, toks: list[tuple[str, str, int]]) -> RuleProblem | None:
    """``a ?? 99 > 2`` reads as ``a ?? (99 > 2)``: comparisons bind tighter than ``??``."""
    for i, (kind, value, pos) in enumerate(toks):
        if value != "??" or i == 0 or i + 2 >= len(toks):
            continue
        after = toks[i + 2]
        if after[0] == "op" and after[1] in _COMPARISON_OPS and after[1] != "??":
            left, default = toks[i - 1][1], toks[i + 1][1]
            end = after[2] + len(after[1])
            rest = text[end:].strip().split()[0] if text[end:].strip() else "..."
            fixed = f"({left} ?? {default}) {after[1]} {rest}"
            return _problem(text, f"'??' binds more loosely than {after[1]!r}: this reads as "
                                  f"{left} ?? ({default} {after[1]} {rest})", pos, suggestion=fixed,
                            hint="put the default in brackets before comparing")
    return None


def _equality_mismatch(node: Any) -> bool:
    """``==``/``!=`` between a number and text (or true/false) compiles in rule-engine but can never be true."""
    from rule_engine.ast.binary.comparison import ArithmeticComparisonExpression, ComparisonExpression, \
        FuzzyComparisonExpression

    from rule_engine.ast.expression.access import ContainsExpression

    scalars = (DataType.FLOAT, DataType.STRING, DataType.BOOLEAN)
    if isinstance(node, ComparisonExpression) and not isinstance(
            node, (ArithmeticComparisonExpression, FuzzyComparisonExpression)):
        a = DataType.NULLABLE.unwrap(node.left.result_type)
        b = DataType.NULLABLE.unwrap(node.right.result_type)
        if a in scalars and b in scalars and a != b:
            return True
        if (DataType.is_type(a, DataType.ARRAY) and b in scalars) or (DataType.is_type(b, DataType.ARRAY)
                                                                       and a in scalars):
            return True
    if isinstance(node, ContainsExpression) and DataType.is_type(node.container.result_type, DataType.ARRAY):
        member = DataType.NULLABLE.unwrap(node.member.result_type)
        value = getattr(node.container.result_type, "value_type", DataType.UNDEFINED)
        if member in scalars and value in scalars and member != value:
            return True
    return any(_equality_mismatch(c) for c in children(node))


def _human_type(t: Any) -> str:
    name = getattr(t, "name", str(t))
    return {"FLOAT": "a number", "STRING": "text", "ARRAY": "a list", "NULL": "null", "OBJECT": "an object"}.get(
        name, name.lower())


__all__ = ["CONTEXT", "CompiledCondition", "ConditionInvalid", "compile_condition", "fields"]

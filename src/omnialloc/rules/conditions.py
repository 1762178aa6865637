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

import difflib
import re
from dataclasses import dataclass, fields
from typing import Any, Callable

import rule_engine
from rule_engine import DataType, errors as re_errors

from omnialloc.rules.errors import RuleProblem, locate
from omnialloc.rules.facts import ROOTS, attributes_of, field_paths

MAX_CONDITION_CHARS = 4000


def _object_type(name: str, cls: type):
    return DataType.OBJECT.from_dataclass(name, cls)


def _type_map() -> dict[str, Any]:
    return {
        "order": _object_type("order", ROOTS["order"]),
        "ship_to": _object_type("ship_to", ROOTS["ship_to"]),
        "lines": DataType.ARRAY(_object_type("line", ROOTS["lines"])),
        "customer": _object_type("customer", ROOTS["customer"]),
    }


# One context for the process: compile-time type information plus attribute access on dataclasses.
CONTEXT = rule_engine.Context(
    type_resolver=rule_engine.type_resolver_from_dict(_type_map()),
    resolver=rule_engine.resolve_attribute,
    default_timezone="utc",
)

_BUILTIN_NAMES = {"any", "all", "sum", "max", "min", "abs", "map", "filter", "range", "split"}


@dataclass
class CompiledCondition:
    text: str                       # as the seller wrote it
    source: str                     # as handed to rule-engine (after the any/all rewrite)
    rule: rule_engine.Rule
    matches: Callable[[Any], bool]  # the fast evaluator (falls back to rule.matches)
    fast: bool                      # whether `matches` is the compiled fast path


class ConditionInvalid(Exception):
    def __init__(self, problem: RuleProblem):
        super().__init__(problem.text())
        self.problem = problem


def compile_condition(text: str) -> CompiledCondition:
    """Compile ``text`` or raise ``ConditionInvalid`` carrying one precise ``RuleProblem``."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionInvalid(_problem(text or "", "the condition is empty; write e.g. order.value > 500000 "
                                                    "(or true to match every order)", None))
    if len(text) > MAX_CONDITION_CHARS:
        raise ConditionInvalid(_problem(text, f"the condition is {len(text)} characters long; the limit is "
                                              f"{MAX_CONDITION_CHARS}", MAX_CONDITION_CHARS))
    source, to_original = _rewrite_generators(text)
    try:
        rule = rule_engine.Rule(source, context=CONTEXT)
    except re_errors.EngineError as exc:
        raise ConditionInvalid(_explain(exc, text, source, to_original)) from None
    except (RecursionError, ValueError, TypeError, ArithmeticError) as exc:
        raise ConditionInvalid(_problem(text, f"the condition cannot be compiled: {exc}", None)) from None
    result = rule.statement.expression.result_type
    if result != DataType.BOOLEAN and result != DataType.UNDEFINED:
        what = _human_type(result)
        hint = None
        if DataType.is_type(result, DataType.ARRAY):
            hint = "a list is not a condition: wrap it as $any([...]) or test [...].length > 0"
        raise ConditionInvalid(_problem(text, f"the condition gives {what}, not true/false", 0, hint=hint))
    mismatch = _equality_mismatch(rule.statement.expression)
    if mismatch:
        raise ConditionInvalid(_type_problem(re_errors.EvaluationError("data type mismatch"), text))
    from omnialloc.rules.fast import compile_fast

    fast = compile_fast(rule)
    return CompiledCondition(text=text, source=source, rule=rule, matches=fast or rule.matches, fast=fast is not None)


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


def _unquoted(text: str, start: int = 0, stop: int | None = None):
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
                return k
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


def _syntax_problem(exc: re_errors.RuleSyntaxError, text: str, source: str, orig) -> RuleProblem:
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
            return done.value


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
    owner = None
    if at is not None:
        m = re.search(r"([A-Za-z_]\w*)\s*\.\s*$", text[:at])
        owner = m.group(1) if m else None
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
    toks = [(m.lastgroup, m.group(m.lastgroup), m.start()) for m in _TOKEN.finditer(text)
            if not _inside_string(text, m.start())]
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


def _children(node) -> list:
    out = []
    for attr in ("expression", "left", "right", "object", "container", "member", "condition", "case_true",
                 "case_false", "iterable", "result", "function"):
        child = getattr(node, attr, None)
        if child is not None and hasattr(child, "evaluate"):
            out.append(child)
    for attr in ("arguments", "value"):
        seq = getattr(node, attr, None)
        if isinstance(seq, (list, tuple)):
            out.extend(c for c in seq if hasattr(c, "evaluate"))
    return out


def _equality_mismatch(node) -> bool:
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
    return any(_equality_mismatch(c) for c in _children(node))


def _human_type(t) -> str:
    name = getattr(t, "name", str(t))
    return {"FLOAT": "a number", "STRING": "text", "ARRAY": "a list", "NULL": "null", "OBJECT": "an object"}.get(
        name, name.lower())


__all__ = ["CONTEXT", "CompiledCondition", "ConditionInvalid", "compile_condition", "fields"]

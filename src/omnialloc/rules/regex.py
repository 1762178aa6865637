"""Regular expressions in rule conditions: RE2 (linear time), on a bounded input.

A seller's pattern runs on every order of every shop. Python's ``re`` backtracks:
``(a+)+$`` on a 29-character tag takes seconds and doubles per character, so one
order could hold a worker for longer than the server lives. RE2 (google-re2)
matches in time linear in the input, whatever the pattern; a pattern RE2 cannot
compile (back-references, look-around) is refused when the rule is saved.

Every value a pattern sees is cut to ``MAX_INPUT_CHARS`` first (longer than any
field an order has: tags are at most 50 characters, a city or a SKU code less
than 100), so the cost of one match has a fixed ceiling too.

``=~`` matches from the start of the text (``re.match``), ``=~~`` searches
anywhere (``re.search``), as rule-engine defines them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import re2

MAX_INPUT_CHARS = 256
MAX_PATTERN_CHARS = 500
# RE2's memory budget per compiled pattern: a pattern whose automaton needs more is refused
# when saved (e.g. a large counted repetition), instead of running slowly or failing later.
MAX_PROGRAM_BYTES = 1 << 20


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is an answer to the seller, not a log line
    options.max_mem = MAX_PROGRAM_BYTES
    return options


class PatternRefused(ValueError):
    """RE2 cannot compile the pattern; ``reason`` says why in RE2's words."""

    def __init__(self, pattern: str, reason: str):
        super().__init__(reason)
        self.pattern = pattern
        self.reason = reason


@dataclass(frozen=True)
class Pattern:
    """A compiled rule pattern: ``test(text)`` is True when it matches (``=~``) or is found (``=~~``)."""

    source: str
    anchored: bool
    test: Callable[[str], bool]
    engine: str = "re2"


def compile_pattern(source: str, *, anchored: bool) -> Pattern:
    """Compile ``source`` with RE2 or raise `PatternRefused` with a reason a seller can act on."""
    if len(source) > MAX_PATTERN_CHARS:
        raise PatternRefused(source, f"the pattern is {len(source)} characters; at most {MAX_PATTERN_CHARS}")
    try:
        compiled = re2.compile(source, options=_options())
    except re2.error as exc:
        raise PatternRefused(source, _reason(exc)) from None
    find = compiled.match if anchored else compiled.search
    limit = MAX_INPUT_CHARS

    def test(text: str) -> bool:
        return find(text[:limit]) is not None

    return Pattern(source, anchored, test)


def _reason(exc: Exception) -> str:
    raw = exc.args[0] if exc.args else str(exc)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if "invalid escape sequence: \\" in text and text[-1:].isdigit():
        return f"{text} (back-references are not supported)"
    if any(op in text for op in ("(?=", "(?!", "(?<=", "(?<!")):
        return f"{text} (look-ahead and look-behind are not supported)"
    if "pattern too large" in text:
        return f"{text} (use fewer or smaller repetition counts)"
    return text

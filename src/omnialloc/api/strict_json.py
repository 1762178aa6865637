"""Read a request body as JSON, strictly (RFC 8259), and safely for any input.

- UTF-8 only; a byte order mark is refused (RFC 8259 section 8.1: senders MUST NOT add
  one; a parser MAY ignore it, and we do not: a client that adds one sends other
  non-JSON too, and a body is either exactly JSON or refused);
- nesting deeper than ``max_depth`` is refused before the parser runs (Python's parser
  recurses: ~5,000 levels was a RecursionError, a 500);
- an object with the same key twice is refused (``json`` would keep the last one and
  silently drop the first);
- ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON and are refused;
- NUL (U+0000) in any string is refused: PostgreSQL cannot store it.

Pure: bytes in, a value or one of the exceptions below out. The API maps them to
400 (not JSON) and 422 (JSON, but not acceptable).
"""

from __future__ import annotations

import json
import re
from typing import Any

_BOM = b"\xef\xbb\xbf"
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


class NotJSON(ValueError):
    """The bytes are not one JSON text (400)."""


class Unacceptable(ValueError):
    """Valid JSON that the API will not read (422); ``field`` names the place."""

    def __init__(self, message: str, field: str = "body"):
        super().__init__(message)
        self.field = field


def loads(raw: bytes, *, max_depth: int) -> Any:
    if raw.startswith(_BOM):
        raise NotJSON("the body starts with a byte order mark (U+FEFF); JSON sent over a network must not "
                      "carry one (RFC 8259 section 8.1): send the UTF-8 bytes without it")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotJSON(f"the body is not valid UTF-8 (byte {exc.start}); JSON must be UTF-8 (RFC 8259)") from None
    _check_depth(text, max_depth)
    try:
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
    except Unacceptable:
        raise
    except json.JSONDecodeError as exc:
        raise NotJSON(f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise NotJSON(f"the body is not JSON the API can read: {exc}") from None
    if "\x00" in text or "\\u0000" in text.lower():
        _refuse_nul(value)
    return value


def _check_depth(text: str, max_depth: int) -> None:
    if text.count("{") + text.count("[") <= max_depth:  # cannot nest deeper: skip the scan (almost every body)
        return
    depth = 0
    for m in _TOKENS.finditer(text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                raise Unacceptable(f"the body nests arrays and objects deeper than {max_depth} levels")
        elif token in "]}":
            depth -= 1


def _object(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise Unacceptable(f"the key {key!r} appears twice in one JSON object; send it once", field=key)
            seen.add(key)
    return out


def _no_constant(name: str):
    raise NotJSON(f"{name} is not a JSON value (RFC 8259 has no NaN or Infinity)")


def _refuse_nul(value: Any) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if "\x00" in v:
                raise Unacceptable("must not contain NUL (U+0000) characters")
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)

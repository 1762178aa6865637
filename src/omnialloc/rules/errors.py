"""Why a rule cannot be accepted: each problem names the field, the place in the condition and a fix.

``InvalidRule`` is a ``ValidationFailed`` so the API answers 422 with the usual
error shape; the message of each field error already carries the line/column
and the suggestion, so a seller can act on it without reading docs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omnialloc.domain.errors import FieldError, ValidationFailed


@dataclass
class RuleProblem:
    field: str                      # "condition", "actions.0.nodes.1", "kind", ...
    message: str                    # what is wrong, in a seller's words
    offset: int | None = None       # 0-based character offset into the condition
    line: int | None = None
    column: int | None = None       # 1-based
    suggestion: str | None = None   # a replacement, e.g. "order.value"
    hint: str | None = None         # advice in a sentence, e.g. "write (order.promised_days ?? 99) <= 2"

    def text(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        out = f"{where}{self.message}"
        if self.suggestion:
            out += f"; did you mean {self.suggestion!r}?"
        if self.hint:
            out += f" ({self.hint})"
        return out

    def to_field_error(self) -> FieldError:
        return FieldError(self.field, self.text())

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "offset": self.offset, "line": self.line,
                "column": self.column, "suggestion": self.suggestion, "hint": self.hint}


def locate(text: str, offset: int | None) -> tuple[int | None, int | None]:
    """1-based (line, column) of a 0-based offset into ``text``."""
    if offset is None:
        return None, None
    offset = max(0, min(offset, len(text)))
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return line, column


class InvalidRule(ValidationFailed):
    title = "Invalid rule"

    def __init__(self, problems: list[RuleProblem], name: str | None = None):
        self.problems = problems
        first = problems[0].text() if problems else "invalid rule"
        label = f"rule {name!r}" if name else "the rule"
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{label} cannot be saved: {problems[0].field}: {first}{more}",
                         field_errors=[p.to_field_error() for p in problems])

"""Form errors in words, per field, all at once: what the console shows next to each input.

The API's validation (pydantic models, ``FieldError`` of the services) names fields by their JSON path
(``ship_to.pin``, ``lines.0.qty``) and speaks in regexes; a person filling a form needs "a 6-digit PIN
code" next to the PIN box. ``collect`` turns either kind of error into ``{form field: [messages]}``.
"""

from __future__ import annotations

from pydantic import ValidationError as PydanticError
from pydantic_core import ErrorDetails

# The JSON path's head -> the form's input (the new-order form and the return form).
FIELD = {"ship_to.name": "name", "ship_to.line1": "line1", "ship_to.city": "city", "ship_to.pin": "pin",
         "ship_to.phone": "phone", "ship_to.email": "email", "ship_to.state": "state"}
# What a pattern means, by form field.
PATTERN_WORDS = {
    "pin": "a 6-digit PIN code not starting with 0, e.g. 600002",
    "phone": "a phone number: digits, spaces and dashes, with + in front if you like (e.g. +91 98000 00001)",
    "email": "an e-mail address like name@example.com",
    "channel": "a channel code: letters, digits, dots, dashes and underscores",
    "lines": "a SKU code like SKU-0001",
    "code": "a code: letters, digits, dots, dashes and underscores, e.g. CHN-W1",
}
LABEL = {"name": "Name", "line1": "Address", "city": "City", "pin": "PIN code", "phone": "Phone", "email": "Email",
         "external_id": "External id", "channel": "Channel", "promised_days": "Promised days", "lines": "Lines",
         "payment_mode": "Payment", "reason": "Reason", "resolution": "Resolution", "note": "Note",
         "refund_account": "Refund account"}


def form_field(loc: str) -> str:
    """``ship_to.pin`` -> ``pin``; ``lines.2.qty`` -> ``lines``; anything else: its first part."""
    if loc in FIELD:
        return FIELD[loc]
    return loc.split(".", 1)[0] or "form"


def _line_prefix(loc: str) -> str:
    parts = loc.split(".")
    if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit():
        return f"line {int(parts[1]) + 1}: "
    return ""


def words(error: ErrorDetails, field: str) -> str:
    """One pydantic error in words."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "required"
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return "should be " + PATTERN_WORDS.get(field, "in the expected form")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()), "")
        return {"greater_than": f"must be more than {bound}", "greater_than_equal": f"must be at least {bound}",
                "less_than": f"must be less than {bound}", "less_than_equal": f"must be at most {bound}"}[kind]
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "a whole number"
    if kind == "literal_error":
        return "choose one of " + str(ctx.get("expected", "the options"))
    if kind == "too_short" and field == "lines":
        return "add at least one line"
    return str(error.get("msg", "not valid"))


def collect(exc: Exception, field_of=form_field) -> dict[str, list[str]]:
    """Every problem of ``exc`` (pydantic's or a service's ``ValidationFailed``) by form field
    (``field_of`` maps a JSON path to the form's input: a grid of inputs keeps ``rate_card.0.slab_g``)."""
    out: dict[str, list[str]] = {}
    if isinstance(exc, PydanticError):
        for e in exc.errors():
            loc = ".".join(str(x) for x in e["loc"])
            field = field_of(loc)
            out.setdefault(field, []).append(_line_prefix(loc) + words(e, field))
        return out
    field_errors = list(getattr(exc, "field_errors", []) or [])
    for fe in field_errors:
        field = field_of(fe.field)
        out.setdefault(field, []).append(_line_prefix(fe.field) + fe.message)
    if not field_errors:
        out.setdefault("form", []).append(getattr(exc, "detail", str(exc)))
    return out


def summary(errors: dict[str, list[str]]) -> str:
    n = sum(len(v) for v in errors.values())
    names = ", ".join(LABEL.get(f, f) for f in errors if f != "form")
    return (f"{n} problem{'s' if n != 1 else ''} to fix" + (f": {names}" if names else "")
            + ". Nothing was saved.")

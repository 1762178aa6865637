"""Domain errors: what can go wrong in the language of the business.

The API maps each to one HTTP status (see api/errors.py); nothing here knows HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FieldError:
    """One problem with one input field, addressed by a dotted path (e.g. ``lines.2.qty``)."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class DomainError(Exception):
    """Base of every expected, user-facing failure."""

    title = "Request cannot be processed"

    def __init__(self, detail: str, *, field_errors: list[FieldError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field_errors = list(field_errors or [])


class ValidationFailed(DomainError):
    """The input is well-formed but breaks a business rule (unknown SKU, qty <= 0, ...)."""

    title = "Validation failed"


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    title = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state (same key, different body; wrong status)."""

    title = "Conflict"


class IllegalTransition(Conflict):
    """A status change that the entity's state machine does not allow."""

    title = "Illegal status transition"

    def __init__(self, entity: str, current: str, target: str):
        super().__init__(f"{entity} cannot go from {current} to {target}")
        self.entity = entity
        self.current = current
        self.target = target


class UnknownPin(ValidationFailed):
    """A PIN code that is malformed or not in the India Post directory."""

    title = "Unknown PIN code"


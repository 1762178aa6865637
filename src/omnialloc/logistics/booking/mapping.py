"""Field mapping for configured REST carriers: request body templates and response paths (pure).

A template is JSON in the carrier's own shape with placeholders:

* a string that is exactly ``"{{ ship_to.pin }}"`` becomes the value with its type
  (a number stays a number, a list a list);
* ``{{ ... }}`` inside other text is filled in as text (``"{{ ship_to.city }}, {{ ship_to.state }}"``);
* ``{"$each": "items", "$template": {...}}`` becomes a list, one rendered template
  per element; inside it a path is looked up in the element first, then in the
  whole request (``{"sku": "{{ sku }}", "order": "{{ order_ref }}"}``).

A response path is dotted keys and list indexes: ``data.awb``, ``packages.0.waybill``.

Unknown placeholders are refused when the carrier is configured, not when a
shipment is booked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_WHOLE = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
_EXACT = re.compile(r"\s*\{\{\s*([A-Za-z0-9_.]+)\s*\}\}\s*")
_MISSING = object()


class TemplateError(ValueError):
    """A template names a field the request does not have, or is not JSON-shaped."""


def lookup(data: Any, path: str, default: Any = None) -> Any:
    """The value at dotted ``path`` in nested dicts/lists, or ``default``."""
    current = data
    for key in path.split("."):
        if isinstance(current, Mapping) and key in current:
            current = current[key]
        elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
            current = current[int(key)]
        else:
            return default
    return current


def _resolve(path: str, scopes: tuple[Any, ...]) -> Any:
    for scope in scopes:
        value = lookup(scope, path, _MISSING)
        if value is not _MISSING:
            return value
    raise TemplateError(f"unknown field {{{{ {path} }}}}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(template: Any, context: Mapping[str, Any], _scopes: tuple[Any, ...] | None = None) -> Any:
    """The template with every placeholder filled from ``context``."""
    scopes = _scopes or (context,)
    if isinstance(template, str):
        exact = _EXACT.fullmatch(template)
        if exact:
            return _resolve(exact.group(1), scopes)
        return _WHOLE.sub(lambda m: _text(_resolve(m.group(1), scopes)), template)
    if isinstance(template, list):
        return [render(item, context, scopes) for item in template]
    if isinstance(template, Mapping):
        if "$each" in template:
            if set(template) != {"$each", "$template"}:
                raise TemplateError('"$each" goes with "$template" and nothing else')
            elements = _resolve(str(template["$each"]), scopes)
            if not isinstance(elements, list):
                raise TemplateError(f'"$each": {template["$each"]} is not a list')
            return [render(template["$template"], context, (element, *scopes)) for element in elements]
        return {str(key): render(value, context, scopes) for key, value in template.items()}
    if template is None or isinstance(template, (bool, int, float)):
        return template
    raise TemplateError(f"a template holds JSON values only, not {type(template).__name__}")


def check(template: Any, sample: Mapping[str, Any]) -> None:
    """Raise TemplateError if ``template`` cannot be rendered from a request shaped like ``sample``."""
    render(template, sample)

"""Request and response examples for the main resources in the OpenAPI document, taken from a real run.

``examples.json`` (package data) holds what the API really answered when a demo order was captured,
accepted, packed and shipped and stock was adjusted and read, on a scratch database with the demo network
(``python -m omnialloc.api.examples_walk`` writes it again: ``api/examples_walk.py``). The spec processor
puts each one on its operation, so /docs shows a real body and a test checks every example against the
operation's schema.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

FILE = "examples.json"


@lru_cache(maxsize=1)
def stored() -> dict[str, Any]:
    """{"METHOD /path": {"request": body?, "<status>": body}}."""
    return json.loads((resources.files("omnialloc.api") / FILE).read_text(encoding="utf-8"))


def apply(spec: dict[str, Any]) -> None:
    """Put the stored examples on their operations (where the view did not give one)."""
    for key, examples in stored().items():
        method, path = key.split(" ", 1)
        op = spec.get("paths", {}).get(path, {}).get(method.lower())
        if not isinstance(op, dict):
            continue
        for part, example in examples.items():
            if part == "request":
                content = op.get("requestBody", {}).get("content", {}).get("application/json")
            else:
                content = op.get("responses", {}).get(part, {}).get("content", {}).get("application/json")
            if content is not None and "example" not in content and "examples" not in content:
                content["example"] = example

"""Stock imports: a bulk snapshot or delta file of on-hand quantities, and what the import changed."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict

from omnialloc.api.schemas.common import Code, Open, Strict


class ImportQuery(Strict):
    mode: Literal["snapshot", "delta"]
    node: Code | None = None
    dry_run: bool = False

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class ImportOut(Open):
    mode: str
    rows: int
    updated: int
    inserted: int
    unchanged: int
    zeroed: int
    nodes: list[str]
    dry_run: bool
    backorder_retries_queued: int
    import_id: str
    seconds: dict[str, float] = {}

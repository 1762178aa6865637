"""Bulk stock import from a CSV file: validate everything first, then apply all of it or nothing.

File format (header required, extra columns refused so a typo never drops data)::

    node,sku,qty[,safety_stock]

``node`` may be left out when the import is for one node (``node=...``); the
quantity column may also be called ``on_hand`` (snapshot) or ``delta``.

Modes:

* ``snapshot``: the file is the full count of the nodes it covers (the given
  ``node``, else every node named in the file): listed rows get ``on_hand =
  qty``; rows of those nodes that are *not* listed are counted as zero.
* ``delta``: ``on_hand += qty`` per row (negative numbers take stock out).

Validation, in two passes, reports every problem with its CSV line number
(the header is line 1) before anything is written:

1. the file alone (pandas, vectorised): missing columns, unknown node or SKU
   (a node key only knows its own node), quantities that are not whole
   numbers, negative counts in a snapshot, duplicate (node, SKU) rows;
2. against the stock, inside the write transaction (on a staging table):
   results below zero or below the units already reserved. The rows are
   applied under a savepoint (``UPDATE ... FROM`` the staging table, then
   ``INSERT`` of new rows); the inventory CHECK constraints refuse a bad
   result, and only then does a report query name every offending line.

All in one transaction, so a failure anywhere leaves the stock exactly as it
was. Staging uses ``COPY`` on PostgreSQL and chunked
``executemany`` on SQLite; one ``inventory`` event records the import. Every
position whose ``on_hand`` or safety stock the import changes (new, updated, or
zeroed by a snapshot) gets a before/after row in ``inventory_import_changes``,
written set-based from the staging table under the same savepoint as the apply,
so the what-if replay can undo and redo the import (not for dry runs). Stock
that went up retries backordered orders after the commit.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import FieldError, NotFound, ValidationFailed
from omnialloc.domain.imports import MAX_REPORTED, ImportRejected, RowError  # the report every import shares
from omnialloc.domain.stock import ImportRefused, ImportShortfall
from omnialloc.services.access import Principal
from omnialloc.services.events import now, record
from omnialloc.observability import metrics
from omnialloc.services import bus
from omnialloc.services.messages import RetryBackorders
import time

MODES = ("snapshot", "delta")
QTY_ALIASES = ("qty", "on_hand", "delta", "quantity")
MAX_QTY = 10**9


@dataclass
class ImportReport:
    mode: str
    rows: int = 0
    updated: int = 0
    inserted: int = 0
    unchanged: int = 0
    zeroed: int = 0
    changes: int = 0   # positions whose on_hand or safety stock changed (rows in inventory_import_changes)
    nodes: list[str] = field(default_factory=list)
    dry_run: bool = False
    backorder_retries_queued: int = 0  # SKUs whose waiting orders the backorder worker will retry
    import_id: str = ""
    seconds: dict = field(default_factory=dict)  # per phase: parse, stage, apply

    def as_dict(self) -> dict:
        return dict(self.__dict__)


# ------------------------------------------------------------------ pass 1: the file
def parse(data: bytes | str, *, mode: str, node: str | None, known_nodes: set[str], known_skus: set[str]):
    """The validated rows as a DataFrame (line, node, sku, qty, safety); raises ImportRejected."""
    import pandas as pd  # heavy (~0.2 s to import): only a stock import needs it, not every process using services

    if mode not in MODES:
        raise ValidationFailed(f"mode must be one of {', '.join(MODES)}", field_errors=[FieldError("mode", "unknown mode")])
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRejected([RowError(0, "file", "", "the file is not UTF-8 text")]) from None
    if not data.strip():
        raise ImportRejected([RowError(0, "file", "", "the file is empty; a header line node,sku,qty is required")])
    try:
        df = pd.read_csv(io.StringIO(data), dtype=str, keep_default_na=False, skipinitialspace=True,
                         engine="c", on_bad_lines="error")
    except Exception as exc:  # noqa: BLE001 - any parser failure is a file the caller must fix
        raise ImportRejected([RowError(0, "file", "", f"not a readable CSV file: {str(exc).strip()[:200]}")]) from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    errors: list[RowError] = []
    qty_cols = [c for c in QTY_ALIASES if c in df.columns]
    allowed = {"node", "sku", "safety_stock", *QTY_ALIASES}
    for c in df.columns:
        if c not in allowed:
            errors.append(RowError(0, c, "", f"unknown column {c!r} (expected node, sku, qty, safety_stock)"))
    if "sku" not in df.columns:
        errors.append(RowError(0, "sku", "", "missing column 'sku'"))
    if len(qty_cols) != 1:
        errors.append(RowError(0, "qty", "", "exactly one quantity column is needed: qty (or on_hand / delta)"))
    if "node" not in df.columns and node is None:
        errors.append(RowError(0, "node", "", "missing column 'node' (or import for one node)"))
    if len(set(df.columns)) != len(df.columns):
        errors.append(RowError(0, "file", "", "a column name appears twice"))
    if errors:
        raise ImportRejected(errors)
    if df.empty:
        raise ImportRejected([RowError(0, "file", "", "the file has a header but no rows")])

    out = pd.DataFrame({"line": pd.RangeIndex(2, len(df) + 2)})
    out["sku"] = df["sku"].str.strip().to_numpy()
    if "node" in df.columns:
        out["node"] = df["node"].str.strip().to_numpy()
        if node is not None:  # a one-node import: an empty node cell means that node
            out.loc[out["node"] == "", "node"] = node
    else:
        out["node"] = node
    raw_qty = df[qty_cols[0]].str.strip()

    def flag(mask, column: str, values, message: str) -> None:
        if mask.any():
            for line, value in zip(out["line"][mask].tolist(), values[mask].tolist()):
                errors.append(RowError(int(line), column, str(value), message))

    flag(out["node"] == "", "node", out["node"], "node is empty")
    if node is not None:
        flag((out["node"] != node) & (out["node"] != ""), "node", out["node"],
             f"this import is for node {node} only")
    flag((out["node"] != "") & ~out["node"].isin(known_nodes) & ((out["node"] == node) if node else True),
         "node", out["node"], "unknown node")
    flag(out["sku"] == "", "sku", out["sku"], "sku is empty")
    flag((out["sku"] != "") & ~out["sku"].isin(known_skus), "sku", out["sku"], "unknown SKU")

    whole = raw_qty.str.fullmatch(r"[+-]?\d{1,10}(\.0*)?")
    flag(~whole, "qty", raw_qty, "quantity must be a whole number")
    qty = pd.to_numeric(raw_qty.where(whole, "0"), errors="coerce").fillna(0).astype("int64")
    flag(whole & (qty.abs() > MAX_QTY), "qty", raw_qty, f"quantity beyond {MAX_QTY:,}")
    if mode == "snapshot":
        flag(whole & (qty < 0), "qty", raw_qty, "a stock count cannot be negative")
    out["qty"] = qty.to_numpy()

    if "safety_stock" in df.columns:
        raw_safety = df["safety_stock"].str.strip()
        given = raw_safety != ""
        ok = raw_safety.str.fullmatch(r"\+?\d{1,10}(\.0*)?")
        flag(given & ~ok, "safety_stock", raw_safety, "safety stock must be a whole number >= 0 (or empty)")
        safety = pd.to_numeric(raw_safety.where(given & ok, "-1"), errors="coerce").fillna(-1).astype("int64")
        flag(given & ok & (safety > MAX_QTY), "safety_stock", raw_safety, f"safety stock beyond {MAX_QTY:,}")
        out["safety"] = safety.to_numpy()  # -1: keep the current value
    else:
        out["safety"] = -1

    dup = out.duplicated(["node", "sku"], keep="first")
    if dup.any():
        first_line = out[out.duplicated(["node", "sku"], keep=False)].groupby(["node", "sku"])["line"].transform("min")
        for line, nd, sk in zip(out["line"][dup].tolist(), out["node"][dup].tolist(), out["sku"][dup].tolist()):
            errors.append(RowError(int(line), "sku", f"{nd},{sk}",
                                   f"duplicate row: {nd}/{sk} already appears on line {int(first_line[line - 2])}"))
    if errors:
        errors.sort(key=lambda e: (e.row, e.column))
        raise ImportRejected(errors)
    return out


# ------------------------------------------------------------------ pass 2 + apply
@metrics.timed(metrics.IMPORT_SECONDS,
               mode=lambda kw: str(kw["mode"]) if kw.get("mode") in ("snapshot", "delta") else "other")
def import_stock(ctx, principal: Principal, data: bytes | str, *, mode: str, node: str | None = None,
                 dry_run: bool = False, source: str = "api") -> dict:
    """Validate and apply a stock file atomically; returns the report (``ImportReport.as_dict``)."""
    principal.require(Role.ADMIN, Role.NODE)
    if principal.role == Role.NODE:
        if node is not None and node != principal.node:
            raise NotFound(f"node {node} not found")
        node = principal.node

    clock = time.perf_counter()
    with ctx.uow(readonly=True) as uow:
        if node is not None and uow.nodes.get(node) is None:
            raise NotFound(f"node {node} not found")
        known_nodes: set[str] = uow.nodes.codes() if principal.role != Role.NODE else {node} if node else set()
        known_skus = uow.skus.codes()
    df = parse(data, mode=mode, node=node, known_nodes=known_nodes, known_skus=known_skus)
    del known_skus
    report = ImportReport(mode=mode, rows=len(df), nodes=sorted(df["node"].unique().tolist()), dry_run=dry_run,
                          import_id="imp_" + secrets.token_hex(6))
    scope = [node] if node is not None else report.nodes
    report.seconds["parse"] = round(time.perf_counter() - clock, 2)
    with ctx.uow() as uow:
        clock = time.perf_counter()
        stage = uow.stock_imports.stage(df)
        del df
        report.seconds["stage"] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()
        increased = stage.increased_waiting(mode)
        # The stock's CHECK constraints (on_hand >= 0, reserved <= on_hand) refuse any bad row, and only then
        # is the (slower) per-row report query run. A dry run applies too (so its counts are exact) and then
        # rolls back.
        try:
            report.updated, report.inserted, report.zeroed, report.changes = stage.apply(
                mode, scope, import_id=None if dry_run else report.import_id, report_limit=MAX_REPORTED)
        except ImportRefused as refused:
            raise ImportRejected([_row_error(mode, s) for s in refused.shortfalls], refused.total) from None
        report.unchanged = report.rows - report.updated - report.inserted
        if not dry_run:
            record(uow, "inventory", report.import_id, "imported", principal.actor,
                   reason=f"{mode} import of {report.rows} row(s) via {source}", mode=mode, rows=report.rows,
                   updated=report.updated, inserted=report.inserted, zeroed=report.zeroed,
                   changes=report.changes, nodes=report.nodes[:50])
        stage.drop()
        if dry_run:
            uow.rollback()
        else:
            # waiting orders get it from the backorder worker
            report.backorder_retries_queued = bus.send(uow, RetryBackorders.of(increased, "receipt"))
            uow.commit()
        report.seconds["apply"] = round(time.perf_counter() - clock, 2)
    return report.as_dict()


def _row_error(mode: str, s: ImportShortfall) -> RowError:
    """A shortfall as the report names it: the file's line, or the position a snapshot left out."""
    if s.qty is None:
        return RowError(0, f"{s.node}/{s.sku}", "",
                        f"{s.node}/{s.sku} is missing from the snapshot, which counts it as 0, but "
                        f"{s.reserved} unit(s) are reserved there; list it with its real count")
    result = s.qty if mode == "snapshot" else s.on_hand + s.qty
    why = "below zero" if result < 0 else f"below the {s.reserved} unit(s) reserved for open orders"
    return RowError(s.line, "qty", str(s.qty), f"{s.node}/{s.sku} would end at {result} on hand ({why}; now {s.on_hand})")

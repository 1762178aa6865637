"""Transit tables as CSV: a seller's upload, validated line by line, and an export that reads back equal.

Format (UTF-8, header row; the order of columns is free, unknown columns are
refused so that a misspelt one never drops data)::

    carrier,service,level,origin,destination,zone,days
    XPR,express,pin,560038,560001,,0
    XPR,express,prefix,110,400,,1
    HLX,surface,state,GJ,MH,,3
    HLX,surface,zone,,,D,6

- `carrier`: a carrier code (any case); `service`: surface, air or express,
  and one the carrier offers (see `service`);
- `level`: pin, prefix, state or zone; may be left empty (or the column left
  out) when origin and destination show it (two PINs, two 3-digit prefixes,
  two states; a zone letter alone);
- `origin`, `destination`: 6-digit PINs in the India Post directory,
  3-digit prefixes that some PIN starts with, or states (code such as KA, or
  the name); empty on zone rows;
- `zone`: A-E on zone rows, else empty;
- `days`: whole transit days, 0 (same day) to `MAX_TRANSIT_DAYS`.

Every problem is reported, not only the first, as a `TransitRowError` (the
imports' `domain.imports.RowError`: the line number, the header being line 1,
the column, the cell and a message a person can act on); the loader then
raises `TransitTableRejected` (an `ImportRejected`, the same 422 report as the
stock and network imports) and returns nothing. Two rows with
the same carrier, service and key (after normalising: "Karnataka" and "KA" are
one state) are refused at the second, naming the first.

`export_transit_csv` writes the canonical form (all seven columns, states as
codes, rows in the table's order); loading it gives back an equal table.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import indian_pincode

from omnialloc.domain.imports import MAX_REPORTED, ImportRejected, RowError
from omnialloc.domain.logistics import Carrier
from omnialloc.geo.states import STATE_NAMES, state_code
from omnialloc.logistics.transit.service import Service, services_of
from omnialloc.logistics.transit.table import PREFIX_DIGITS, Level, TransitRow, TransitTable, field_problems

COLUMNS = ("carrier", "service", "level", "origin", "destination", "zone", "days")
REQUIRED_COLUMNS = ("carrier", "service", "days")
_WHOLE = re.compile(r"^[+-]?[0-9]+$")
_E = TypeVar("_E", bound=Enum)


# One report shape for every CSV import (domain.imports): a transit table's problems are `RowError`s
# (line, column, cell, message) and its refusal an `ImportRejected`, like the stock and network imports'.
TransitRowError = RowError


class TransitTableRejected(ImportRejected):
    """The upload has problems; `errors` lists them (the first `MAX_REPORTED`), and nothing was loaded."""

    title = "Transit table rejected"

    def __init__(self, errors: list[RowError]):
        first = errors[0]
        where = f"line {first.row}" if first.row else "the file"
        super().__init__(errors, detail=f"transit table not loaded: {len(errors)} problem(s), first at {where}: "
                                        f"{first.message}"
                                        + (f" (showing the first {MAX_REPORTED})" if len(errors) > MAX_REPORTED
                                           else ""))

    @property
    def errors(self) -> list[RowError]:
        return self.rows


@lru_cache(maxsize=1)
def _directory() -> tuple[frozenset[str], frozenset[str]]:
    """Every PIN in the India Post directory, and every 3-digit prefix in use (built once, ~0.1 s)."""
    pins = frozenset(indian_pincode.get_pincodes())
    return pins, frozenset(p[:PREFIX_DIGITS] for p in pins)


def _state(value: str) -> str:
    """A state code from a code or a name in any case; the cell unchanged if it is neither (reported later)."""
    if value.upper() in STATE_NAMES:
        return value.upper()
    try:
        return state_code(value)
    except KeyError:
        return value


def _member(enum: type[_E], text: str) -> _E | str:
    """The enum member named `text`, or the text itself for `field_problems` to report."""
    try:
        return enum(text)
    except ValueError:
        return text


def _infer_level(origin: str, destination: str, zone: str) -> Level | None:
    if zone and not origin and not destination:
        return Level.ZONE
    for level, digits in ((Level.PIN, 6), (Level.PREFIX, PREFIX_DIGITS)):
        if len(origin) == len(destination) == digits and origin.isdigit() and destination.isdigit():
            return level
    if origin and destination and not any(ch.isdigit() for ch in origin + destination):
        return Level.STATE
    return None


def _parse_row(cells: dict[str, str], line: int, carriers: dict[str, tuple[Service, ...]],
               errors: list[TransitRowError]) -> TransitRow | None:
    """The row normalised, or None after recording its problems in `errors`."""
    found: list[TransitRowError] = []

    def fail(column: str, message: str) -> None:
        found.append(TransitRowError(line, column, cells.get(column, ""), message))

    carrier_text = cells.get("carrier", "")
    carrier = next((c for c in carriers if c.upper() == carrier_text.upper()), None)
    if not carrier_text:
        fail("carrier", "carrier is required")
    elif carrier is None:
        fail("carrier", f"unknown carrier {carrier_text!r}; known carriers: {', '.join(sorted(carriers))}")
    service = _member(Service, cells.get("service", "").lower())
    origin, destination, zone = cells.get("origin", ""), cells.get("destination", ""), cells.get("zone", "").upper()
    level_text = cells.get("level", "").lower()
    level: Level | str | None
    if level_text:
        level = _member(Level, level_text)
    else:
        level = _infer_level(origin, destination, zone)
        if level is None:
            fail("level", f"level is empty and origin {origin!r} / destination {destination!r} do not show it; "
                          f"write pin, prefix, state or zone")
            level = ""
    if level is Level.STATE:
        origin, destination = _state(origin), _state(destination)
    days_text = cells.get("days", "")
    days: int | str = int(days_text) if _WHOLE.match(days_text) else days_text

    for column, message in field_problems(service, level, origin, destination, zone, days):
        if column == "level" and not level_text:
            continue  # already said why the level could not be told
        fail(column, message)
    bad_columns = {e.column for e in found}
    if carrier is not None and isinstance(service, Service) and service not in carriers[carrier]:
        offered = ", ".join(s.value for s in carriers[carrier])
        fail("service", f"carrier {carrier} does not offer {service.value} (it offers {offered})")
    if level in (Level.PIN, Level.PREFIX):
        pins, prefixes = _directory()
        known, what = (pins, "PIN") if level is Level.PIN else (prefixes, "PIN prefix")
        for column, value in (("origin", origin), ("destination", destination)):
            if column not in bad_columns and value not in known:
                fail(column, f"{what} {value} is not in the India Post directory; check the digits")
    errors.extend(found)
    if found or not (isinstance(service, Service) and isinstance(level, Level) and isinstance(days, int)):
        return None  # (a service, level or days not of its type is among `found`)
    return TransitRow(carrier or carrier_text, service, level, origin, destination, zone, days)


def load_transit_csv(data: str | bytes, carriers: Iterable[Carrier]) -> TransitTable:
    """Validate an uploaded transit table against `carriers` and build it; `TransitTableRejected` lists
    every problem (see the module docstring)."""
    known = {c.code: services_of(c) for c in carriers}
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise TransitTableRejected([TransitRowError(0, "", "", f"the file is not UTF-8 text ({e.reason} at "
                                                                      f"byte {e.start}); save it as UTF-8 CSV")]) from None
    data = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(data, newline=""))
    header = next(reader, None)
    columns = [h.strip().lower() for h in header] if header else []
    if not any(columns):
        raise TransitTableRejected([TransitRowError(0, "", "", f"the file is empty; its first line must name the "
                                                               f"columns: {','.join(COLUMNS)}")])
    errors: list[TransitRowError] = []
    for name in sorted(set(columns) - set(COLUMNS)):
        errors.append(TransitRowError(1, name, name, f"unknown column {name!r}; the columns are {', '.join(COLUMNS)}"))
    for name in sorted({c for c in columns if columns.count(c) > 1}):
        errors.append(TransitRowError(1, name, name, f"column {name!r} appears more than once"))
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            errors.append(TransitRowError(1, name, "", f"column {name!r} is missing"))
    if errors:
        raise TransitTableRejected(errors)

    rows: list[TransitRow] = []
    first_line: dict[tuple[str, Service, Level, str, str, str], tuple[int, int]] = {}   # key -> (line, days) of the row that holds it
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(columns):
            errors.append(TransitRowError(start, "", ",".join(record[len(columns):]),
                                          f"{len(record)} cells but the header names {len(columns)} columns"))
            continue
        cells = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(columns)}
        row = _parse_row(cells, start, known, errors)
        if row is None:
            continue
        held = first_line.get(row.key)
        if held is not None:
            held_line, held_days = held
            also = "" if held_days == row.days else f", which says {held_days} days"
            errors.append(TransitRowError(start, "origin" if row.level is not Level.ZONE else "zone",
                                          cells.get("origin") or cells.get("zone", ""),
                                          f"same carrier, service and {row.describe()} as line {held_line}{also}; "
                                          f"keep one row per key"))
            continue
        first_line[row.key] = (start, row.days)
        rows.append(row)
    if errors:
        raise TransitTableRejected(errors)
    return TransitTable(rows)


def read_transit_file(path: Path | str, carriers: Iterable[Carrier]) -> TransitTable:
    """`load_transit_csv` on a file."""
    return load_transit_csv(Path(path).read_bytes(), carriers)


def export_transit_csv(table: TransitTable) -> str:
    """The table as CSV text in canonical form (see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in table.rows:
        writer.writerow([row.carrier, row.service.value, row.level.value, row.origin, row.destination, row.zone,
                         row.days])
    return out.getvalue()


def write_transit_file(table: TransitTable, path: Path | str) -> None:
    Path(path).write_text(export_transit_csv(table), encoding="utf-8")

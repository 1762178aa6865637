"""The delivery-promise files of a network folder: ``transit_times.csv`` and ``node_calendars.csv``.

Read from the same folder as the rest of the network (``network_files``: ``--data-dir``, else
``$OMNIALLOC_DATA_DIR``, else the demo shipped in the package). Both files are optional: without a
transit table every lane takes the distance defaults, without a calendar row a node works to the
default calendar (Asia/Kolkata, 14:00 cut-off, Mon-Sat, national holidays).

``node_calendars.csv`` (one row per node; empty cells take the defaults)::

    node,timezone,cutoff,working_days,holidays,pickup_days
    BLR-ST1,Asia/Kolkata,17:00,Mon-Sun,,
    COK-FC1,Asia/Kolkata,14:00,Mon-Sat,08-15|2026-08-26,HLX=Mon-Fri

``holidays``: ``|``-separated, annual ``MM-DD`` or dated ``YYYY-MM-DD`` (the national holidays are always
added); ``pickup_days``: ``|``-separated ``CARRIER=days``. The formats are in data/README.md.
Problems are reported all at once as one ``ValidationFailed`` whose field errors are addressed
``node_calendars.csv:<line>.<column>``; the transit table's as its own loader reports them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.domain.logistics import Carrier
from omnialloc.logistics.calendar import INDIA_NATIONAL_HOLIDAYS, NodeCalendar
from omnialloc.logistics.transit.csv_io import load_transit_csv
from omnialloc.logistics.transit.table import TransitTable

TRANSIT_FILE = "transit_times.csv"
CALENDARS_FILE = "node_calendars.csv"
CALENDAR_COLUMNS = ("node", "timezone", "cutoff", "working_days", "holidays", "pickup_days")


def _folder(data_dir: str | Path | None) -> Traversable:
    from omnialloc.network_files import default_data_dir

    return Path(data_dir) if data_dir is not None else default_data_dir()


def load_transit_table(data_dir: str | Path | None, carriers: Iterable[Carrier]) -> TransitTable:
    """The folder's transit table checked against `carriers` (empty when the folder has none)."""
    path = _folder(data_dir) / TRANSIT_FILE
    if not path.is_file():
        return TransitTable()
    return load_transit_csv(path.read_bytes(), carriers)


def parse_calendars(text: str, nodes: Iterable[str]) -> dict[str, NodeCalendar]:
    """Calendars by node from ``node_calendars.csv`` text; ValidationFailed lists every problem."""
    known = set(nodes)
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    errors: list[FieldError] = []
    missing = [c for c in ("node",) if c not in (reader.fieldnames or [])]
    unknown = sorted(set(reader.fieldnames or []) - set(CALENDAR_COLUMNS))
    for name in missing:
        errors.append(FieldError(f"{CALENDARS_FILE}:1.{name}", f"column {name!r} is missing"))
    for name in unknown:
        errors.append(FieldError(f"{CALENDARS_FILE}:1.{name}",
                                 f"unknown column {name!r}; the columns are {', '.join(CALENDAR_COLUMNS)}"))
    out: dict[str, NodeCalendar] = {}
    if not errors:
        for row in reader:
            line = reader.line_num
            node = (row.get("node") or "").strip()
            where = f"{CALENDARS_FILE}:{line}"
            if node not in known:
                errors.append(FieldError(f"{where}.node", f"node {node!r} is not in nodes.csv"))
                continue
            if node in out:
                errors.append(FieldError(f"{where}.node", f"node {node} has a calendar already"))
                continue
            settings: dict[str, Any] = {}
            for column in ("timezone", "cutoff", "working_days"):
                if (row.get(column) or "").strip():
                    settings[column] = row[column].strip()
            holidays = [h for h in (row.get("holidays") or "").split("|") if h.strip()]
            settings["holidays"] = INDIA_NATIONAL_HOLIDAYS.as_strings() + holidays
            pickups = {}
            for item in (row.get("pickup_days") or "").split("|"):
                if item.strip():
                    carrier, _, days = item.partition("=")
                    pickups[carrier.strip()] = days.strip()
            settings["pickup_days"] = pickups
            try:
                out[node] = NodeCalendar.from_dict(settings)
            except ValueError as e:
                errors.append(FieldError(f"{where}", str(e)))
    if errors:
        raise ValidationFailed(f"{CALENDARS_FILE} has {len(errors)} problem(s): {errors[0].message}",
                               field_errors=errors)
    return out


def load_calendars(data_dir: str | Path | None, nodes: Iterable[str]) -> dict[str, NodeCalendar]:
    """The folder's node calendars (none when it has no ``node_calendars.csv``)."""
    path = _folder(data_dir) / CALENDARS_FILE
    if not path.is_file():
        return {}
    return parse_calendars(path.read_text(encoding="utf-8"), nodes)

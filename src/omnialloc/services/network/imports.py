"""Bulk import and export of the network as CSV files (issue 25): ``omnialloc network import DIR`` /
``network export DIR`` and the API's ``/network/imports/{file}`` / ``/network/exports/{file}``.

An import reads any of nodes.csv, skus.csv, carriers.csv, rate_cards.csv, serviceability.csv and
channels.csv (``network_files.read_network``: strict columns, every problem reported as file, row,
column, message, the stock import's report: ``domain.imports``), checks what the files name against
the store (a serviceability row's carrier or node, a channel's feeding nodes, barcodes taken by other
SKUs), then writes all of it in one transaction through the reference sync
(``ReferenceRepository.sync_network``: new rows inserted in bulk, changed rows updated, identical rows
untouched, rows the files do not mention kept), except that serviceability.csv is each named carrier's
whole list (carriers publish the full list: a PIN dropped from it is removed). Nothing is written when
anything is wrong; a dry run does all of it and rolls back, so its counts are exact. The sync bumps the revision token: every
worker plans with the new network from its next transaction.

Nodes' delivery calendars (cut-off, working days, holidays, time zone: issue 24's ``node_calendars``)
come and go as ``node_calendars.csv``, read by the promise's own reader (``logistics.promise_files``)
and written in the same transaction.

An export writes the same files from the store (``network_files.write_network``, fixed row and
column order), so export -> import into an empty store -> export gives identical files.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
from pathlib import Path

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import ValidationFailed
from omnialloc.domain.imports import ImportRejected, RowError
from omnialloc.logistics.calendar import INDIA_NATIONAL_HOLIDAYS
from omnialloc.logistics.promise_files import CALENDARS_FILE, parse_calendars
from omnialloc.network_files import (
    FILES,
    NETWORK_FILES,
    Known,
    NetworkData,
    Source,
    network_sources,
    read_network,
    to_csv,
    write_network,
)
from omnialloc.services.access import Principal
from omnialloc.services.events import record
from omnialloc.services.network.admin import geocode
from omnialloc.services.network.cache import invalidate

CALENDARS = "node_calendars"
FILE_NAMES = (*NETWORK_FILES, CALENDARS)  # what an import reads and an export writes
_WHERE = re.compile(r"^(?P<file>[^:]+):(?P<row>\d+)(?:\.(?P<column>.+))?$")
TABLES = {"nodes": "nodes", "skus": "skus", "carriers": "carriers", "rate_cards": "rate_cards",
          "serviceability": "serviceability", "channels": "channels"}


def _known(uow) -> Known:
    return Known(nodes={n.code: n.pin for n in uow.nodes.list()}, skus=uow.skus.codes(),
                 carriers={c.code for c in uow.carriers.list()})


def _barcode_clashes(uow, net: NetworkData) -> list[RowError]:
    """Barcodes that two SKUs would share (in the file, or with a SKU of the store the file does not redefine)."""
    owner: dict[str, str] = {}
    errors = []
    for line, sku in enumerate(net.skus, start=2):  # rows in file order; the reader dropped none that are valid
        for b in sku.barcodes:
            if b in owner and owner[b] != sku.code:
                errors.append(RowError(line, "barcodes", b, f"barcode {b} is also SKU {owner[b]}'s", file=FILES["skus"]))
            owner.setdefault(b, sku.code)
    if owner:
        redefined = {s.code for s in net.skus}
        for b, code in uow.skus.codes_with_barcodes(owner).items():
            if code not in redefined and owner[b] != code:
                errors.append(RowError(0, "barcodes", b, f"barcode {b} belongs to SKU {code} already",
                                       file=FILES["skus"]))
    return errors


def import_network(ctx, principal: Principal, sources: dict[str, Source], *, dry_run: bool = False,
                   source: str = "api") -> dict:
    """Validate and apply network files atomically (``sources``: file name without .csv -> path or text);
    returns the report: rows read per file, inserted / updated per table, dry_run, seconds per phase."""
    principal.require(Role.ADMIN)
    clock = time.perf_counter()
    seconds = {}
    sources = dict(sources)
    calendars_source = sources.pop(CALENDARS, None)
    with ctx.uow(readonly=True) as uow:
        known = _known(uow)
    net = read_network(sources, known=known, geocode=geocode) if sources else NetworkData()
    calendars = (_calendars(calendars_source, set(known.nodes) | {n.code for n in net.nodes})
                 if calendars_source is not None else {})
    seconds["parse"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    import_id = "net_" + secrets.token_hex(6)
    with ctx.uow() as uow:
        clashes = _barcode_clashes(uow, net) if net.skus else []
        if clashes:
            raise ImportRejected(clashes)
        result = uow.reference.sync_network(nodes=net.nodes, skus=net.skus, channels=net.channels,
                                            carriers=net.carriers, rate_cards=net.rate_cards,
                                            serviceability=net.serviceability)
        # A carrier publishes its whole list: serviceability.csv replaces the list of each carrier it names.
        removed = 0
        for carrier in sorted({s.carrier for s in net.serviceability}):
            listed = {s.pin_prefix for s in net.serviceability if s.carrier == carrier}
            removed += uow.carriers.delete_serviceability(carrier, uow.carriers.serviceability_prefixes(carrier)
                                                          - listed)
        rows = {name: len(getattr(net, name)) for name in NETWORK_FILES if name in sources}
        inserted = {name: result.inserted.get(TABLES[name], 0) for name in rows}
        updated = {name: result.updated.get(TABLES[name], 0) for name in rows}
        report: dict[str, object] = {
            "import_id": import_id, "dry_run": dry_run, "rows": rows, "inserted": inserted, "updated": updated,
        }
        if "serviceability" in sources:
            report["removed"] = {"serviceability": removed}
        if calendars_source is not None:
            before = set(uow.promise.calendars())
            changed = uow.promise.set_calendars(calendars)
            rows[CALENDARS] = len(calendars)
            inserted[CALENDARS] = len(set(calendars) - before)
            updated[CALENDARS] = changed - inserted[CALENDARS]
        report["unchanged"] = {name: rows[name] - inserted[name] - updated[name] for name in rows}
        if dry_run:
            uow.rollback()
        else:
            record(uow, "network", import_id, "imported", principal.actor,
                   reason=f"network import of {', '.join(n + '.csv' for n in rows)} via {source}",
                   rows=rows, inserted=inserted, updated=updated)
            uow.commit()
    if not dry_run and (result.changed or calendars or removed):
        invalidate()
    seconds["apply"] = round(time.perf_counter() - clock, 2)
    report["seconds"] = seconds
    return report


def _text(source: Source) -> str:
    if isinstance(source, bytes):
        return source.decode("utf-8-sig")
    if isinstance(source, str):
        return source
    return source.read_text(encoding="utf-8-sig")


def _calendars(source: Source, nodes: set[str]) -> dict:
    """``node_calendars.csv`` through the promise's reader, its problems as rows of the import's report."""
    try:
        return parse_calendars(_text(source), nodes)
    except UnicodeDecodeError:
        raise ImportRejected([RowError(0, "file", "", "the file is not UTF-8 text", file=CALENDARS_FILE)]) from None
    except ValidationFailed as exc:
        errors = []
        for e in exc.field_errors:
            m = _WHERE.match(e.field)
            errors.append(RowError(int(m["row"]) if m else 0, (m["column"] if m else None) or "row", "", e.message,
                                   file=CALENDARS_FILE))
        raise ImportRejected(errors) from None


def calendars_csv(calendars: dict) -> str:
    """Node calendars in ``node_calendars.csv``'s format (the national holidays, which its reader always adds,
    left out), nodes in code order."""
    national = set(INDIA_NATIONAL_HOLIDAYS.as_strings())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["node", "timezone", "cutoff", "working_days", "holidays", "pickup_days"])
    for node in sorted(calendars):
        d = calendars[node].to_dict()
        writer.writerow([node, d["timezone"], d["cutoff"], d["working_days"],
                         "|".join(h for h in d["holidays"] if h not in national),
                         "|".join(f"{c}={days}" for c, days in d["pickup_days"].items())])
    return out.getvalue()


def import_dir(ctx, principal: Principal, folder: str | Path, *, dry_run: bool = False) -> dict:
    """``omnialloc network import DIR``: the network files found in ``folder`` (node_calendars.csv too)."""
    sources: dict[str, Source] = dict(network_sources(folder))
    if (Path(folder) / CALENDARS_FILE).is_file():
        sources[CALENDARS] = Path(folder) / CALENDARS_FILE
    return import_network(ctx, principal, sources, dry_run=dry_run, source="cli")


def read_store(uow, names=NETWORK_FILES) -> NetworkData:
    """The network as the store holds it (the files ``names`` only)."""
    net = NetworkData()
    if "nodes" in names:
        net.nodes = uow.nodes.list()
    if "skus" in names:
        net.skus = uow.skus.list()
    if "carriers" in names:  # not the PICKUP pseudo carrier (pickup in store): the schema's, not the seller's
        net.carriers = [c for c in uow.carriers.list() if "pickup" not in c.modes]
    if "rate_cards" in names:
        net.rate_cards = uow.carriers.rate_cards()
    if "serviceability" in names:
        net.serviceability = uow.carriers.serviceability()
    if "channels" in names:
        net.channels = uow.channels.list()
    return net


def export_csv(ctx, principal: Principal, name: str) -> str:
    """One network file's CSV as the store holds it (the import's format)."""
    principal.require(Role.ADMIN, Role.ANALYST)
    with ctx.uow(readonly=True) as uow:
        if name == CALENDARS:
            return calendars_csv(uow.promise.calendars())
        net = read_store(uow, (name,))
    return to_csv(name, getattr(net, name))


def export_dir(ctx, principal: Principal, folder: str | Path) -> list[Path]:
    """``omnialloc network export DIR``: every network file, written into ``folder``."""
    principal.require(Role.ADMIN, Role.ANALYST)
    with ctx.uow(readonly=True) as uow:
        net = read_store(uow)
        calendars = uow.promise.calendars()
    written = write_network(folder, net)
    path = Path(folder) / CALENDARS_FILE
    path.write_text(calendars_csv(calendars), encoding="utf-8")
    return [*written, path]

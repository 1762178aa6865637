"""Bulk import and export of the network as CSV files (issue 25): ``omnialloc network import DIR`` /
``network export DIR`` and the API's ``/network/imports/{file}`` / ``/network/exports/{file}``.

An import reads any of nodes.csv, skus.csv, carriers.csv, rate_cards.csv, serviceability.csv and
channels.csv (``network_files.read_network``: strict columns, every problem reported as file, row,
column, message, the stock import's report: ``domain.imports``), checks what the files name against
the store (a serviceability row's carrier or node, a channel's feeding nodes, barcodes taken by other
SKUs), then writes all of it in one transaction through the reference sync
(``ReferenceRepository.sync_network``: new rows inserted in bulk, changed rows updated, identical rows
untouched, rows the files do not mention kept). Nothing is written when anything is wrong; a dry run
does all of it and rolls back, so its counts are exact. The sync bumps the revision token: every
worker plans with the new network from its next transaction.

An export writes the same files from the store (``network_files.write_network``, fixed row and
column order), so export -> import into an empty store -> export gives identical files.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from omnialloc.domain.enums import Role
from omnialloc.domain.imports import ImportRejected, RowError
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
    with ctx.uow(readonly=True) as uow:
        known = _known(uow)
    net = read_network(sources, known=known, geocode=geocode)
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
        rows = {name: len(getattr(net, name)) for name in NETWORK_FILES if name in sources}
        report = {
            "import_id": import_id, "dry_run": dry_run, "rows": rows,
            "inserted": {name: result.inserted.get(TABLES[name], 0) for name in rows},
            "updated": {name: result.updated.get(TABLES[name], 0) for name in rows},
        }
        report["unchanged"] = {name: rows[name] - report["inserted"][name] - report["updated"][name] for name in rows}
        if dry_run:
            uow.rollback()
        else:
            record(uow, "network", import_id, "imported", principal.actor,
                   reason=f"network import of {', '.join(FILES[n] for n in rows)} via {source}",
                   rows=rows, inserted=report["inserted"], updated=report["updated"])
            uow.commit()
    if not dry_run and result.changed:
        invalidate()
    seconds["apply"] = round(time.perf_counter() - clock, 2)
    report["seconds"] = seconds
    return report


def import_dir(ctx, principal: Principal, folder: str | Path, *, dry_run: bool = False) -> dict:
    """``omnialloc network import DIR``: the network files found in ``folder``."""
    return import_network(ctx, principal, dict(network_sources(folder)), dry_run=dry_run, source="cli")


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
        net = read_store(uow, (name,))
    return to_csv(name, getattr(net, name))


def export_dir(ctx, principal: Principal, folder: str | Path) -> list[Path]:
    """``omnialloc network export DIR``: every network file, written into ``folder``."""
    principal.require(Role.ADMIN, Role.ANALYST)
    with ctx.uow(readonly=True) as uow:
        net = read_store(uow)
    return write_network(folder, net)

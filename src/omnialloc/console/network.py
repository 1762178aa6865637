"""The network screens (issue 25): nodes on a map with capacity, Catalog (SKU search), Carriers (rate card grid
and the serviceability upload with its row-by-row report) and Channels.

Admins and analysts open them; only admins upload (the services check roles again). Each view calls
``services.network.admin`` / ``services.network.imports`` with the session's principal and renders; the
upload is the API's network import (all or nothing, dry run, the stock import's row report).
"""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request

from omnialloc.api.deps import ctx
from omnialloc.console import bp, need
from omnialloc.domain.enums import Role
from omnialloc.domain.imports import ImportRejected
from omnialloc.services.network import admin, imports

READERS = (Role.ADMIN, Role.ANALYST)
# The map: India's bounding box onto an SVG of 300 x 340 (plain equirectangular: enough to see the spread).
_LON, _LAT, _W, _H = (68.0, 97.5), (6.0, 37.5), 300, 340


def _xy(lat: float, lon: float) -> tuple[int, int]:
    x = (lon - _LON[0]) / (_LON[1] - _LON[0]) * _W
    y = (_LAT[1] - lat) / (_LAT[1] - _LAT[0]) * _H
    return round(x), round(y)


def _page(q: dict, keys: tuple[str, ...]) -> dict:
    out: dict[str, Any] = {k: (request.args.get(k) or None) for k in keys}
    out.update(limit=50, cursor=request.args.get("cursor") or None)
    out.update(q)
    return out


@bp.get("/network")
def network():
    p = need(*READERS)
    query = _page({}, ("kind", "q"))
    nodes = admin.list_nodes(ctx(), p, query)
    points = [{**n, "xy": _xy(n["lat"], n["lon"])} for n in nodes["items"]]
    return render_template("console/network.html", tab="nodes", page=nodes, points=points, query=query,
                           size=(_W, _H))


@bp.get("/network/catalog")
def catalog():
    p = need(*READERS)
    query = _page({}, ("q", "category", "barcode"))
    return render_template("console/network.html", tab="catalog", page=admin.list_skus(ctx(), p, query), query=query)


@bp.get("/network/carriers")
def carriers():
    p = need(*READERS)
    return _carriers_page(p)


def _carriers_page(p, *, report=None, row_errors=None, status=200):
    listed = admin.list_carriers(ctx(), p, {"limit": 100, "cursor": None})
    cards = [admin.get_carrier(ctx(), p, c["code"]) for c in listed["items"] if "pickup" not in c["modes"]]
    return render_template("console/network.html", tab="carriers", carriers=cards, report=report,
                           row_errors=row_errors, can_upload=p.role == Role.ADMIN, zones="ABCDE"), status


@bp.post("/network/carriers/serviceability")
def serviceability_upload():
    p = need(Role.ADMIN)
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    try:
        report = imports.import_network(ctx(), p, {"serviceability": data}, dry_run=bool(request.form.get("dry_run")),
                                        source="console")
    except ImportRejected as exc:
        flash(exc.detail, "error")
        return _carriers_page(p, row_errors=[e.as_dict() for e in exc.rows], status=422)
    flash(f"{'Checked' if report['dry_run'] else 'Imported'} {report['rows']['serviceability']} serviceability "
          f"row(s): {report['inserted']['serviceability']} new, {report['updated']['serviceability']} changed.", "ok")
    return _carriers_page(p, report=report)


@bp.get("/network/channels")
def channels():
    p = need(*READERS)
    query = _page({}, ("kind",))
    return render_template("console/network.html", tab="channels", page=admin.list_channels(ctx(), p, query),
                           query=query)

"""The analytics screen: live KPIs from the store for a date range and channel, each chart with its CSV.

Charts are SVG drawn on the server (``console.charts``); the numbers come from ``services.analytics.kpis``
(indexed aggregates, no benchmark log). The benchmark results have their own screen (``console.benchmarks``).
"""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request

from omnialloc.api.deps import ctx
from omnialloc.console import bp, charts, need, reads
from omnialloc.domain.errors import ValidationFailed
from omnialloc.services.analytics import kpis as kpi_svc

# name -> (columns, rows of the KPI dict): what each CSV download holds.
CSV = {
    "orders_per_day": (["day", "orders", "value_paise", "cancelled"], lambda k: k["orders_per_day"]),
    "on_time": (["day", "delivered", "on_time", "rate"], lambda k: k["on_time_per_day"]),
    "backorders_by_age": (["age", "orders"], lambda k: k["backorders_by_age"]),
    "hops": (["hops", "orders"], lambda k: k["hops"]),
    "cost_per_node": (["node", "shipments", "live", "rejected", "shipping", "handling", "cod", "total",
                       "cost_per_shipment_paise", "rejection_rate"], lambda k: k["cost_per_node"]),
    "returns_by_reason": (["reason", "units", "rate"], lambda k: k["returns_by_reason"]),
    "notifications": (["kind", "sent", "failed", "other"], lambda k: k["notifications"]["by_kind"]),
}


def _ask():
    """(first, last, channel, errors) from the query string; the default range is the last 7 days."""
    channel = (request.args.get("channel") or "").strip() or None
    try:
        first, last = kpi_svc.date_range(request.args.get("from"), request.args.get("to"))
        errors = {}
    except ValidationFailed as exc:
        first, last = kpi_svc.date_range(None, None)
        errors = {fe.field: [fe.message] for fe in exc.field_errors}
    return first, last, channel, errors


@bp.get("/analytics")
def analytics():
    p = need(*kpi_svc.READERS)
    first, last, channel, errors = _ask()
    channels = reads.channels(ctx())
    if channel and channel not in channels:
        errors["channel"] = [f"no channel {channel!r}"]
        channel = None
    k = kpi_svc.kpis(ctx(), p, first, last, channel)
    fig = {
        "orders_per_day": charts.bars([(d["day"], d["orders"]) for d in k["orders_per_day"]],
                                      title="Orders per day", fmt=lambda v: f"{v:,.0f}", counts=True),
        "on_time": charts.line([(d["day"], d["rate"]) for d in k["on_time_per_day"]],
                               title="On-time rate by day of delivery", fmt=charts.pct),
        "backorders_by_age": charts.bars([(b["age"], b["orders"]) for b in k["backorders_by_age"]],
                                         title="Orders still backordered, by age", fmt=lambda v: f"{v:,.0f}", counts=True),
        "hops": charts.bars([(h["hops"] + " rejections", h["orders"]) for h in k["hops"]],
                            title="Orders by node rejections (hops)", fmt=lambda v: f"{v:,.0f}", counts=True),
        "cost_per_node": charts.bars([(n["node"], n["cost_per_shipment_paise"] or 0) for n in k["cost_per_node"]],
                                     title="Cost per shipment by node", fmt=charts.rupees),
        "returns_by_reason": charts.bars([(r["reason"], r["rate"] or 0) for r in k["returns_by_reason"]],
                                         title="Returned units / delivered units, by reason", fmt=charts.pct),
        "notifications": charts.bars([(n["kind"], n["failed"]) for n in k["notifications"]["by_kind"]],
                                     title="Failed notifications by kind", fmt=lambda v: f"{v:,.0f}", counts=True),
    }
    return render_template("console/analytics.html", k=k, fig=fig, channels=channels, errors=errors,
                           pct=charts.pct, args={"from": k["from"], "to": k["to"], "channel": channel or ""}), \
        (422 if errors else 200)


@bp.get("/analytics/<name>.csv")
def analytics_csv(name: str):
    p = need(*kpi_svc.READERS)
    if name not in CSV:
        from flask import abort

        abort(404)
    first, last, channel, errors = _ask()
    if errors:
        raise ValidationFailed("the date range cannot be read: " + next(iter(errors.values()))[0])
    k = kpi_svc.kpis(ctx(), p, first, last, channel)
    columns, rows = CSV[name]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows(k):
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    filename = f"{name}_{k['from']}_{k['to']}" + (f"_{channel}" if channel else "") + ".csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

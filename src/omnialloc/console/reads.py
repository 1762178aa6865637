"""Small read models only the console needs: status counts, order search, the node map, markdown tables.

Each respects the principal's scope the same way the services do (a channel
key counts and finds only its own orders).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from omnialloc.domain.batch import BatchRun
from omnialloc.domain.enums import OrderStatus, Role
from omnialloc.services.access import Principal


def status_counts(ctx, principal: Principal) -> dict[str, int]:
    with ctx.uow(readonly=True) as uow:
        found = uow.orders.count_by_status(channel=principal.channel if principal.role == Role.CHANNEL else None)
    return {str(s): found.get(str(s), 0) for s in OrderStatus}


def find_order(ctx, principal: Principal, text: str) -> str | None:
    """An order id, or an external id in any channel the principal sees."""
    text = text.strip()[:128]
    if not text:
        return None
    with ctx.uow(readonly=True) as uow:
        order = uow.orders.get(text) if len(text) <= 40 else None
        if order is not None and principal.sees_channel(order.channel):
            return order.id
        channels = [principal.channel] if principal.role == Role.CHANNEL else [c.code for c in uow.channels.list()]
        for channel in channels:
            order = uow.orders.get_by_external(channel, text)
            if order is not None:
                return order.id
    return None


def sku_names(ctx, codes) -> dict[str, str]:
    """SKU code -> its catalogue name (codes not in the catalogue are left out)."""
    codes = sorted({c for c in codes if c})
    if not codes:
        return {}
    with ctx.uow(readonly=True) as uow:
        return {code: sku.name for code, sku in uow.skus.get_many(codes).items()}


def tracking_url(ctx, awb: str | None) -> str | None:
    """The buyer's tracking page of an AWB (the same link the customer's messages carry)."""
    from omnialloc.notify.context import tracking_url as link

    return link(ctx.settings.tracking_base_url, awb)


def nodes(ctx) -> list:
    with ctx.uow(readonly=True) as uow:
        return uow.nodes.list()


def channels(ctx) -> list[str]:
    with ctx.uow(readonly=True) as uow:
        return [c.code for c in uow.channels.list()]


# --------------------------------------------------------------------------- the SVG map
# India's bounding box; everything is drawn in an equirectangular projection scaled
# by cos(latitude) so distances look right at these latitudes.
LON0, LON1, LAT0, LAT1 = 67.5, 97.5, 6.0, 36.5
# A coarse outline of mainland India (lon, lat), enough to orient the eye; not a survey.
INDIA = [
    (68.2, 23.7), (70.0, 20.9), (72.6, 21.2), (72.8, 19.0), (73.4, 16.0), (74.6, 12.9), (76.2, 9.9),
    (77.5, 8.1), (78.2, 8.9), (79.3, 10.3), (79.9, 12.0), (80.3, 13.5), (80.1, 15.6), (82.3, 16.6),
    (84.9, 19.3), (86.9, 20.8), (88.1, 21.6), (89.0, 21.9), (89.8, 22.2), (89.0, 25.2), (92.0, 25.0),
    (92.5, 22.9), (93.4, 23.8), (94.6, 25.5), (95.3, 26.9), (97.3, 28.2), (96.1, 29.4), (94.0, 28.9),
    (92.0, 27.9), (89.8, 26.7), (88.1, 27.9), (88.0, 26.4), (85.9, 26.6), (84.1, 27.5), (81.0, 28.9),
    (80.1, 30.6), (78.9, 31.2), (78.8, 32.5), (79.5, 33.2), (78.3, 34.6), (77.8, 35.5), (76.0, 35.9),
    (74.5, 35.0), (74.0, 34.0), (74.6, 32.7), (75.4, 32.3), (74.5, 31.0), (73.9, 30.2), (72.9, 29.0),
    (70.5, 27.7), (69.5, 26.7), (70.2, 25.4), (68.8, 24.3),
]


class MapProjection:
    def __init__(self, width: int = 420):
        import math

        self.k = math.cos(math.radians((LAT0 + LAT1) / 2))
        self.scale = width / ((LON1 - LON0) * self.k)
        self.width = width
        self.height = int((LAT1 - LAT0) * self.scale)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (round((lon - LON0) * self.k * self.scale, 1), round((LAT1 - lat) * self.scale, 1))

    def outline(self) -> str:
        return " ".join(f"{x},{y}" for x, y in (self.xy(lat, lon) for lon, lat in INDIA))


def order_map(view: dict, all_nodes: list) -> dict:
    """What the order page's SVG draws: every node, the destination, and one flow per live shipment."""
    proj = MapProjection()
    used: dict[str, list[str]] = {}
    for s in view["shipments"]:
        used.setdefault(s["node"], []).append(s["status"])
    points = []
    for n in all_nodes:
        x, y = proj.xy(n.lat, n.lon)
        statuses = used.get(n.code, [])
        live = any(st not in ("REJECTED", "CANCELLED") for st in statuses)
        state = "chosen" if live else ("rejected" if statuses else "other")
        points.append({"code": n.code, "name": n.name, "x": x, "y": y, "state": state, "kind": str(n.kind)})
    to = view["ship_to"]
    dest = None
    if to.get("lat") is not None and to.get("lon") is not None:
        dx, dy = proj.xy(to["lat"], to["lon"])
        dest = {"x": dx, "y": dy, "label": f"{to.get('city') or ''} {to.get('pin') or ''}".strip()}
    by_code = {p["code"]: p for p in points}
    flows = []
    if dest is not None:
        for s in view["shipments"]:
            p = by_code.get(s["node"])
            if p is not None:
                flows.append({"x1": p["x"], "y1": p["y"], "x2": dest["x"], "y2": dest["y"], "node": s["node"],
                              "state": "rejected" if s["status"] in ("REJECTED", "CANCELLED") else "chosen"})
    return {"width": proj.width, "height": proj.height, "outline": proj.outline(), "nodes": points, "dest": dest,
            "flows": flows}


# --------------------------------------------------------------------------- analytics
def repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def benchmarks_dir() -> Path:
    return repo_root() / "benchmarks"


_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _inline(text: str) -> str:
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return out


def markdown_html(md: str) -> str:
    """Headings, paragraphs, lists, code blocks and pipe tables: what RESULTS.md uses. Everything is escaped."""
    lines = md.splitlines()
    out: list[str] = []
    i = 0
    para: list[str] = []

    def flush():
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            flush()
            block = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                block.append(lines[i])
                i += 1
            out.append("<pre>" + html.escape("\n".join(block)) + "</pre>")
        elif m := re.match(r"^(#{1,6})\s+(.*)", line):
            flush()
            level = min(len(m.group(1)) + 1, 6)
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif line.strip().startswith("|") and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            flush()
            head = [c.strip() for c in line.strip().strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append([c.strip() for c in lines[i].strip().strip("|").split("|")])
                i += 1
            i -= 1
            t = ['<div class="scroll"><table><thead><tr>'
                 + "".join(f'<th scope="col">{_inline(c)}</th>' for c in head) + "</tr></thead><tbody>"]
            for r in rows:
                t.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>")
            t.append("</tbody></table></div>")
            out.append("".join(t))
        elif re.match(r"^\s*[-*]\s+", line):
            flush()
            items = []
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                items.append("<li>" + _inline(re.sub(r"^\s*[-*]\s+", "", lines[i])) + "</li>")
                i += 1
            i -= 1
            out.append("<ul>" + "".join(items) + "</ul>")
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)


def batch_runs(ctx, limit: int = 10) -> list[BatchRun]:
    """The latest nightly batch plans (issue 9), newest first; each one's ``facts`` are its summary's figures."""
    with ctx.uow(readonly=True) as uow:
        return uow.batch_runs.newest_first(limit)

"""Server-rendered SVG charts (no script, no CDN): bars over categories or days, and a rate line.

Each function returns the chart's SVG as markup-safe text, with a <title> per bar or point (the value on
hover and for screen readers) and the axis labels; the page puts a CSV download of the same numbers beside
it. Values are drawn as given; ``fmt`` turns one into its label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

W, H = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 12, 64


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _label(text: str, n: int) -> str:
    if len(text) == 10 and text[4] == "-" and n > 4:  # 2026-12-07 -> 12-07 when several days share the axis
        return text[5:]
    return text if len(text) <= 14 else text[:13] + "…"


def _x_label(x: float, text: str, n: int) -> str:
    """An x-axis label; slanted when many share the axis, so they do not overlap."""
    y = H - BOTTOM + 14
    if n > 4 and len(text) > 5:
        return (f'<text x="{x:.1f}" y="{y}" text-anchor="end" transform="rotate(-35 {x:.1f} {y})">'
                f'{escape(text)}</text>')
    return f'<text x="{x:.1f}" y="{y}" text-anchor="middle">{escape(text)}</text>'


def bars(points: Sequence[tuple[str, float]], *, title: str, fmt: Callable[[float], str] = str,
         top: float | None = None, alt: Sequence[bool] | None = None, counts: bool = False) -> Markup:
    """One bar per (label, value); ``counts``: whole numbers (gridlines at whole numbers, at least 0..4)."""
    n = max(len(points), 1)
    peak = top if top is not None else _nice_max(max((v for _, v in points), default=0))
    if counts and top is None:
        peak = max(peak, 4)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    step = plot_w / n
    out = [f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i in range(5):  # grid and y labels
        y = TOP + plot_h * i / 4
        out.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}"/>'
                   f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(peak * (4 - i) / 4))}</text>')
    every = max(1, round(n / 12))
    for i, (label, value) in enumerate(points):
        h = 0 if peak <= 0 else plot_h * min(value, peak) / peak
        x = LEFT + i * step + step * 0.15
        cls = "bar alt" if alt and alt[i] else "bar"
        out.append(f'<rect class="{cls}" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                   f'height="{h:.1f}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>')
        if i % every == 0:
            out.append(_x_label(LEFT + i * step + step / 2, _label(label, n), n))
    out.append(f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{W - RIGHT}" y2="{TOP + plot_h}"/></svg>')
    return Markup("".join(out))


def line(points: Sequence[tuple[str, float]], *, title: str, fmt: Callable[[float], str] = str,
         top: float = 1.0) -> Markup:
    """A line through (label, value) points on a 0..top scale (rates)."""
    n = max(len(points), 1)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    step = plot_w / n
    out = [f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i in range(5):
        y = TOP + plot_h * i / 4
        out.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}"/>'
                   f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(top * (4 - i) / 4))}</text>')
    xy = [(LEFT + i * step + step / 2, TOP + plot_h - plot_h * min(v, top) / top) for i, (_, v) in enumerate(points)]
    if len(xy) > 1:
        out.append('<polyline class="line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy) + '"/>')
    every = max(1, round(n / 12))
    for i, ((label, value), (x, y)) in enumerate(zip(points, xy, strict=True)):
        out.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(label)}: '
                   f'{escape(fmt(value))}</title></circle>')
        if i % every == 0:
            out.append(_x_label(x, _label(label, n), n))
    out.append(f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{W - RIGHT}" y2="{TOP + plot_h}"/></svg>')
    return Markup("".join(out))


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def rupees(paise: float | None) -> str:
    return "—" if paise is None else f"₹{paise / 100:,.0f}"

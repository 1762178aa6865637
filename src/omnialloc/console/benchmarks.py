"""The benchmarks screen, for analysts: the latest benchmark results (benchmarks/RESULTS.md, a page of current
numbers, each with its command, machine and date) with a table of contents, the plots in
benchmarks/results, and the latest nightly batch plans. Kept apart from the business KPIs
(``console.analytics``); the history of the numbers is git's.
"""

from __future__ import annotations

import re

from flask import abort, render_template, send_from_directory

from omnialloc.api.deps import ctx
from omnialloc.console import bp, need, reads
from omnialloc.domain.enums import Role


def contents(md: str) -> list[tuple[str, str]]:
    """(anchor, title) of each ``## `` section of the results page."""
    return [(slug(t), t) for t in re.findall(r"^## +(.+)$", md, re.M)]


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def facts(values: dict) -> list[tuple[str, str]]:
    """A batch run's summary figures for people: floats to four significant digits, not a raw dict."""
    out = []
    for k, v in values.items():
        if isinstance(v, float):
            v = f"{v:.4g}"
        elif isinstance(v, (dict, list)):
            continue
        out.append((k.replace("_", " "), str(v)))
    return out


@bp.get("/benchmarks")
def benchmarks():
    need(Role.ADMIN, Role.ANALYST)
    path = reads.benchmarks_dir() / "RESULTS.md"
    md = path.read_text(encoding="utf-8") if path.is_file() else ""
    body = reads.markdown_html(md) if md else None
    if body:  # anchors for the table of contents
        body = re.sub(r"<h3>(.+?)</h3>", lambda m: f'<h3 id="{slug(re.sub("<[^>]+>", "", m.group(1)))}">'
                      f"{m.group(1)}</h3>", body)
    results = reads.benchmarks_dir() / "results"
    plots = sorted(p.name for p in results.glob("*.png")) if results.is_dir() else []
    runs = [{"run": r, "facts": facts(r.facts or {})} for r in reads.batch_runs(ctx(), limit=5)]
    return render_template("console/benchmarks.html", body=body, toc=contents(md), plots=plots, runs=runs)


@bp.get("/benchmarks/plots/<name>")
def benchmark_plot(name: str):
    need(Role.ADMIN, Role.ANALYST)
    if not name.endswith(".png") or "/" in name or name.startswith("."):
        abort(404)
    return send_from_directory(reads.benchmarks_dir() / "results", name, mimetype="image/png")

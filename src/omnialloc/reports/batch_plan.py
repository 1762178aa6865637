"""The report of a nightly batch plan (``omnialloc batch plan --out DIR``): ``plan.json`` (the summary, with
the run id ``batch apply --plan DIR`` reads back), ``moves.csv`` (one row per order that changes) and
``chart.png`` (the cost before and after, stacked by part, with the LP bound)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from omnialloc.domain.errors import ValidationFailed
from omnialloc.reports.charts import pyplot, save

PLAN = "plan.json"


def _json(value: Any) -> str:
    """numpy numbers as Python numbers, anything else JSON cannot hold as its text."""
    return json.dumps(value, indent=2, default=lambda v: v.item() if hasattr(v, "item") else str(v))


def write(out_dir: str | Path, summary: dict, moves: list) -> None:
    """Write the report of the plan ``summary`` and its ``moves`` (``domain.BatchMove``) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / PLAN).write_text(_json(summary))
    with open(out / "moves.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "from_nodes", "to_nodes", "cost_before_paise", "cost_after_paise", "saving_paise"])
        for r in moves:
            frm = "+".join(s[2] for s in r.old["shipments"]) or "-"
            to = "+".join(p["node"] for p in r.new) or "-"
            w.writerow([r.order_id, frm, to, r.cost_before_paise, r.cost_after_paise,
                        r.cost_before_paise - r.cost_after_paise])
    _chart(out / "chart.png", summary)


def _chart(path: Path, summary: dict) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = ["before", "after"]
    bottom = np.zeros(2)
    for part in ("shipping", "split", "fixed", "unfilled_paise"):
        vals = np.array([summary["before"].get(part, 0), summary["after"].get(part, 0)], dtype=float) / 100
        ax.bar(labels, vals, bottom=bottom, label=part.replace("_paise", ""))
        bottom += vals
    if summary.get("bound_paise"):
        ax.axhline(summary["bound_paise"] / 100, color="k", ls="--", lw=1, label="LP bound")
    ax.set_ylabel("cost (rupees)")
    ax.set_title(f"batch {summary['run_id']}: {summary['orders']} orders, {summary['moves']} moves")
    ax.legend()
    save(fig, path)


def run_id_in(plan_dir: str | Path) -> str:
    """The batch run whose report is in ``plan_dir`` (the ``--out`` folder of ``batch plan``)."""
    path = Path(plan_dir) / PLAN
    if not path.exists():
        raise ValidationFailed(f"{path} not found: pass the --out folder of `omnialloc batch plan`")
    return json.loads(path.read_text())["run_id"]

"""The report of a rebalancing plan (``omnialloc rebalance plan --out DIR``), which is also the input of
``rebalance apply --plan DIR``: ``transfers.csv`` (from, to, SKU, qty, cost, saving: an analyst may edit
it before applying), ``plan.json`` (the summary with the plan id; marked applied, with the transfers
created, once applied) and ``coverage.png`` (forecast demand covered by stock per node, before and after).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from omnialloc.domain.errors import ValidationFailed
from omnialloc.reports.charts import pyplot, save

TRANSFERS = "transfers.csv"
PLAN = "plan.json"
#: keys of the plan's summary that are written elsewhere (transfers.csv, the chart), not into plan.json
_NOT_IN_PLAN_JSON = ("transfer_list", "node_coverage")


@dataclass(frozen=True)
class PlanFolder:
    """A plan read back for applying: its id and the SKU quantities per (from, to) lane."""

    folder: Path
    plan_id: str
    lanes: dict[tuple[str, str], dict[str, int]]
    meta: dict


def write(out_dir: str | Path, summary: dict) -> None:
    """Write the plan ``summary`` (``services.batch.rebalance.plan``) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / TRANSFERS, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["from", "to", "sku", "qty", "cost_paise", "saving_paise"])
        for t in summary["transfer_list"]:
            w.writerow(list(t))
    (out / PLAN).write_text(json.dumps({k: v for k, v in summary.items() if k not in _NOT_IN_PLAN_JSON}, indent=2))
    _chart(out / "coverage.png", summary["node_coverage"])


def _chart(path: Path, coverage: dict) -> None:
    codes = coverage["nodes"]
    before, after, target = (np.array(coverage[k], dtype=np.int64) for k in ("before", "after", "target"))
    keep = np.flatnonzero(target > 0)
    x = np.arange(len(keep))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(keep) + 2), 4))
    den = np.maximum(target[keep], 1)
    ax.bar(x - 0.2, 100 * before[keep] / den, 0.4, label="before")
    ax.bar(x + 0.2, 100 * after[keep] / den, 0.4, label="after")
    ax.set_xticks(x, [codes[i] for i in keep], rotation=60, ha="right")
    ax.set_ylabel("forecast demand covered by stock (%)")
    ax.set_ylim(0, 105)
    ax.legend()
    save(fig, path)


def read(plan_dir: str | Path) -> PlanFolder:
    """The plan in ``plan_dir`` to apply; refused if the folder holds no plan or its plan was applied."""
    folder = Path(plan_dir)
    meta_path = folder / PLAN
    if not (folder / TRANSFERS).exists() or not meta_path.exists():
        raise ValidationFailed(f"{folder} has no {TRANSFERS}/{PLAN}: pass the --out folder of `rebalance plan`")
    meta = json.loads(meta_path.read_text())
    if meta.get("applied"):
        raise ValidationFailed(f"the plan in {folder} was already applied ({len(meta.get('created', []))} transfers)")
    lanes: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    with open(folder / TRANSFERS, newline="") as f:
        for row in csv.DictReader(f):
            lanes[(row["from"], row["to"])][row["sku"]] = int(row["qty"])
    # plans written before plan ids existed: the file's content names the plan
    plan_id = meta.get("plan_id") or "reb_" + hashlib.sha256((folder / TRANSFERS).read_bytes()).hexdigest()[:16]
    return PlanFolder(folder, plan_id, dict(lanes), meta)


def mark_applied(plan: PlanFolder, result: dict) -> None:
    """Record in ``plan.json`` that the plan was applied: a second apply of the folder is refused."""
    meta = {**plan.meta, "applied": True, "created": result["already_created"] + result["created"],
            "refused": result["refused"]}
    (plan.folder / PLAN).write_text(json.dumps(meta, indent=2))

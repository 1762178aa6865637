"""PNG charts of a benchmark run (matplotlib, Agg backend: no display needed).

- cost by strategy (landed cost and unfilled penalty, stacked; the
  clairvoyant bound as a line),
- split rate and shipments per order,
- solve-time distribution per strategy (log scale),
- a map of India from lat/lon: nodes by kind and the flows (node -> customer
  city) of the myopic optimum next to the nearest-node baseline.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
import numpy as np  # noqa: E402

from .runner import CLAIRVOYANT, RunResult  # noqa: E402

KIND_STYLE = {"warehouse": ("s", "#1f77b4"), "store": ("o", "#2ca02c"), "dropship_vendor": ("^", "#d62728")}


def _online(rows: list[dict]) -> list[dict]:
    return [r for r in rows if not r["strategy"].startswith(CLAIRVOYANT)]


def cost_by_strategy(rows: list[dict], unit: str, path: Path) -> Path:
    on = _online(rows)
    names = [r["strategy"] for r in on]
    landed = np.array([r["landed_cost"] for r in on])
    pen = np.array([r["unfilled_penalty"] for r in on])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.bar(names, landed, label="landed (shipping + COD + handling)", color="#4c72b0")
    ax.bar(names, pen, bottom=landed, label="unfilled-unit penalty", color="#dd8452")
    for r, style in zip([r for r in rows if r["strategy"].startswith(CLAIRVOYANT)], ("--", ":")):
        ax.axhline(r["total_cost"], color="k", ls=style, lw=1, label=f"{r['strategy']}: {r['statuses']}")
    ax.set_ylabel(f"total cost ({unit})")
    ax.set_title("Total cost by strategy (same orders, arrival order, depleting stock)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def split_rate(rows: list[dict], path: Path) -> Path:
    on = _online(rows)
    names = [r["strategy"] for r in on]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(names, [100 * r["split_rate"] for r in on], color="#55a868")
    for i, r in enumerate(on):
        ax.text(i, 100 * r["split_rate"], f"{r['shipments_per_order']:.2f} shp/order", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("orders split into 2+ shipments (%)")
    ax.set_title("Split rate by strategy")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency(result: RunResult, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4))
    data, names = [], []
    for name, log in result.logs.items():
        data.append(np.maximum(log.solve_ms, 1e-3))
        names.append(name)
    ax.boxplot(data, tick_labels=names, whis=(1, 99), showfliers=True, flierprops={"markersize": 2})
    ax.set_yscale("log")
    ax.set_ylabel("solve time per order incl. model build (ms, log)")
    ax.set_title("Latency distribution (whiskers: p1-p99)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def india_map(result: RunResult, path: Path, strategies: tuple[str, ...] = ("nearest", "optimal")) -> Path:
    sc = result.scenario
    shown = [s for s in strategies if s in result.logs] or list(result.logs)[:1]
    fig, axes = plt.subplots(1, len(shown), figsize=(6.5 * len(shown), 7), squeeze=False)
    cities = sc.network.cities
    for ax, name in zip(axes[0], shown):
        ax.scatter([c.lon for c in cities], [c.lat for c in cities], s=[max(4, c.population / 4e5) for c in cities],
                   color="#cccccc", zorder=1, label="demand cities (size ~ population)")
        flows = defaultdict(int)
        for (n, _city, lat, lon), k in result.logs[name].flows.items():
            flows[(n, lat, lon)] += k
        top = max(flows.values()) if flows else 1
        # One LineCollection, thinnest flows first (drawn underneath): thousands of ax.plot calls
        # took seconds at 20,000 orders.
        ranked = sorted(flows.items(), key=lambda kv: kv[1])
        segs = [[(sc.nodes[n].loc.lon, sc.nodes[n].loc.lat), (lon, lat)] for (n, lat, lon), _ in ranked]
        share = np.array([k / top for _, k in ranked])
        colors = np.tile(matplotlib.colors.to_rgba("#8172b2"), (len(ranked), 1))
        colors[:, 3] = np.minimum(0.9, 0.08 + 0.8 * share)
        ax.add_collection(LineCollection(segs, colors=colors, linewidths=0.3 + 2.5 * share, zorder=2))
        for kind, (marker, color) in KIND_STYLE.items():
            pts = [n for n in sc.nodes if n.kind == kind]
            if pts:
                ax.scatter([n.loc.lon for n in pts], [n.loc.lat for n in pts], marker=marker, color=color,
                           s=28, edgecolor="k", lw=0.4, zorder=3, label=kind)
        ax.set_xlim(67.5, 97.5)
        ax.set_ylim(6.5, 37.5)
        ax.set_aspect(1.0 / np.cos(np.radians(22)))
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        ax.set_title(f"{sc.name}: {name} flows (node -> customer, width ~ shipments)", fontsize=9)
        ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def all_plots(result: RunResult, rows: list[dict], out_dir: Path, stem: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    unit = result.scenario.money_unit
    return [
        cost_by_strategy(rows, unit, out_dir / f"{stem}-cost.png"),
        split_rate(rows, out_dir / f"{stem}-split.png"),
        latency(result, out_dir / f"{stem}-latency.png"),
        india_map(result, out_dir / f"{stem}-map.png"),
    ]

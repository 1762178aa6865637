"""Documents benchmark: how long a shipping label PDF takes, and a merged PDF of 200 labels.

    .venv/bin/python -m benchmarks.documents_bench [--labels 500] [--merged 200] [--rounds 5] [--write]

Targets (issue 26): one label PDF p99 <= 50 ms; one merged PDF of 200 labels <= 5 s.

Each label is a different shipment (AWB, names, addresses, COD or prepaid, 1-6 items), built before
timing; what is timed is ``render_label(view)`` to the PDF's bytes (4 x 6 in, fonts subset and
embedded, Code 128 AWB), after 20 warm-up renders (the first one registers the fonts). The merged
PDF is ``render_labels`` of 200 such views, thermal (200 pages of 4 x 6 in) and A4 (50 sheets of four).
For reference, not targets: a one-page GST invoice, and a 200-shipment manifest (5 pages).

Wall time and this thread's CPU time (``time.thread_time``) are both reported: on a machine shared
with other work the wall time includes waiting for a core, the CPU time does not.
``--write`` replaces the "## Documents (PDF)" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from tqdm import tqdm

from omnialloc.documents import (
    InvoiceView, Item, LabelLayout, LabelView, ManifestEntry, ManifestView, PostalAddress, render_invoice,
    render_label, render_labels, render_manifest,
)
from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.gst import gstin_check_character

from .report import machine
from .solver_bench import write_section

SECTION = "## Documents (PDF)"
TARGET_LABEL_P99_MS = 50.0
TARGET_MERGED_S = 5.0

_CITIES = [("Bengaluru", "Karnataka", "560087"), ("Mumbai", "Maharashtra", "400001"),
           ("New Delhi", "Delhi", "110001"), ("Kolkata", "West Bengal", "700001"), ("Chennai", "Tamil Nadu", "600001"),
           ("Hyderabad", "Telangana", "500001"), ("Pune", "Maharashtra", "411001"), ("Jaipur", "Rajasthan", "302001")]
_FIRST = ["Ananya", "Rahul", "Priya", "Arjun", "Kavya", "Vikram", "Meera", "Rohan", "Sneha", "Aditya"]
_LAST = ["Rao", "Sharma", "Iyer", "Patel", "Reddy", "Nair", "Gupta", "Menon", "Das", "Kulkarni"]
_PRODUCTS = ["Cotton kurta, indigo", "Running shoes", "Steel water bottle 1 l", "Bluetooth earbuds",
             "Bedsheet, double, floral", "Ceramic mug set of 4", "Yoga mat 6 mm", "Backpack 30 l"]
_NODE = PostalAddress(name="Bengaluru FC", line1="Survey 41, Hoskote Industrial Area", city="Hoskote",
                      state="Karnataka", pin="562114", phone="080 2797 0000")
_GSTIN = "29AAPFU0939F1Z" + gstin_check_character("29AAPFU0939F1Z")
_ISSUED = datetime(2025, 6, 1, 9, 15, tzinfo=timezone.utc)


def make_label(rng: random.Random, n: int) -> LabelView:
    city, state, pin = rng.choice(_CITIES)
    items = tuple(Item(sku=f"SKU-{rng.randrange(10_000):05d}", name=rng.choice(_PRODUCTS), qty=rng.randint(1, 3),
                       unit_price_paise=rng.randrange(199, 4999) * 100, barcode=f"890{rng.randrange(10**10):010d}",
                       hsn="6109", gst_rate_bp=500) for _ in range(rng.randint(1, 6)))
    cod = rng.random() < 0.4
    value = sum(i.qty * i.unit_price_paise for i in items)
    return LabelView(
        carrier=rng.choice(["Delhivery", "Blue Dart", "Ekart", "XpressBees"]), service=rng.choice(["Surface", "Air"]),
        awb=f"{rng.randrange(10**12, 10**13)}", order_ref=f"WEB-{100_000 + n}", shipment_ref=f"SH-{n}",
        ship_to=PostalAddress(name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                              line1=f"Flat {rng.randint(1, 999)}, {rng.choice(['Lakeside', 'Green', 'Sunrise'])} "
                                    f"{rng.choice(['Habitat', 'Residency', 'Towers'])}",
                              line2=f"{rng.randint(1, 40)}th Cross, {rng.choice(['Main Road', 'Layout', 'Nagar'])}",
                              city=city, state=state, pin=pin, phone=f"+91 98{rng.randrange(10**8):08d}"),
        return_to=_NODE, weight_g=rng.randint(150, 8_000), payment=PaymentMode.COD if cod else PaymentMode.PREPAID,
        cod_paise=value if cod else 0, items=items, seller_name="Omni Retail Pvt Ltd", seller_gstin=_GSTIN,
        invoice_number=f"BLR1/2526/{n:05d}", invoice_value_paise=value, dimensions_mm=(300, 200, 100),
        dispatch_by=_ISSUED + timedelta(hours=20), issued_at=_ISSUED + timedelta(seconds=n))


def _timed(fn: Callable[[], bytes]) -> tuple[float, float, int]:
    """(wall s, CPU s, bytes) of one call."""
    wall0, cpu0 = time.perf_counter(), time.thread_time()
    size = len(fn())
    return time.perf_counter() - wall0, time.thread_time() - cpu0, size


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(labels: int, merged: int, rounds: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    views = [make_label(rng, n) for n in range(max(labels, merged))]
    for view in views[:20]:
        render_label(view)
    load_before = os.getloadavg()[0]
    walls, cpus, sizes = [], [], []
    for view in tqdm(views[:labels], desc="single labels", unit="label"):
        wall, cpu, size = _timed(lambda: render_label(view))
        walls.append(wall * 1000)
        cpus.append(cpu * 1000)
        sizes.append(size)
    merged_runs = {}
    for layout in (LabelLayout.THERMAL_4X6, LabelLayout.A4_4UP):
        runs = [_timed(lambda: render_labels(views[:merged], layout))
                for _ in tqdm(range(rounds), desc=f"merged {merged} ({layout.value})", unit="pdf")]
        merged_runs[layout.value] = runs
    entries = tuple(ManifestEntry(awb=v.awb, order_ref=v.order_ref, destination_city=v.ship_to.city,
                                  destination_pin=v.ship_to.pin, weight_g=v.weight_g, payment=v.payment,
                                  cod_paise=v.cod_paise) for v in views[:200])
    manifest = ManifestView(manifest_ref="MF-BLR1-0001", node_code="BLR1", node_name="Bengaluru FC",
                            node_address=_NODE, carrier="Delhivery", entries=entries, issued_at=_ISSUED)
    invoice = InvoiceView(invoice_number="BLR1/2526/00001", seller_name="Omni Retail Private Limited",
                          seller_gstin=_GSTIN, seller_address=_NODE, bill_to=views[0].ship_to,
                          ship_to=views[0].ship_to, place_of_supply="MH", items=views[0].items,
                          order_ref=views[0].order_ref, payment=PaymentMode.PREPAID, issued_at=_ISSUED)
    others = {
        "GST invoice (1 page)": [_timed(lambda: render_invoice(invoice)) for _ in tqdm(range(50), desc="invoices")],
        "manifest, 200 shipments": [_timed(lambda: render_manifest(manifest)) for _ in tqdm(range(rounds),
                                                                                           desc="manifests")],
    }
    return dict(labels=labels, merged=merged, rounds=rounds, walls=walls, cpus=cpus, sizes=sizes,
                merged_runs=merged_runs, others=others, load=(load_before, os.getloadavg()[0]))


def verdicts(r: dict) -> list[str]:
    p99 = _pct(r["walls"], 0.99)
    worst = max(w for w, _, _ in r["merged_runs"]["4x6"])
    return [f"label PDF p99 {p99:.1f} ms vs <= {TARGET_LABEL_P99_MS:g} ms: "
            + ("met" if p99 <= TARGET_LABEL_P99_MS else f"missed ({p99 / TARGET_LABEL_P99_MS:.1f}x)"),
            f"merged PDF of {r['merged']} labels, slowest of {r['rounds']} runs {worst:.2f} s vs <= {TARGET_MERGED_S:g} s: "
            + ("met" if worst <= TARGET_MERGED_S else f"missed ({worst / TARGET_MERGED_S:.1f}x)")]


def markdown(r: dict) -> str:
    w, c = r["walls"], r["cpus"]
    lines = [
        f"`.venv/bin/python -m benchmarks.documents_bench --labels {r['labels']} --merged {r['merged']} "
        f"--rounds {r['rounds']} --write` on {machine()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        f"**The machine was shared with other sessions' work while measuring** (load average "
        f"{r['load'][0]:.1f} before, {r['load'][1]:.1f} after, on 2 cores), so wall times include waiting for a "
        "core; CPU time (this thread's) is what the rendering itself costs.",
        "",
        f"Targets (issue 26): {'; '.join(verdicts(r))}.",
        "",
        "| document | n | wall p50 | wall p95 | wall p99 | wall max | CPU p50 | CPU p99 | size |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| shipping label 4x6 in (ms) | {len(w)} | {_pct(w, .5):.1f} | {_pct(w, .95):.1f} | {_pct(w, .99):.1f} | "
        f"{max(w):.1f} | {_pct(c, .5):.1f} | {_pct(c, .99):.1f} | {statistics.median(r['sizes']) / 1024:.0f} KiB |",
    ]
    for name, runs in [(f"{r['merged']} labels merged, 4x6 in (s)", r["merged_runs"]["4x6"]),
                       (f"{r['merged']} labels merged, A4 4-up (s)", r["merged_runs"]["a4"])]:
        walls, cpus = [x[0] for x in runs], [x[1] for x in runs]
        lines.append(f"| {name} | {len(runs)} | {statistics.median(walls):.2f} | - | - | {max(walls):.2f} | "
                     f"{statistics.median(cpus):.2f} | - | {runs[0][2] / 1024:.0f} KiB |")
    for name, runs in r["others"].items():
        walls, cpus = [x[0] * 1000 for x in runs], [x[1] * 1000 for x in runs]
        lines.append(f"| {name} (ms) | {len(runs)} | {statistics.median(walls):.1f} | - | - | {max(walls):.1f} | "
                     f"{statistics.median(cpus):.1f} | - | {runs[0][2] / 1024:.0f} KiB |")
    lines += ["", "Every label is a different shipment (1-6 items, 40% COD); fonts are DejaVu Sans subsets, "
              f"embedded per file; ReportLab's pure-Python code path (no rl-accel), Python {sys.version.split()[0]}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=int, default=500, help="single labels to time")
    ap.add_argument("--merged", type=int, default=200, help="labels in the merged PDF")
    ap.add_argument("--rounds", type=int, default=5, help="merged PDFs to time per layout")
    ap.add_argument("--write", action="store_true", help="replace the section in benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    result = run(args.labels, args.merged, args.rounds)
    body = markdown(result)
    print(f"\n{SECTION}\n\n{body}")
    if args.write:
        write_section(body, SECTION)
    return 0 if all(v.endswith("met") for v in verdicts(result)) else 1


if __name__ == "__main__":
    sys.exit(main())

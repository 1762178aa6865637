"""`make bench`: the reference strategy comparison, regenerating its section of RESULTS.md.

Runs `omnialloc bench run --scenario india-100 --orders 20000 --strategies all --seed 7`
(the reference scenario; parameters fixed in benchmarks/scenarios/generator.py),
writes benchmarks/results/<name>.csv/.md/.png, and replaces the section
"## Strategy comparison (reference scenario)" of benchmarks/RESULTS.md,
leaving every other section (owned by other benchmarks) untouched.

Then the Jasin & Sinha (2015) cost-structure scenario (BENCH_JS_ORDERS orders,
default 2000; 0 skips it) as a subsection.

Between them, the reference scenario at BENCH_GAP_ORDERS orders (default 2000; 0 skips it), where the
own LP bound and the batch solver's whole-line plan are also computed for comparison (only up to
report.CLAIRVOYANT_MAX_ORDERS orders).

The clairvoyant bound of a run starts from the prices `omnialloc bench bound` stored for that very
scenario in benchmarks/results/bound-<run>.json, when there is one (certificate.py; the reference
run has one), and evaluates the bound at them itself.

Environment overrides for a quick look: BENCH_ORDERS, BENCH_SCENARIO, BENCH_SEED, BENCH_GAP_ORDERS, BENCH_JS_ORDERS,
BENCH_BOUND_BUDGET_S (seconds for the clairvoyant Lagrangian bound, default 60; see clairvoyant.py).
"""

from __future__ import annotations

import os
import re
import sys

from . import RESULTS_MD, report, results_link

SECTION = "## Strategy comparison (reference scenario)"
# RESULTS_MD: benchmarks/RESULTS.md in a checkout, ./bench-results/RESULTS.md when installed (see __init__.py)


END = "<!-- end of the strategy comparison section (make bench rewrites everything above, up to its heading) -->"


def replace_section(text: str, body: str) -> str:
    """Replace (or append) our section: from its heading to our end marker, or, without the
    marker, to the next '## ' heading. The marker keeps text others append after our section
    (even under a '###' heading) out of what we rewrite."""
    block = f"{SECTION}\n\n{body.strip()}\n\n{END}\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?:^{re.escape(END)}\n|(?=^## )|\Z)", re.S | re.M)
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text, count=1)
    if not text:
        text = "# Benchmark results\n\n"
    return text.rstrip("\n") + "\n\n" + block


def section_body(out: report.BenchOutput) -> str:
    res = out.result
    md = out.markdown.replace("](" + out.name, "](" + results_link(out.name))
    notes = [
        "",
        "How to read it: every strategy sees the same orders in the same arrival order and its own depleting "
        "copy of the stock. Costs are the product's cost model (courier slab charges from data/rate_cards.csv, "
        "COD fees, node handling) plus an unfilled-unit penalty of twice the dearest one-unit shipment "
        "(Jasin & Sinha's convention). 'vs optimal' is the total-cost difference to the per-order optimum "
        "(myopic); 'gap closed' is (myopic - policy) / (myopic - clairvoyant bound). optimal_lookahead is the "
        "per-order optimum plus per-unit stock opportunity prices: the batch LP's stock duals over a *forecast* "
        "(independent samples of the same demand distribution, never the real orders: up to 8 whole samples of "
        "the remaining horizon while it is at most 2,000 orders, else 2,000 orders against the stock scaled to "
        "their share, unrounded) against the strategy's own current stock, refreshed 8 times over the run "
        "(benchmarks/lookahead.py; its parameters chosen on seeds 1-3, not on the reference seed). "
        "clairvoyant is a plan knowing "
        "every order, on the online policies' rules (an upper estimate of the clairvoyant optimum); "
        "clairvoyant_bound is a lower bound on every plan (the Lagrangian bound, see the notes under the table).",
        "Solve times are wall-clock per order including model build, measured while other engineers' test "
        "suites shared the 2 cores (see the load average above), so they overstate an idle machine.",
    ]
    n = out.result.scenario.n_orders
    cpu = out.result.wall_s.get("cpu", float("nan"))
    notes += [
        "",
        "Targets, as measured by this run:",
        f"- optimal never costlier than a baseline on the same order and state: {out.result.checks:,} checks, "
        f"{len(out.result.violations)} violation(s).",
        f"- 20,000 orders through all strategies in <= 5 min: this run took {out.wall_s:,.0f} s for {n:,} orders, "
        f"{out.result.run_wall_s:,.0f} s of it the online strategies (incl. checks and lookahead refreshes; "
        f"{cpu:,.0f} CPU-s summed over the processes" + _per_process(out.result)
        + ") and the rest the clairvoyant plan and bound and the plots"
        + ("" if n == 20_000 else f"; at that rate 20,000 would take about {out.wall_s * 20_000 / n / 60:,.0f} min "
           "(extrapolated, not measured)")
        + (f": **{'met' if out.wall_s <= 300 else 'missed'}**" if n == 20_000 else "") + ".",
        "- optimal_lookahead closes >= 50% of the myopic-to-clairvoyant gap: " + gap_shares(out) + ".",
    ]
    return md + "\n".join(notes) + "\n"


def _per_process(res) -> str:
    """'; per process: 140 CPU-s (optimal_lookahead, max_stock, optimal), ...': the busiest process
    bounds the wall time on a machine with the cores to itself."""
    groups = getattr(res, "group_cpu_s", None) or []
    if len(groups) < 2:
        return ""
    return "; per process: " + ", ".join(f"{cpu:,.0f} CPU-s ({', '.join(names)})" for cpu, names in groups)


def gap_shares(out: report.BenchOutput) -> str:
    """The share of the myopic-to-clairvoyant gap the lookahead closes, against every reference
    this run has, each named for what it is (none of them is the clairvoyant optimum itself)."""
    rows = {r["strategy"]: r for r in out.rows}
    my, look = rows.get("optimal"), rows.get("optimal_lookahead")
    if not my or not look:
        return "not measured (optimal or optimal_lookahead not run)"
    refs = report.gap_references(out)
    m, cost = my["total_cost"], look["total_cost"]
    parts = [f"{100 * (m - cost) / (m - ref):.1f}% against {what}" for what, ref in refs if m > ref]
    return "; ".join(parts) if parts else "not measured (no clairvoyant reference below the myopic cost)"


def _gap_note(out: report.BenchOutput) -> str:
    return f"\nShare of the myopic-to-clairvoyant gap closed by optimal_lookahead (target 50%): {gap_shares(out)}.\n"


def main() -> int:
    scenario = os.environ.get("BENCH_SCENARIO", "india-100")
    orders = int(os.environ.get("BENCH_ORDERS", "20000"))
    seed = int(os.environ.get("BENCH_SEED", "7"))
    cmd = f"omnialloc bench run --scenario {scenario} --orders {orders} --strategies all --seed {seed}"
    out = report.bench_run(scenario, orders, "all", seed, command=cmd + "  (via `make bench`)")
    body = section_body(out)
    bad = len(out.result.violations)
    gap_orders = int(os.environ.get("BENCH_GAP_ORDERS", "2000"))
    if 0 < gap_orders < orders:
        gap_cmd = f"omnialloc bench run --scenario {scenario} --orders {gap_orders} --strategies all --seed {seed}"
        gap = report.bench_run(scenario, gap_orders, "all", seed, command=gap_cmd + "  (via `make bench`)")
        bad += len(gap.result.violations)
        body += (f"\n### The same scenario at {gap_orders:,} orders\n\n"
                 f"Here the own LP bound and the batch solver's whole-line plan are computed too (only up to "
                 f"{report.CLAIRVOYANT_MAX_ORDERS:,} orders: the LP grows with orders x nodes), for comparison "
                 "with the Lagrangian bound.\n\n"
                 + gap.markdown.replace("](" + gap.name, "](" + results_link(gap.name)) + _gap_note(gap))
        print(gap.markdown)
    js_orders = int(os.environ.get("BENCH_JS_ORDERS", "2000"))
    if js_orders > 0:
        js_cmd = f"omnialloc bench run --scenario jasin-sinha --orders {js_orders} --strategies all --seed {seed}"
        js = report.bench_run("jasin-sinha", js_orders, "all", seed, command=js_cmd + "  (via `make bench`)")
        bad += len(js.result.violations)
        body += ("\n### Jasin & Sinha (2015) cost structure\n\n"
                 "10 FCs in the 10 most populous cities of data/cities.csv, 8.759 per package + 0.423 per item + "
                 "0.000541 per item-mile, an unfilled item at twice the cost of shipping it alone from the farthest "
                 "FC; demand and stock drawn as in the reference scenario. Money in their units.\n\n"
                 + js.markdown.replace("](" + js.name, "](" + results_link(js.name)))
        print(js.markdown)
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else ""
    RESULTS_MD.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_MD.write_text(replace_section(text, body))
    print(out.markdown)
    print(f"updated {RESULTS_MD}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

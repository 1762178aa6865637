"""Rules evaluation benchmark: what a full rule set of 50 (and 500) rules adds to one order.

    .venv/bin/python -m benchmarks.rules_bench [--orders 1200] [--repeat 5] [--rules 50 500] [--write]

Uses the demo network (data/nodes.csv, carriers.csv, skus.csv) and the demo
orders (data/orders.json). The 50 rules mix every kind and condition style a
seller writes: field comparisons, ``in`` lists, PIN regexes, comprehensions
over lines, null-coalescing, arithmetic. All 50 are enabled and none stops
processing. Beyond the first 50, rules are generated the way a large seller's rule set grows: per SKU,
per state, per city, per channel and zone, per category, per PIN prefix, and one in ten on thresholds
of order value and weight. The rule index (`rules.index`) evaluates only the rules whose guard
(or threshold) an order meets.

Measured per order, after a warm-up, with ``time.perf_counter_ns``:

- ``evaluate``: ``RuleSet.validate`` + ``RuleSet.route`` (the conditions of the
  rules the index lets through, each one generated Python function (`rules.fast`),
  the actions of the rules that fire, conflict resolution);
- ``facts + evaluate``: the same plus building the typed facts from the order
  (what `services.rules.runtime` adds per order besides its one revision query);
- ``rule-engine interpreter``: the same evaluation with the fast path switched
  off (each condition through ``rule_engine.Rule.matches``), for comparison.

``--write`` appends the table to benchmarks/RESULTS.md under "## Rules evaluation".
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import json
import platform
import statistics
import sys
import time
from dataclasses import replace

from tqdm import tqdm

from omnialloc.geo.pins import locate
from omnialloc.network_files import packaged_data_dir
from omnialloc.rules import Catalog, NodeInfo, OrderInput, RuleSet, RuleSpec, build_facts, compile_rule

if __package__:  # python -m benchmarks.rules_bench (or omnialloc.bench.rules_bench)
    from . import RESULTS_MD  # benchmarks/RESULTS.md in a checkout, ./bench-results/RESULTS.md installed
else:  # python benchmarks/rules_bench.py
    from omnialloc.bench import RESULTS_MD
DATA = packaged_data_dir()
BUDGET_P99_MS = 0.5

SOUTH = '["TN", "KL", "KA", "AP", "TS", "PY"]'


def rule_specs(count: int = 50) -> list[RuleSpec]:
    v, r, s, p = "validation", "routing", "shipping", "split"
    raw = [
        # ---- validation (15)
        (v, 'order.payment_mode == "COD" and order.value > 500000', [{"type": "hold", "reason": "high-value COD"}]),
        (v, "any(line.qty > 5 for line in lines)", [{"type": "set_priority", "priority": 8},
                                                    {"type": "add_tag", "tag": "bulk"}]),
        (v, 'order.payment_mode == "COD" and ship_to.pin =~ "^79"', [{"type": "require_prepaid"}]),
        (v, "not customer.is_repeat and order.value > 2000000", [{"type": "flag_fraud"}]),
        (v, '"vip" in order.tags', [{"type": "set_priority", "priority": 10}]),
        (v, 'order.channel == "amazon" and (order.promised_days ?? 99) <= 2', [{"type": "set_priority", "priority": 9}]),
        (v, "order.created_hour >= 23 or order.created_hour < 5", [{"type": "add_tag", "tag": "night"}]),
        (v, "order.created_weekday in [6, 7]", [{"type": "add_tag", "tag": "weekend"}]),
        (v, "order.line_count > 8", [{"type": "hold", "reason": "unusually many lines"}]),
        (v, "order.total_weight_g > 40000", [{"type": "add_tag", "tag": "heavy"}]),
        (v, '$any([line.category == "electronics" and line.qty > 2 for line in lines])',
         [{"type": "flag_fraud", "reason": "many electronics"}]),
        (v, 'ship_to.region == "northeast" and order.payment_mode == "COD"', [{"type": "add_tag", "tag": "ne-cod"}]),
        (v, 'ship_to.pin =~ "^(11|12|20)"', [{"type": "add_tag", "tag": "ncr"}]),
        (v, "customer.order_count >= 10", [{"type": "set_priority", "priority": 7}]),
        (v, 'order.channel == "pos" and order.value == 0', [{"type": "cancel", "reason": "empty POS order"}]),
        # ---- routing (20)
        (r, f"ship_to.state in {SOUTH}", [{"type": "only_nodes", "groups": ["south-fcs"]}]),
        (r, 'ship_to.region == "north"', [{"type": "prefer_nodes", "groups": ["north-fcs"], "bonus_paise": 5000}]),
        (r, 'ship_to.region == "west"', [{"type": "prefer_nodes", "groups": ["west-fcs"], "bonus_paise": 5000}]),
        (r, 'ship_to.region == "east"', [{"type": "prefer_nodes", "nodes": ["KOL-FC1"], "bonus_paise": 5000}]),
        (r, 'ship_to.region == "northeast"', [{"type": "prefer_nodes_in_order", "nodes": ["GAU-FC1", "KOL-FC1"]}]),
        (r, "order.value > 1000000", [{"type": "ship_from_store", "allowed": False}]),
        (r, "order.total_weight_g > 20000", [{"type": "exclude_nodes", "kinds": ["store"], "reason": "too heavy"}]),
        (r, '$any([line.category == "electronics" for line in lines])',
         [{"type": "exclude_nodes", "kinds": ["dropship_vendor"]}]),
        (r, '(order.promised_days ?? 99) <= 1', [{"type": "max_distance", "km": 300}]),
        (r, '(order.promised_days ?? 99) == 2', [{"type": "max_distance", "km": 900}]),
        (r, 'ship_to.city == "Mumbai"', [{"type": "prefer_nodes", "nodes": ["MUM-ST1"], "bonus_paise": 3000}]),
        (r, 'ship_to.city == "Bengaluru"', [{"type": "prefer_nodes", "nodes": ["BLR-ST1"], "bonus_paise": 3000}]),
        (r, 'ship_to.city == "Delhi"', [{"type": "prefer_nodes", "nodes": ["DEL-ST1"], "bonus_paise": 3000}]),
        (r, 'ship_to.city == "Chennai"', [{"type": "prefer_nodes", "nodes": ["CHN-ST1"], "bonus_paise": 3000}]),
        (r, 'order.channel == "pos"', [{"type": "only_nodes", "kinds": ["store"]}]),
        (r, '$all([line.category == "apparel" for line in lines])',
         [{"type": "prefer_nodes", "nodes": ["DS-SRT1"], "bonus_paise": 2000}]),
        (r, 'ship_to.state == "PB" or ship_to.state == "HR"',
         [{"type": "prefer_nodes", "nodes": ["DS-LDH1", "DEL-FC1"], "bonus_paise": 2500}]),
        (r, "order.priority >= 8", [{"type": "exclude_nodes", "nodes": ["RC-NGP1"]}]),
        (r, 'ship_to.zone == "E"', [{"type": "prefer_nodes", "nodes": ["GAU-FC1", "COK-FC1"], "bonus_paise": 4000}]),
        (r, "order.value - order.total_weight_g * 10 > 300000", [{"type": "exclude_nodes", "kinds": ["return_center"]}]),
        # ---- shipping (10)
        (s, 'ship_to.pin =~ "^78"', [{"type": "allow_carriers", "carriers": ["XPR", "ECO"]}]),
        (s, 'order.payment_mode == "COD"', [{"type": "deny_carriers", "carriers": ["PRP"], "reason": "no COD"}]),
        (s, "order.total_weight_g > 25000", [{"type": "force_carrier", "carrier": "HLX"}]),
        (s, '(order.promised_days ?? 99) <= 2', [{"type": "prefer_carriers", "carriers": ["XPR"], "bonus_paise": 4000}]),
        (s, 'ship_to.zone in ["D", "E"]', [{"type": "prefer_carriers", "carriers": ["ECO"], "bonus_paise": 1500}]),
        (s, "order.value > 1500000", [{"type": "deny_carriers", "carriers": ["ECO"]}]),
        (s, 'ship_to.state in ["JK", "LA", "HP"]', [{"type": "allow_carriers", "carriers": ["XPR"]}]),
        (s, '"fragile" in order.tags', [{"type": "prefer_carriers", "carriers": ["XPR"], "bonus_paise": 2000}]),
        (s, 'order.channel == "amazon"', [{"type": "prefer_carriers", "carriers": ["ECO"], "bonus_paise": 500}]),
        (s, "[l for l in lines if l.qty >= 3].length >= 2", [{"type": "deny_carriers", "carriers": ["PRP"]}]),
        # ---- split (5)
        (p, "order.value < 100000", [{"type": "no_split"}]),
        (p, "order.line_count >= 3", [{"type": "max_shipments", "count": 2}]),
        (p, '$any([line.category == "electronics" for line in lines])',
         [{"type": "keep_together", "categories": ["electronics"]}]),
        (p, "order.value >= 100000", [{"type": "min_shipment_value", "paise": 50000}]),
        (p, '"gift" in order.tags', [{"type": "no_split"}]),
    ]
    assert len(raw) == 50, len(raw)
    raw += _grown(count - 50)
    return [RuleSpec(id=i + 1, name=f"bench-{i + 1:03d}", kind=k, condition=c, actions=a, priority=10 * (i + 1))
            for i, (k, c, a) in enumerate(raw[:count])]


def _grown(n: int) -> list[tuple]:
    """``n`` more rules of the kinds a seller adds over time, deterministic."""
    if n <= 0:
        return []
    skus = [r["code"] for r in _rows("skus.csv")]
    cats = sorted({r["category"] for r in _rows("skus.csv")})
    nodes = [r["code"] for r in _rows("nodes.csv") if r["kind"] == "warehouse"]
    carriers = [r["code"] for r in _rows("carriers.csv")]
    states = ["TN", "KL", "KA", "AP", "TS", "MH", "GJ", "RJ", "DL", "HR", "PB", "UP", "WB", "OD", "AS", "MP", "BR"]
    cities = ["Chennai", "Mumbai", "Delhi", "Bengaluru", "Kolkata", "Hyderabad", "Pune", "Ahmedabad", "Jaipur",
              "Lucknow", "Kochi", "Guwahati", "Nagpur", "Indore", "Surat", "Patna"]
    channels = ["web", "amazon", "shopify", "woocommerce", "pos"]
    v, r, s, p = "validation", "routing", "shipping", "split"
    out = []
    for i in range(n):
        t, k = i % 10, i // 10  # the template, and the how-many-th rule of that template (spreads the values)
        if t in (0, 1, 2):
            sku = skus[(i * 7) % len(skus)]
            out.append((v, f'any(line.sku == "{sku}" and line.qty > {1 + k % 4} for line in lines)',
                        [{"type": "set_priority", "priority": 1 + k % 10}]))
        elif t == 3:
            out.append((r, f'ship_to.state == "{states[k % len(states)]}" and order.value > {10_000 * (k % 50)}',
                        [{"type": "prefer_nodes", "nodes": [nodes[k % len(nodes)]], "bonus_paise": 1000 + i}]))
        elif t == 4:
            out.append((r, f'ship_to.city == "{cities[k % len(cities)]}" and order.total_weight_g < {500 * (1 + k % 40)}',
                        [{"type": "exclude_nodes", "nodes": [nodes[(k + 3) % len(nodes)]], "reason": "far"}]))
        elif t == 5:
            out.append((s, f'order.channel == "{channels[k % len(channels)]}" and '
                           f'ship_to.zone == "{"ABCDE"[(k // len(channels)) % 5]}"',
                        [{"type": "prefer_carriers", "carriers": [carriers[k % len(carriers)]], "bonus_paise": 500 + i}]))
        elif t == 6:
            out.append((p, f'$any([line.category == "{cats[k % len(cats)]}" for line in lines]) and '
                           f'order.line_count >= {2 + k % 3}', [{"type": "max_shipments", "count": 1 + k % 3}]))
        elif t == 7:
            out.append((v, f'ship_to.pin =~ "^{11 + k % 80}" and order.payment_mode == "COD"',
                        [{"type": "add_tag", "tag": f"pin-{11 + k % 80}"}]))
        elif t == 8:
            sku = skus[(i * 11) % len(skus)]
            out.append((p, f'$any([line.sku == "{sku}" for line in lines])',
                        [{"type": "keep_together", "skus": [sku]}]))
        else:
            out.append((v, f"order.value > {100_000 * (1 + k % 90)} and order.total_weight_g < {1000 * (1 + k % 30)}",
                        [{"type": "add_tag", "tag": f"band-{k % 90}"}]))
    return out


def _rows(name: str) -> list[dict]:
    with open(DATA / name, newline="") as fh:
        return list(csv.DictReader(fh))


def catalog() -> Catalog:
    nodes = {r["code"]: NodeInfo(r["code"], r["kind"], frozenset(g for g in r["groups"].split("|") if g))
             for r in _rows("nodes.csv")}
    skus = _rows("skus.csv")
    return Catalog(nodes=nodes, carriers={r["code"] for r in _rows("carriers.csv")},
                   skus={r["code"] for r in skus}, categories={r["category"] for r in skus})


def order_inputs(limit: int) -> list[OrderInput]:
    skus = {r["code"]: r for r in _rows("skus.csv")}
    out = []
    for i, o in enumerate(json.load(open(DATA / "orders.json"))[:limit]):
        loc = locate(o["ship_to"]["pin"])
        lines = [(n + 1, ln["sku"], ln["qty"], int(skus[ln["sku"]]["unit_price_paise"])) for n, ln in enumerate(o["lines"])]
        out.append(OrderInput(
            channel=o["channel"], payment_mode=o["payment_mode"], priority=o.get("priority", 0),
            tags=list(o.get("tags", [])), promised_days=o.get("promised_days"), created_at=None, lines=lines,
            pin=loc.pin, city=loc.city, state=loc.state_code, zone="ABCDE"[i % 5], region=loc.region,
            sku_weight_g={s: int(skus[s]["unit_weight_g"]) for _, s, _, _ in lines},
            sku_category={s: skus[s]["category"] for _, s, _, _ in lines}, customer_order_count=i % 4))
    return out


def _measure(rs: RuleSet, cat: Catalog, inputs: list[OrderInput], repeat: int, with_facts: bool,
             gc_off: bool = True, clock=time.perf_counter_ns) -> tuple[list[float], list[float]]:
    """All samples, and per order the best of its repeats (the cost without other processes' noise).

    ``clock=time.thread_time_ns`` measures this thread's CPU time instead of wall time: what the rules
    cost the CPU, whatever else the machine is doing."""
    prebuilt = [build_facts(x) for x in inputs]
    per_order: list[list[float]] = [[] for _ in inputs]
    if gc_off:
        gc.collect()
        gc.disable()  # as timeit does: a collection is process-wide, not this order's cost
    try:
        for _ in range(repeat):
            for i, (x, f) in enumerate(zip(inputs, prebuilt)):
                t0 = clock()
                if with_facts:
                    f = build_facts(x)
                rs.validate(f)
                rs.route(f, cat)
                per_order[i].append((clock() - t0) / 1e6)
    finally:
        gc.enable()
    return [x for p in per_order for x in p], [min(p) for p in per_order]


def _stats(samples: list[float]) -> dict:
    s = sorted(samples)
    q = lambda p: s[min(len(s) - 1, int(p * len(s)))]  # noqa: E731
    return {"n": len(s), "mean": statistics.fmean(s), "p50": q(0.50), "p99": q(0.99), "max": s[-1]}


def run(orders: int = 1200, repeat: int = 5, rules: int = 50) -> dict:
    cat = catalog()
    compiled = [compile_rule(spec, cat) for spec in rule_specs(rules)]
    fast = RuleSet(compiled)
    slow = RuleSet([replace(r, condition=replace(r.condition, matches=r.condition.rule.matches, fast=False))
                    for r in compiled])
    inputs = order_inputs(orders)
    _measure(fast, cat, inputs[:200], 1, True)  # warm-up
    fired = [len(fast.validate(f).fired) + len(fast.route(f, cat).fired) for f in map(build_facts, inputs)]
    evaluated = [sum(len(fast.candidates(k, f)) for k in fast.by_kind) for f in map(build_facts, inputs)]
    evaluate, _ = _measure(fast, cat, inputs, repeat, False)
    full, full_best = _measure(fast, cat, inputs, repeat, True)
    full_gc, _ = _measure(fast, cat, inputs, repeat, True, gc_off=False)
    cpu, _ = _measure(fast, cat, inputs, repeat, True, clock=time.thread_time_ns)
    interp, _ = _measure(slow, cat, inputs, 1, False)
    return {
        "load": os.getloadavg()[0],
        "rules": len(compiled), "fast_path_rules": sum(r.condition.fast for r in compiled), "orders": len(inputs),
        "repeat": repeat, "mean_fired": statistics.fmean(fired), "mean_evaluated": statistics.fmean(evaluated),
        "indexed": sum(ix.indexed for ix in fast.index.values()),
        "evaluate": _stats(evaluate),
        "facts + evaluate": _stats(full),
        "facts + evaluate, best of repeats per order": _stats(full_best),
        "facts + evaluate, gc on": _stats(full_gc),
        "facts + evaluate, CPU time": _stats(cpu),
        "rule-engine interpreter": _stats(interp),
    }


def table(result: dict) -> str:
    lines = ["| measurement (ms per order) | mean | p50 | p99 | max |", "|---|---|---|---|---|"]
    for key in ("evaluate", "facts + evaluate", "facts + evaluate, best of repeats per order",
                "facts + evaluate, gc on", "facts + evaluate, CPU time", "rule-engine interpreter"):
        s = result[key]
        lines.append(f"| {key} | {s['mean']:.3f} | {s['p50']:.3f} | {s['p99']:.3f} | {s['max']:.3f} |")
    return "\n".join(lines)


def _verdict(result: dict) -> str:
    p99 = result["facts + evaluate"]["p99"]
    cpu_p99 = result["facts + evaluate, CPU time"]["p99"]
    loaded = result["load"] > (os.cpu_count() or 1)
    if p99 <= BUDGET_P99_MS:
        return "within"
    if loaded and cpu_p99 <= BUDGET_P99_MS:
        return f"within on CPU time (p99 {cpu_p99:.3f} ms); wall p99 inflated by a load average of {result['load']:.1f}"
    return "OVER"


def _summary(result: dict) -> str:
    return (f"{result['rules']} rules ({result['fast_path_rules']} on the fast evaluator, {result['indexed']} "
            f"indexed on a guard), {result['orders']} orders x {result['repeat']}: "
            f"{result['mean_evaluated']:.1f} rules evaluated and {result['mean_fired']:.1f} firing per order on "
            f"average; wall p99 {result['facts + evaluate']['p99']:.3f} ms; budget {BUDGET_P99_MS} ms p99: "
            f"**{_verdict(result)}**")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rules", type=int, nargs="+", default=[50, 500], help="rule set sizes to measure")
    ap.add_argument("--write", action="store_true", help="replace the section in benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    results = []
    for count in tqdm(args.rules, desc="rule sets", unit="set"):
        results.append(run(args.orders, args.repeat, count))
    for result in results:
        print(f"\n### {result['rules']} rules\n\n{table(result)}\n\n{_summary(result)}")
    if args.write:
        _write(results)
    return 0 if all(_verdict(r).startswith("within") for r in results) else 1


def _write(results: list[dict]) -> None:
    path = RESULTS_MD
    body = path.read_text() if path.exists() else "# Benchmark results\n"
    first = results[0]
    loads = ", ".join(f"{r['load']:.1f}" for r in results)
    parts = [
        "## Rules evaluation\n\n"
        f"`python -m benchmarks.rules_bench --rules {' '.join(str(r['rules']) for r in results)}` on "
        f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs "
        f"shared with other sessions (load average {loads} while measuring), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; the {first['orders']} demo orders x {first['repeat']}. "
        "The first 50 rules mix every kind and condition style (15 validation, 20 routing, 10 shipping, 5 split); "
        "the 500 add rules per SKU, state, city, channel and zone, category and PIN prefix, one in ten on "
        "thresholds of order value and weight. Timing runs with the garbage collector off (as `timeit` does) except the "
        "\"gc on\" row; \"best of repeats\" takes each order's fastest of its repeats; \"CPU time\" is this "
        "thread's CPU time (`time.thread_time_ns`). The rule-engine interpreter row is the same rule set through "
        "`rule_engine.Rule.matches` (one pass, no index), for comparison. Not included: the one `SELECT` of the "
        "rules revision per capture/allocation and the store reads of SKUs and the customer's order count.\n"
    ]
    for result in results:
        parts.append(f"### {result['rules']} rules\n\n{table(result)}\n\n{_summary(result)}\n")
    section = "\n".join(parts)
    start = body.find("## Rules evaluation")
    if start >= 0:
        end = body.find("\n## ", start + 1)
        body = body[:start] + section + (body[end:] if end >= 0 else "")
    else:
        body = body.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)


if __name__ == "__main__":
    sys.exit(main())

"""Cost against speed (issue 24): on-time rate and delivery days per strategy, and the frontier over the
value of a day (``value_per_day_paise``).

    .venv/bin/python -m benchmarks.promise_tradeoff [--orders 400] [--write]

The reference scenario: a scratch SQLite database with the demo network (load-demo: its calendars and
transit table), and ``--orders`` orders drawn with a fixed seed: destinations the demo cities weighted by
population, 1-4 lines of the demo's SKUs (1-2 units), 30% cash on delivery, placed at random moments of
one week (India time, so cut-offs, a Sunday and the calendars all play). Each strategy replays them in
order on its own copy of the demo stock through the service layer's problem builder
(``services.allocation.planning.build_problem``: lanes timed by the transit model and the node
calendars), as allocation does, with no rules.

Per order: the promise is what allocation gives an order without one (its fastest feasible date plus
``promise_slack_days``, from the stock that strategy has left); on time = every shipment arrives by it.
Cost = carrier freight + COD fees + node handling (money, not the solver's preference terms). The sweep
re-runs ``optimal`` for several values of a day; ``--write`` adds the table to benchmarks/RESULTS.md
and draws benchmarks/results/promise_frontier.png (cost per order against mean delivery days).

The solver runs on its deterministic work budget for ``solver_time_limit_ms`` (the wall clock only a far
safety net), so the figures do not depend on the machine's load; ``--write`` replaces this benchmark's
section of RESULTS.md.

Target (issue 24): at the default setting, optimal's on-time rate >= nearest's, with its cost <= cost_greedy's.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SWEEP = (0, 1_000, 2_000, 5_000, 20_000, 50_000)
BASELINES = ("nearest", "cost_greedy", "max_stock", "priority")
START = datetime(2026, 12, 7, 0, 0, tzinfo=ZoneInfo("Asia/Kolkata"))   # a Monday


def _orders(n: int, seed: int):
    from omnialloc.domain import Address, Order, OrderLine, PaymentMode
    from omnialloc.network_files import load_cities, load_network

    rng = random.Random(seed)
    cities = load_cities()
    weights = [c.population for c in cities]
    skus = load_network().skus
    out = []
    for k in range(n):
        city = rng.choices(cities, weights)[0]
        picked = rng.sample(skus, rng.randint(1, 4))
        at = (START + timedelta(seconds=rng.randrange(7 * 86400))).astimezone(UTC)
        lines = [OrderLine(i, s.code, rng.randint(1, 2), s.unit_price_paise) for i, s in enumerate(picked, 1)]
        out.append(Order(id=f"bench-{k}", channel="web", external_id=str(k),
                         ship_to=Address(name="", line1="", city=city.city, state=city.state, pin=city.pin),
                         lines=lines, payment_mode=PaymentMode.COD if rng.random() < 0.3 else PaymentMode.PREPAID,
                         created_at=at))
    return sorted(out, key=lambda o: o.created_at)


def _replay(orders, net, skus, atp0, settings, strategy: str) -> dict:
    from omnialloc.geo.pins import locate
    from omnialloc.services.allocation.planning import Candidates, build_problem
    from omnialloc.solvers import solve
    from omnialloc.solvers.budget import UNITS_PER_MS, WORK_SHARE

    atp = dict(atp0)
    cost = on_time = shipped = placed = wall_hits = 0
    late: list[str] = []
    days_sum = 0
    t0 = time.process_time()
    for o in orders:
        remaining = {line.line_no: line.qty for line in o.lines}
        cand = Candidates(nodes=list(net.nodes), locations=net.locations, atp=atp,
                          capacity_left={n.code: n.daily_capacity for n in net.nodes})
        problem = build_problem(o, remaining, skus, locate(o.ship_to.pin), cand, net, settings, at=o.created_at)
        # The solver's deterministic work budget for the allocation's time limit, with the wall clock only a far
        # safety net (100x): the plans, and so the figures, do not depend on the box's load.
        limit = settings.solver_time_limit_ms
        plan = solve(problem, strategy=strategy, time_limit_ms=100 * limit,
                     work_limit=WORK_SHARE * limit * UNITS_PER_MS, explain_plan=False)
        wall_hits += bool(plan.reason and "wall-clock" in plan.reason)
        if not plan.shipments or plan.unfilled:
            continue
        placed += 1
        for ps in plan.shipments:
            for line_id, q in ps.lines.items():
                key = (ps.node, o.line(int(line_id)).sku)
                atp[key] = atp.get(key, 0) - q
            cost += ps.costs.shipping + ps.costs.cod + ps.costs.handling
            shipped += 1
        days = max(ps.sla_days for ps in plan.shipments)
        days_sum += days
        promise = cand.promise[0] if cand.promise else None
        on_time += promise is not None and days <= promise
        if promise is None or days > promise:
            late.append(o.id)
    return {"strategy": strategy, "orders": len(orders), "placed": placed, "cost_per_order": cost / 100 / max(placed, 1),
            "on_time": on_time / max(placed, 1), "mean_days": days_sum / max(placed, 1),
            "parcels_per_order": shipped / max(placed, 1), "cpu_s": time.process_time() - t0, "wall_hits": wall_hits,
            "on_time_orders": on_time, "late": late}


def run(n_orders: int = 400, seed: int = 24, overrides: dict | None = None) -> dict:
    folder = tempfile.mkdtemp(prefix="promise_tradeoff_")
    url = f"sqlite:///{folder}/bench.db"
    os.environ["OMNIALLOC_DATABASE_URL"] = url
    from omnialloc.config import Settings
    from omnialloc.services.network.cache import network
    from omnialloc.services.network.demo import load_demo
    from omnialloc.store.engine import make_engine
    from omnialloc.store.migrate import upgrade
    from omnialloc.store.uow import UnitOfWork

    upgrade(url)
    engine = make_engine(url)
    load_demo(engine=engine, key_file=None)
    orders = _orders(n_orders, seed)
    with UnitOfWork(engine, readonly=True) as uow:
        net = network(uow)
        skus = uow.skus.get_many(sorted({line.sku for o in orders for line in o.lines}))
        atp0, _ = uow.inventory.atp_and_live_on(sorted(skus), START.date())
    base = Settings(database_url=url).model_copy(update=dict(overrides or {}))
    default = base.value_per_day_paise
    rows = {"default_value_per_day_paise": default, "baselines": [], "sweep": []}
    for strategy in ("optimal",) + BASELINES:
        rows["baselines"].append(_replay(orders, net, skus, atp0, base, strategy))
    for value in SWEEP:
        settings = base.model_copy(update={"value_per_day_paise": value})
        rows["sweep"].append({**_replay(orders, net, skus, atp0, settings, "optimal"), "value_per_day_paise": value})
    by = {r["strategy"]: r for r in rows["baselines"]}
    opt, near, greedy = by["optimal"], by["nearest"], by["cost_greedy"]
    rows["target"] = {"on_time_ok": opt["on_time"] >= near["on_time"],
                      "cost_ok": opt["cost_per_order"] <= greedy["cost_per_order"]}
    rows["load"] = os.getloadavg()
    return rows


def table(res: dict) -> str:
    out = ["| strategy | placed | cost/order Rs | on-time | mean delivery days | parcels/order | CPU s |",
           "|---|---|---|---|---|---|---|"]
    for r in res["baselines"]:
        out.append(f"| {r['strategy']} | {r['placed']}/{r['orders']} | {r['cost_per_order']:.2f} | {r['on_time']:.1%} | "
                   f"{r['mean_days']:.2f} | {r['parcels_per_order']:.2f} | {r['cpu_s']:.1f} |")
    out += ["", "| value_per_day_paise (optimal) | cost/order Rs | on-time | mean delivery days | parcels/order |",
            "|---|---|---|---|---|"]
    for r in res["sweep"]:
        mark = " (default)" if r["value_per_day_paise"] == res["default_value_per_day_paise"] else ""
        out.append(f"| {r['value_per_day_paise']}{mark} | {r['cost_per_order']:.2f} | {r['on_time']:.1%} | "
                   f"{r['mean_days']:.2f} | {r['parcels_per_order']:.2f} |")
    return "\n".join(out)


def verdict(res: dict) -> str:
    by = {r["strategy"]: r for r in res["baselines"]}
    opt, near, greedy = by["optimal"], by["nearest"], by["cost_greedy"]
    t = res["target"]
    return (f"Target (optimal's on-time >= nearest's at cost <= cost_greedy's, default value_per_day_paise="
            f"{res['default_value_per_day_paise']}): {'MET' if t['on_time_ok'] and t['cost_ok'] else 'NOT met'}: "
            f"on-time {opt['on_time']:.1%} vs nearest {near['on_time']:.1%} ({'ok' if t['on_time_ok'] else 'short'}), "
            f"cost Rs {opt['cost_per_order']:.2f}/order vs cost_greedy Rs {greedy['cost_per_order']:.2f} "
            f"({'ok' if t['cost_ok'] else 'over'}).")


def plot(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    sweep = res["sweep"]
    ax.plot([r["mean_days"] for r in sweep], [r["cost_per_order"] for r in sweep], "o-", label="optimal, by value of a day")
    for r in sweep:
        ax.annotate(f"{r['value_per_day_paise'] / 100:g}", (r["mean_days"], r["cost_per_order"]),
                    textcoords="offset points", xytext=(4, 4), fontsize=8)
    for r in res["baselines"]:
        if r["strategy"] != "optimal":
            ax.plot(r["mean_days"], r["cost_per_order"], "s", label=r["strategy"])
    ax.set_xlabel("mean delivery days (order to last parcel)")
    ax.set_ylabel("cost per order, Rs (freight + COD + handling)")
    ax.set_title("Cost against speed on the demo network (labels: Rs per day)")
    ax.grid(alpha=.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="SETTING=INT",
                        help="another integer setting for every run, e.g. late_paise_per_day=100000")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    res = run(args.orders, overrides={k: int(v) for k, v in (item.split("=", 1) for item in args.set)})
    text, line = table(res), verdict(res)
    print(text)
    print(line)
    l1 = res["load"][0]
    print(f"wall {time.perf_counter() - t0:.0f} s, load average {l1:.2f}")
    if args.write:
        if __package__:  # python -m benchmarks.promise_tradeoff (or omnialloc.bench.promise_tradeoff)
            from . import RESULTS_DIR, RESULTS_MD, results_link  # benchmarks/results and RESULTS.md; installed ./bench-results
        else:  # python benchmarks/promise_tradeoff.py
            from omnialloc.bench import RESULTS_DIR, RESULTS_MD, results_link
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        plot(res, RESULTS_DIR / "promise_frontier.png")
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        section = (f"### {HEADING} ({stamp})\n\n"
                   f"`.venv/bin/python -m benchmarks.promise_tradeoff --orders {args.orders} --write`: the demo "
                   f"network (its calendars and transit table), {args.orders} seeded orders over one week, each "
                   f"strategy on its own copy of the demo stock through the service layer's problem builder; "
                   f"promise = fastest feasible date + slack (what an order without one gets). The solver runs on "
                   f"its deterministic work budget (the plans do not depend on load; wall-clock safety net hit "
                   f"{sum(r['wall_hits'] for r in res['baselines'] + res['sweep'])} times). Shared 2-core box, "
                   f"load average {l1:.2f}, wall {time.perf_counter() - t0:.0f} s, CPU {time.process_time():.0f} s. "
                   f"Frontier: {results_link('promise_frontier.png')}.\n\n{text}\n\n{line}\n")
        replace_section(RESULTS_MD, section)


HEADING = "Cost against speed (issue 24)"


def replace_section(path: Path, section: str) -> None:
    """``section`` in place of the page's section of this benchmark (its heading to the next heading), or
    appended when there is none: a results page holds the current figures, not their history."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
    start = next((i for i, ln in enumerate(lines) if ln.startswith(f"### {HEADING}")), None)
    if start is None:
        path.write_text("".join(lines) + "\n" + section, encoding="utf-8")
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    tail = lines[end:]
    path.write_text("".join(lines[:start]) + section + ("\n" if tail else "") + "".join(tail), encoding="utf-8")


if __name__ == "__main__":
    main()

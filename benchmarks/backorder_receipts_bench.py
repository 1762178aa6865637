"""Benchmark: stock receipts while 5,000 orders are backordered (issue 20, item 3; issue 30's priority).

Target (PostgreSQL): p99 <= 50 ms per ``POST /inventory/adjustments`` with 5,000 backordered orders, and
the backorders the receipts make allocatable allocated within seconds after, most urgent first, no oversell.

Set-up (not timed): a scratch store with the demo network (``benchmarks/load/run.py``'s set-up: PostgreSQL
in a private schema dropped afterwards, or an SQLite file), node capacities raised so that only stock
decides; ``--skus`` SKUs zeroed everywhere; ``--orders`` single-line orders (1-2 units of one of those
SKUs, priority 0-10, a promise of 2-10 days or none, real PINs from the sample orders) captured through the
service, so each is BACKORDERED the way production makes it. The queue is emptied.

Timed, against real processes: gunicorn (2 gthread workers x 2 threads, ``omnialloc serve``'s command line)
and one ``omnialloc notify-worker`` (what ``make run`` starts; it runs the backorder queue). ``--clients``
keep-alive clients post ``--receipts`` adjustments (1-3 lines of 1-5 units of those SKUs at one of five
warehouses) as fast as they are answered. Measured: each answer's latency; the time from the last answer
until the queue is empty (every allocatable backorder handled), and how many orders were allocated.

Checked afterwards with SQL written here: no (node, SKU) holds more reservations than its stock
(``omnialloc check`` too); no waiting order could still be completed by the stock left (allocatable but
left waiting); priority inversions: a waiting order that was more urgent than an allocated order of the
same SKU needing no more units (it should have had those units).

    .venv/bin/python benchmarks/backorder_receipts_bench.py [--backend postgresql|sqlite] [--orders 5000]
        [--receipts 400] [--clients 4] [--skus 50] [--seed 7] [--plot benchmarks/results/backorder_receipts.png]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa
from tqdm import tqdm

if __package__:  # python -m benchmarks.backorder_receipts_bench (or omnialloc.bench.backorder_receipts_bench)
    from . import RESULTS_DIR
    from .load.run import _free_port, setup_store, speed_probe
else:  # python benchmarks/backorder_receipts_bench.py: the script's folder is on sys.path
    from load.run import _free_port, setup_store, speed_probe

    from omnialloc.bench import RESULTS_DIR

WAREHOUSES = ("CHN-FC1", "MUM-FC1", "DEL-FC1", "BLR-FC1", "KOL-FC1")


def _engine(url: str):
    from omnialloc.store.engine import create_engine

    return create_engine(url)


def backorder_orders(url: str, n_orders: int, skus: list[str], seed: int) -> None:
    """Zero ``skus`` everywhere and capture ``n_orders`` orders for them: all BACKORDERED."""
    from omnialloc.config import Settings
    from omnialloc.network_files import load_sample_orders
    from omnialloc.services.orders import lifecycle
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.context import Context

    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE inventory SET on_hand = 0, reserved = 0, safety_stock = 0 "
                             "WHERE sku IN :skus").bindparams(sa.bindparam("skus", expanding=True)), {"skus": skus})
        conn.execute(sa.text("UPDATE nodes SET daily_capacity = 1000000"))  # only stock decides here
    ctx = Context(engine, Settings(database_url=url))
    rng = random.Random(seed)
    ship_tos = [o["ship_to"] for o in load_sample_orders()]
    bodies = [{"channel": "web", "external_id": f"bo-{i}", "payment_mode": "PREPAID",
               "ship_to": rng.choice(ship_tos), "lines": [{"sku": rng.choice(skus), "qty": rng.choice((1, 1, 2))}],
               "priority": rng.randint(0, 10),
               **({"promised_days": rng.randint(2, 10)} if rng.random() < 0.5 else {})}
              for i in range(n_orders)]
    bar = tqdm(total=n_orders, desc="backordering orders", unit="order")

    def one(body):
        view, _ = lifecycle.capture(ctx, SYSTEM, body)
        if view["status"] != "BACKORDERED":
            raise RuntimeError(f"expected a backorder, got {view['status']}")
        bar.update()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, bodies))
    bar.close()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM backorder_jobs"))  # their own wake-ups: nothing to give yet
    engine.dispose()


def post_receipts(base: str, token: str, n: int, clients: int, skus: list[str], seed: int) -> list[tuple]:
    """``n`` adjustment requests from ``clients`` keep-alive clients; [(start, seconds, status, units)]."""
    rng = random.Random(seed + 1)
    bodies = [{"adjustments": [{"node": node, "sku": sku, "delta": rng.randint(1, 5), "reason": "receipt",
                                "note": f"bench receipt {i}"}
                               for node, sku in {(rng.choice(WAREHOUSES), rng.choice(skus))
                                                 for _ in range(rng.randint(1, 3))}]} for i in range(n)]
    out, lock, bar = [], threading.Lock(), tqdm(total=n, desc="receipts", unit="req")
    todo = iter(bodies)

    def client():
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            while True:
                with lock:
                    body = next(todo, None)
                if body is None:
                    return
                t0 = time.perf_counter()
                r = http.post("/inventory/adjustments", json=body)
                took = time.perf_counter() - t0
                with lock:
                    out.append((t0, took, r.status_code, sum(a["delta"] for a in body["adjustments"])))
                    bar.update()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bar.close()
    return out


def _queue_empty(engine, probe_sku: str | None = None, timeout: float = 600) -> None:
    """Wait until the worker has emptied the queue (with ``probe_sku``: queue that SKU first)."""
    from omnialloc.store.repositories.backorders import BackorderJobRepository

    if probe_sku:
        with engine.begin() as conn:
            BackorderJobRepository(conn).add([probe_sku], "bench")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if not BackorderJobRepository(conn).pending():
                return
        time.sleep(0.05)
    raise TimeoutError("the backorder queue did not empty")


def allocated_over_time(engine, since: dt.datetime) -> list[float]:
    """Seconds after ``since`` at which each backorder got allocated (its BACKORDERED -> ALLOCATED event)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT at FROM events WHERE entity = 'order' AND type = 'status_changed' "
            "AND from_status = 'BACKORDERED' AND to_status = 'ALLOCATED' AND at >= :since ORDER BY at"),
            {"since": since}).scalars().all()
    out = []
    for at in rows:
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        out.append((at - since).total_seconds())
    return out


def audit(url: str) -> dict:
    """Oversell (SQL written here), and with the solver itself: waiting orders the stock left could still
    complete, and priority inversions (a waiting order that could have been completed with the units of a
    less urgent order of the same SKU that got them)."""
    from omnialloc.config import Settings
    from omnialloc.services.allocation.allocator import plan_units, remaining_units
    from omnialloc.services.orders.backorders import urgency
    from omnialloc.services.context import Context
    from omnialloc.services.rules.runtime import routing_for
    from omnialloc.store.repositories.orders import BackorderCandidate

    engine = _engine(url)
    ctx = Context(engine, Settings(database_url=url))
    line_q = ("SELECT o.id, o.priority, o.promised_days, o.created_at, l.sku, l.qty - l.cancelled_qty AS qty "
              "FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.status = :status")
    with engine.connect() as conn:
        oversold = conn.execute(sa.text(
            "SELECT count(*) FROM inventory WHERE reserved > on_hand OR on_hand < 0")).scalar_one()
        waiting = conn.execute(sa.text(line_q), {"status": "BACKORDERED"}).all()
        allocated = conn.execute(sa.text(line_q), {"status": "ALLOCATED"}).all()

    def rank(r):
        return urgency(BackorderCandidate(r.id, r.priority, r.promised_days, r.created_at, None, {}))

    def fills(uow, order_id: str, others=()) -> bool:
        order = uow.orders.get(order_id)
        remaining = remaining_units(order, uow.shipments.for_order(order_id))
        plan, _ = plan_units(uow, ctx, order, remaining, routing_for(uow, ctx, order), own_reservations=others)
        return bool(plan.shipments) and not plan.unfilled

    left, inversions = 0, []
    with ctx.uow(readonly=True) as uow:
        for w in tqdm(waiting, desc="auditing waiting orders", unit="order"):
            if fills(uow, w.id):
                left += 1
            worse = [a.id for a in allocated if a.sku == w.sku and a.qty >= w.qty and rank(a) > rank(w)]
            held = [s for a in worse for s in uow.shipments.for_order(a)]
            if held and fills(uow, w.id, held):
                inversions.append(f"{w.id} ({w.sku} x{w.qty}, rank {rank(w)[:3]}) over "
                                  + ", ".join(a for a in worse if fills(uow, w.id, uow.shipments.for_order(a))))
    engine.dispose()
    return {"oversold_positions": oversold, "waiting": len(waiting), "allocated": len(allocated),
            "allocatable_left_waiting": left, "priority_inversions": len(inversions),
            **({"inverted": inversions} if inversions else {})}


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system, all threads) each live process in ``pids`` and its descendants used so far,
    read from /proc (Linux; {} elsewhere). Used to split a run's CPU between gunicorn, the worker and
    PostgreSQL on a box where wall times are inflated by load."""
    proc = Path("/proc")
    if not proc.is_dir():
        return {}
    stats: dict[int, tuple[int, float]] = {}
    for d in proc.iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(d.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)

    def tree(pid: int) -> float:
        return stats.get(pid, (0, 0.0))[1] + sum(tree(c) for c in children.get(pid, []))

    return {pid: tree(pid) for pid in pids}


def postgres_cpu() -> dict[int, float]:
    """CPU seconds used so far by each process named ``postgres`` on this box (its backends; other users'
    sessions included, so a bound, not this run's share alone); :func:`_grew` sums what processes alive at
    both readings added (a backend that exits takes its seconds with it)."""
    total: dict[int, float] = {}
    for d in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if d.name.isdigit():
            try:
                head, tail = (d / "stat").read_text().rsplit(")", 1)
            except OSError:
                continue
            if head.endswith("(postgres"):
                fields = tail.split()
                total[int(d.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def box_cpu() -> float:
    """CPU seconds every process on the box has used so far (user + nice + system + irq + softirq, all CPUs,
    from /proc/stat; 0 elsewhere): less this run's gunicorn, worker and PostgreSQL, what neighbours took
    while the receipts ran (the box is shared; their share inflates wall times, not the code's CPU)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _grew(before: dict[int, float], after: dict[int, float]) -> float:
    return round(sum(after[pid] - before[pid] for pid in after.keys() & before.keys()), 2)


class LockWaits:
    """Samples, every 10 ms while the receipts run, how many sessions of this database wait for a lock
    (PostgreSQL's ``pg_stat_activity.wait_event_type = 'Lock'``, the API's sessions only): a receipt's UPDATE of a stock row waits
    while an allocation holds that row until its commit."""

    def __init__(self, url: str, application_name: str):
        self.engine, self.samples, self.waiting = _engine(url), 0, 0
        self.application_name = application_name
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        q = sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND application_name = :app")
        with self.engine.connect() as conn:
            while not self.stop.wait(0.01):
                self.samples += 1
                self.waiting += bool(conn.execute(q, {"app": self.application_name}).scalar_one())
                conn.rollback()

    def __enter__(self):
        if self.engine.dialect.name == "postgresql":
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        self.engine.dispose()

    def share(self) -> float | None:
        return round(self.waiting / self.samples, 4) if self.samples else None


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def plot(path: Path, latencies_ms: list[float], alloc_s: list[float], last_answer_s: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    a.hist(latencies_ms, bins=50, color="#4477aa")
    a.axvline(_pct(latencies_ms, 99), color="#cc3311", label=f"p99 {_pct(latencies_ms, 99):.1f} ms")
    a.axvline(50, color="black", ls="--", label="target 50 ms")
    a.set_xlabel("POST /inventory/adjustments latency (ms)")
    a.set_ylabel("requests")
    a.legend()
    b.plot(alloc_s, range(1, len(alloc_s) + 1), color="#228833")
    b.axvline(last_answer_s, color="#cc3311", ls="--", label="last receipt answered")
    b.set_xlabel("seconds since the first receipt")
    b.set_ylabel("backorders allocated")
    b.legend()
    fig.suptitle("Stock receipts with 5,000 orders backordered")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--orders", type=int, default=5000)
    p.add_argument("--receipts", type=int, default=400)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--skus", type=int, default=50)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-worker", action="store_true",
                   help="receipts only, no backorder worker running (what the worker's load adds to them)")
    p.add_argument("--worker-log", type=Path, help="the notify-worker's log, at DEBUG (each backorder tried)")
    p.add_argument("--plot", type=Path, default=RESULTS_DIR / "backorder_receipts.png")
    args = p.parse_args()

    load_before, probe = os.getloadavg(), [speed_probe()]
    skus = [f"SKU-{i:04d}" for i in range(1, args.skus + 1)]
    url, token, cleanup = setup_store(args.backend, args.pg_url)
    engine = _engine(url)
    procs: list[subprocess.Popen] = []
    try:
        backorder_orders(url, args.orders, skus, args.seed)
        from omnialloc.api.serving import gunicorn_argv

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        api_name = f"oa-bo-api-{os.getpid()}"  # names the API's database sessions (LockWaits)
        env = {**os.environ, "OMNIALLOC_DATABASE_URL": url + (f"&application_name={api_name}"
                                                               if args.backend == "postgresql" else ""), "OMNIALLOC_EMAIL_PROVIDER": "log",
               "OMNIALLOC_BACKORDER_POLL_MS": "200"}
        procs.append(subprocess.Popen(gunicorn_argv(host="127.0.0.1", port=port, workers=2, threads=2), env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        if not args.no_worker:
            log = open(args.worker_log, "w") if args.worker_log else subprocess.DEVNULL  # noqa: SIM115
            procs.append(subprocess.Popen([sys.executable, "-m", "omnialloc.cli", "notify-worker"],
                                          env={**env, "OMNIALLOC_LOG_LEVEL": "DEBUG"} if args.worker_log else env,
                                          stdout=log, stderr=log, start_new_session=True))
        for _ in range(300):
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:  # warm workers
            for _ in range(8):
                http.get("/inventory?limit=1")
        if not args.no_worker:
            _queue_empty(engine, probe_sku="SKU-0240")  # the worker is up and polling
        with engine.connect() as conn:
            waiting_before = conn.execute(sa.text("SELECT count(*) FROM orders WHERE status = 'BACKORDERED'")).scalar_one()
        started = dt.datetime.now(dt.UTC)
        cpu0, pg0, box0 = cpu_seconds([p.pid for p in procs]), postgres_cpu(), box_cpu()
        t_start = time.perf_counter()
        with LockWaits(url, api_name) as locks:
            answers = post_receipts(base, token, args.receipts, args.clients, skus, args.seed)
        t_last = max(t0 + took for t0, took, _, _ in answers) - t_start
        cpu1, pg1, box1 = cpu_seconds([p.pid for p in procs]), postgres_cpu(), box_cpu()
        if not args.no_worker:
            _queue_empty(engine)
        t_drained = time.perf_counter() - t_start
        cpu2, pg2 = cpu_seconds([p.pid for p in procs]), postgres_cpu()
        alloc_s = allocated_over_time(engine, started)
        result = audit(url) if not args.no_worker else {}
        from omnialloc.services.invariants import check

        report = check(engine)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
        engine.dispose()
        cleanup()
    probe.append(speed_probe())
    latencies = [took * 1000 for _, took, _, _ in answers]
    statuses = sorted({s for _, _, s, _ in answers})
    row = {
        "backend": args.backend, "backordered": waiting_before, "receipts": len(answers),
        "statuses": statuses, "units_received": sum(u for *_, u in answers),
        "p50_ms": round(_pct(latencies, 50), 1), "p99_ms": round(_pct(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "receipts_s": round(t_last, 2), "drained_after_last_answer_s": round(t_drained - t_last, 2),
        # CPU seconds while the receipts were being answered / from then until the queue was empty
        "cpu_s_gunicorn": [round(cpu1.get(procs[0].pid, 0) - cpu0.get(procs[0].pid, 0), 2),
                           round(cpu2.get(procs[0].pid, 0) - cpu1.get(procs[0].pid, 0), 2)],
        "gunicorn_cpu_ms_per_receipt": round(1000 * (cpu1.get(procs[0].pid, 0) - cpu0.get(procs[0].pid, 0))
                                             / max(1, len(answers)), 2),
        **({"cpu_s_worker": [round(cpu1.get(procs[1].pid, 0) - cpu0.get(procs[1].pid, 0), 2),
                             round(cpu2.get(procs[1].pid, 0) - cpu1.get(procs[1].pid, 0), 2)]}
           if len(procs) > 1 else {}),
        "cpu_s_postgres_all": [_grew(pg0, pg1), _grew(pg1, pg2)],
        # While the receipts ran: the whole box's CPU seconds, and what is left of them after this run's
        # gunicorn, worker and PostgreSQL (neighbours: on a shared box they, not the code, inflate wall times)
        "cpu_s_box_during_receipts": round(box1 - box0, 2),
        "cpu_s_neighbours_during_receipts": round(
            (box1 - box0) - sum(cpu1.get(p.pid, 0) - cpu0.get(p.pid, 0) for p in procs) - _grew(pg0, pg1), 2),
        "lock_wait_share": locks.share(),  # share of 10 ms samples in which a receipt waited for a lock
        "allocated": len(alloc_s), "allocated_by_last_answer": sum(1 for s in alloc_s if s <= t_last),
        "first_allocated_s": round(alloc_s[0], 2) if alloc_s else None,
        "half_allocated_s": round(_pct(alloc_s, 50), 2) if alloc_s else None,
        "all_allocated_s": round(alloc_s[-1], 2) if alloc_s else None,
        **result, "check": "OK" if report.ok else report.summary(limit=5),
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
        "speed_probe_s": [round(x, 2) for x in probe],
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} vCPU, {platform.platform()}",
        "at": started.strftime("%Y-%m-%d %H:%M UTC"),
    }
    if not args.no_worker:
        plot(args.plot, latencies, alloc_s, t_last)
    for k, v in row.items():
        print(f"{k:>28}: {v}")
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()

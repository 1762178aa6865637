"""Load benchmark: gunicorn (2 workers) serving capture+allocate, driven by loadgen.py in a separate process.

    .venv/bin/python benchmarks/load/run.py --backend postgresql --seconds 8
    .venv/bin/python benchmarks/load/run.py --backend sqlite --seconds 8 --append
    .venv/bin/python benchmarks/load/run.py --backend postgresql --worker-class sync --threads 1
    python -m omnialloc.bench.load.run --backend sqlite --seconds 8 --append   (installed: ./bench-results)

Workers: gthread x 2 threads by default (what `make run` serves with). Sets up a
fresh store (PostgreSQL: a private schema on --pg-url, dropped at the end; SQLite:
a file under /tmp) with the demo network (its stock x100: see setup_store), starts gunicorn, finds
saturation with a closed loop, then runs open-loop arrivals at 50%, 100% and
120% of it and at a fixed 100 orders/s. Prints a markdown table; --append adds it
to the end of the "## Load (gunicorn)" section of benchmarks/RESULTS.md. Not a
test: numbers depend on the machine (and, on a shared box, on the neighbours).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

if __package__ and "." in __package__:  # python -m omnialloc.bench.load.run, or imported as benchmarks.load.run
    from .. import CHECKOUT, RESULTS_MD
else:  # python benchmarks/load/run.py (or load.run from the script benchmarks/backorder_receipts_bench.py)
    from omnialloc.bench import CHECKOUT, RESULTS_MD

HERE = Path(__file__).resolve().parent
PY = sys.executable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_store(backend: str, pg_url: str):
    """(url, cleanup) of a migrated, demo-loaded store."""
    from urllib.parse import quote

    import sqlalchemy as sa

    from omnialloc.services.network.demo import load_demo
    from omnialloc.store.engine import create_engine
    from omnialloc.store.migrate import upgrade

    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="oa-load-"))
        url, schema = f"sqlite:///{folder / 'load.db'}", None

        def cleanup():
            for p in folder.iterdir():
                p.unlink()
            folder.rmdir()
    else:
        schema = f"oa_load_{os.getpid()}_{secrets.token_hex(3)}"
        admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = f"{pg_url}{'&' if '?' in pg_url else '?'}options={quote(f'-csearch_path={schema}')}"

        def cleanup():
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.dispose()
    upgrade(url if schema is None else pg_url, "head", schema=schema)
    engine = create_engine(url if schema is None else pg_url, schema=schema)
    load_demo(engine=engine, key_file=None)
    from omnialloc.services.access import create_key
    from omnialloc.store.uow import UnitOfWork

    with UnitOfWork(engine) as uow:
        token, _ = create_key(uow, name="load", role="admin")
        uow.commit()
    # x100 stock where the demo has some (same nodes, same shares): the benchmark measures orders that
    # get allocated. At the demo's levels the scarcest SKUs ran out within the first 1,200 orders, and a
    # run of ~10,000 backordered up to half the orders of its later phases, which skip the reservation,
    # the shipments and their events: cheaper orders that flattered those phases.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE inventory SET on_hand = on_hand * 100"))
    engine.dispose()
    return url, token, cleanup


def _ticks(pid: int, *, reaped: bool = False) -> int:
    """utime + stime of a process in clock ticks (plus its waited-for children's with ``reaped``); 0 if gone."""
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(f[11]) + int(f[12]) + ((int(f[13]) + int(f[14])) if reaped else 0)


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


class CpuMeter:
    """CPU seconds per process class, read from /proc around each phase.

    gunicorn workers: the live children of the master plus the master's reaped children (a recycled
    or killed worker still counts); PostgreSQL: the backends of this run's connections (found by
    their application_name in pg_stat_activity, so other sessions' backends are left out) plus the
    server's auxiliary processes (WAL writer, checkpointer, ...: the WAL our commits write). The load
    generator reports its own CPU (see loadgen.py). A backend that exits within a phase loses that
    phase's CPU; the pools keep theirs open, so none do in a run.
    """

    def __init__(self, gunicorn_pid: int, pg_url: str | None, app_name: str | None):
        self.gunicorn_pid, self.app_name = gunicorn_pid, app_name
        self.tick = os.sysconf("SC_CLK_TCK")
        self.pg = None
        if pg_url:
            import sqlalchemy as sa

            self.pg = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)

    def _pg_pids(self) -> list[int]:
        if self.pg is None:
            return []
        with self.pg.connect() as conn:
            backends = conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %(a)s", {"a": self.app_name}).scalars().all()
            aux = conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'").scalars().all()
        return list(backends) + list(aux)

    def sample(self) -> dict:
        g = self.gunicorn_pid
        each = {c: _ticks(c) for c in _children(g)}
        return {"workers": (_ticks(g, reaped=True) - _ticks(g)) + sum(each.values()), "each": each,
                "pg": {pid: _ticks(pid) for pid in self._pg_pids()}}

    def since(self, before: dict) -> dict:
        """CPU seconds per class since ``before`` (a ``sample()``)."""
        now = self.sample()
        pg = sum(t - before["pg"].get(pid, 0) for pid, t in now["pg"].items())
        out = {"workers": (now["workers"] - before["workers"]) / self.tick,
               # each live worker's share: shows whether the load reached every worker (see serving.py)
               "split": sorted((t - before["each"].get(pid, 0) for pid, t in now["each"].items()), reverse=True)}
        if self.pg is not None:
            out["postgresql"] = pg / self.tick
        return out


LOADGEN = HERE / "loadgen.py"


def speed_probe() -> float:
    """CPU seconds this process takes for a fixed pure-Python loop (10 million additions): how fast the
    VM's vCPUs run right now. On the shared box it moved by ~20% within an hour (0.63-0.77 s on
    2026-12-04), and the throughput with it, so each table records it at start and end."""
    t, total = time.process_time(), 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - t


def loadgen(url: str, token: str, seconds: float, *, rate: float | None = None, closed: int = 0) -> dict:
    cmd = [PY, str(LOADGEN), "--url", url, "--token", token, "--seconds", str(seconds),
           "--tag", secrets.token_hex(4)]
    cmd += ["--closed", str(closed)] if closed else ["--rate", str(rate)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--seconds", type=float, default=8)
    p.add_argument("--workers", type=int, default=2)
    # gthread x 2 as `make run` / `omnialloc serve` (see RESULTS.md, "Load (gunicorn)"): keep-alive, and a
    # worker's second thread computes while the first waits for PostgreSQL.
    p.add_argument("--worker-class", default="gthread", help="gunicorn worker class: gthread or sync")
    p.add_argument("--threads", type=int, default=2, help="threads per gthread worker")
    p.add_argument("--closed", type=int, default=8, help="clients in the saturation (closed-loop) run")
    p.add_argument("--append", action="store_true",
                   help="append the table to benchmarks/RESULTS.md (installed: ./bench-results/RESULTS.md)")
    p.add_argument("--loadgen", type=Path, default=LOADGEN,
                   help="another load generator script with loadgen.py's arguments and output (comparisons)")
    args = p.parse_args()
    globals()["LOADGEN"] = args.loadgen

    probe = [speed_probe()]
    db_url, token, cleanup = setup_store(args.backend, args.pg_url)
    app_name = None
    if args.backend == "postgresql":  # names this run's backends, for their CPU in pg_stat_activity
        app_name = f"oa-load-{secrets.token_hex(4)}"
        db_url += f"&application_name={app_name}"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    from omnialloc.api.serving import gunicorn_argv  # the command line `omnialloc serve` runs

    gunicorn = subprocess.Popen(
        gunicorn_argv(host="127.0.0.1", port=port, workers=args.workers, threads=args.threads,
                      worker_class=args.worker_class),
        env={**os.environ, "OMNIALLOC_DATABASE_URL": db_url},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    rows = []
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        # Warm-up: imports, network cache, lane memos, connection pools, in every worker (16 connections:
        # the kernel spreads them over the workers' sockets; with 2 both could land on one worker).
        loadgen(base, token, 3, closed=16)
        meter = CpuMeter(gunicorn.pid, args.pg_url if app_name else None, app_name)

        def phase(**kw) -> dict:
            before = meter.sample()
            r = loadgen(base, token, args.seconds, **kw)
            r["cpu_s"] = {**meter.since(before), "loadgen": r["loadgen_cpu_s"]}
            return r

        sat = phase(closed=args.closed)
        rows.append(("saturation (closed loop)", sat))
        s = max(sat["throughput"], 1.0)
        for label, rate in (("50% of saturation", 0.5 * s), ("100% of saturation", s), ("120% of saturation", 1.2 * s),
                            ("fixed 100 orders/s", 100.0)):
            rows.append((label, phase(rate=round(rate, 1))))
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=20)
        cleanup()

    probe.append(speed_probe())
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    workers = f"{args.workers} {args.worker_class} workers" + (f" x {args.threads} threads" if args.threads > 1 else "")
    flags = "" if (args.worker_class, args.threads) == ("gthread", 2) else \
        f" --worker-class {args.worker_class} --threads {args.threads}"
    load = os.getloadavg()
    prog = ".venv/bin/python benchmarks/load/run.py" if CHECKOUT else "python -m omnialloc.bench.load.run"
    lines = [f"### {args.backend}, gunicorn {workers} ({dt.date.today().isoformat()})", "",
             f"Command: `{prog} --backend {args.backend} --seconds {args.seconds:g}"
             f"{flags}`  ",
             f"Machine: {os.cpu_count()} vCPU ({cpu}), shared with other work; load generator on the same box; "
             f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min); speed probe "
             f"{probe[0]:.2f} s at the start, {probe[1]:.2f} s at the end (lower is faster: see speed_probe).", "",
             "CPU ms per completed order by process class, read from /proc over each phase: gunicorn workers"
             + (" / PostgreSQL (this run's backends + WAL writer etc.)" if app_name else "") + " / load generator.", "",
             "| load | offered | completed/s | p50 ms | p99 ms | CPU ms/order | worker CPU split | responses |",
             "|---|---|---|---|---|---|---|---|"]
    classes = ("workers", "postgresql", "loadgen") if app_name else ("workers", "loadgen")
    totals = {c: 0.0 for c in classes}
    done = 0
    for label, r in rows:
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(r["codes"].items()) if v)
        ok = max(r["ok"], 1)
        cpu = " / ".join(f"{r['cpu_s'][c] * 1000 / ok:.1f}" for c in classes)
        split = r["cpu_s"]["split"]
        split = "/".join(f"{100 * t / max(sum(split), 1):.0f}" for t in split) + "%"
        lines.append(f"| {label} | {r['mode']} | {r['throughput']} | {r['p50_ms']} | {r['p99_ms']} | {cpu} | {split} "
                     f"| {codes} |")
        done += r["ok"]
        for c in classes:
            totals[c] += r["cpu_s"][c]
    per = {c: totals[c] * 1000 / max(done, 1) for c in classes}
    lines += ["", f"All phases: {done} orders; CPU s " + ", ".join(f"{c} {totals[c]:.1f}" for c in classes)
              + "; ms/order " + ", ".join(f"{c} {per[c]:.2f}" for c in classes)
              + f"; total {sum(per.values()):.2f} ms/order (2 vCPUs: at most ~{2000 / max(sum(per.values()), 1e-9):.0f}"
              " orders/s if nothing else ran)."]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.append:
        results = RESULTS_MD
        results.parent.mkdir(parents=True, exist_ok=True)
        text = results.read_text() if results.exists() else "# Benchmark results\n"
        heading = "## Load (gunicorn)"
        if heading not in text:
            text = text.rstrip("\n") + f"\n\n{heading}\n\nCapture + allocate per request (POST /orders with " \
                "auto-allocate) of demo orders from data/orders.json.\n"
        # At the end of this section, not of the file (other benchmarks' sections follow it).
        start = text.index(heading)
        nxt = text.find("\n## ", start + len(heading))
        end = len(text) if nxt == -1 else nxt + 1
        results.write_text(text[:end].rstrip("\n") + "\n\n" + table + ("\n" + text[end:] if end < len(text) else ""))


if __name__ == "__main__":
    main()

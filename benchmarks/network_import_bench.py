"""Benchmark: network imports (issue 25): a 100,000-SKU catalog and a 30,000-row serviceability list, on SQLite
and PostgreSQL.

Targets: serviceability (30,000 rows) <= 10 s, catalog (100,000 SKUs) <= 30 s, each per backend, with the
process's peak memory <= 1 GiB.

Each backend runs in its own child process (``ru_maxrss`` is that run's peak) on a scratch store (a fresh
SQLite file, or a fresh PostgreSQL schema dropped afterwards), migrated to head, with one carrier imported
first (not timed). Timed, through the real service (``services.network.imports.import_network``: the CSV
read and every row checked by ``network_files``, the reference sync in one all-or-nothing transaction):

1. ``skus.csv`` with 100,000 SKUs into an empty catalog (inserts; a third of them with an EAN-13);
2. the same file with every tenth price changed (10,000 updates, 90,000 unchanged);
3. ``serviceability.csv`` with 30,000 six-digit PINs (forward / reverse / COD / pickup, SLA days) for the
   carrier (inserts);
4. the same serviceability file again (nothing to change).

CPU is this process's user + system time during the run (PostgreSQL's own work is in its server process:
wall time includes it, CPU time does not).

    .venv/bin/python benchmarks/network_import_bench.py [--backend sqlite|postgresql|both] [--skus 100000]
        [--pins 30000] [--pg-url postgresql://postgres@127.0.0.1:5432/test] [--markdown]

From an installed wheel: ``python -m omnialloc.bench.network_import_bench --backend sqlite`` (everything it
imports is the installed package; the files are generated, nothing is written but the scratch store).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TARGETS = {"skus": 30.0, "skus (10% changed)": 30.0, "serviceability": 10.0, "serviceability (again)": 10.0}


def _ean13(body12: str) -> str:
    digits = [int(c) for c in body12]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return body12 + str(check)


def catalog_csv(n: int, *, changed_every: int = 0) -> str:
    lines = ["code,name,category,unit_weight_g,length_mm,width_mm,height_mm,unit_price_paise,hazmat,fragile,"
             "returnable,hsn_code,gst_rate_bp,barcodes,active"]
    for i in range(n):
        price = 10_000 + (i % 977) * 100 + (1 if changed_every and i % changed_every == 0 else 0)
        barcode = _ean13(f"890{i:09d}") if i % 3 == 0 else ""
        lines.append(f"BS-{i:06d},Bench item {i},cat-{i % 50},{100 + i % 4000},{50 + i % 500},{40 + i % 300},"
                     f"{10 + i % 200},{price},false,{'true' if i % 17 == 0 else 'false'},true,6109,1200,{barcode},true")
    return "\n".join(lines) + "\n"


def serviceability_csv(n: int) -> str:
    lines = ["carrier,pin_prefix,forward,reverse,cod,pickup,sla_days_a,sla_days_b,sla_days_c,sla_days_d,sla_days_e"]
    for i in range(n):
        pin = 110001 + i * 29  # 30,000 distinct six-digit PINs spread over 11xxxx-98xxxx
        lines.append(f"BENCH,{pin},true,{'true' if i % 4 else 'false'},{'true' if i % 7 else 'false'},true,1,2,3,5,7")
    return "\n".join(lines) + "\n"


CARRIERS = "code,name,modes,max_weight_g,cod_supported,volumetric_divisor,reverse_supported\n" \
           "BENCH,Bench carrier,surface|air,30000,true,5000,true\n"


def run_one(backend: str, n_skus: int, n_pins: int, pg_url: str) -> dict:
    """In this (child) process: scratch store, four timed imports; returns the measurements."""
    from omnialloc.config import Settings
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.context import Context
    from omnialloc.services.network.imports import import_network
    from omnialloc.store.engine import create_engine
    from omnialloc.store.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="oa-network-bench-"))
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        import sqlalchemy as sa

        schema = f"oa_netbench_{secrets.token_hex(4)}"
        admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = pg_url
    try:
        upgrade(url, "head", schema=schema)
        engine = create_engine(url, schema=schema)
        ctx = Context(engine=engine, settings=Settings(database_url=url))
        import_network(ctx, SYSTEM, {"carriers": CARRIERS}, source="bench")
        files = [("skus", "skus", catalog_csv(n_skus)),
                 ("skus (10% changed)", "skus", catalog_csv(n_skus, changed_every=10)),
                 ("serviceability", "serviceability", serviceability_csv(n_pins)),
                 ("serviceability (again)", "serviceability", serviceability_csv(n_pins))]
        runs = []
        for label, name, text in files:
            data = text.encode()
            cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
            started = time.perf_counter()
            report = import_network(ctx, SYSTEM, {name: data}, source="bench")
            seconds = time.perf_counter() - started
            cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu0
            runs.append({"file": label, "rows": report["rows"][name], "inserted": report["inserted"][name],
                         "updated": report["updated"][name], "seconds": round(seconds, 2), "cpu": round(cpu, 2),
                         "phases": report["seconds"], "csv_mib": round(len(data) / 2**20, 1),
                         "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
        engine.dispose()
        return {"backend": backend, "runs": runs, "load": os.getloadavg()}
    finally:
        if schema is not None:
            import sqlalchemy as sa

            admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()


def main(argv: list[str] | None = None) -> None:
    if __package__:  # python -m benchmarks.network_import_bench (or omnialloc.bench.network_import_bench)
        from .inventory_import_bench import machine
    else:  # python benchmarks/network_import_bench.py: the script's folder is on sys.path
        from inventory_import_bench import machine

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--skus", type=int, default=100_000)
    p.add_argument("--pins", type=int, default=30_000)
    p.add_argument("--pg-url", default=os.environ.get("OMNIALLOC_TEST_POSTGRES_URL", DEFAULT_PG))
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--markdown", action="store_true", help="print a RESULTS.md section")
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.child, args.skus, args.pins, args.pg_url)))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    load_before = os.getloadavg()
    # The child runs this very module the way it was started (its package name, or the script), importing
    # whichever omnialloc this interpreter has: the checkout's (editable install) or an installed wheel.
    this = ["-m", __spec__.name] if __spec__ is not None else [__file__]
    for backend in backends:
        out = subprocess.run([sys.executable, *this, "--child", backend,
                              "--skus", str(args.skus), "--pins", str(args.pins), "--pg-url", args.pg_url],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            raise SystemExit(f"{backend} run failed")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if not args.markdown:
        print(json.dumps(results, indent=2))
        return
    load_after = os.getloadavg()
    prog = f"python -m {__spec__.name}" if __spec__ is not None else f"python {sys.argv[0]}"
    prog = ".venv/bin/" + prog if prog.startswith("python -m benchmarks.") else prog  # a checkout's venv
    print(f"## Network imports (issue 25)\n\n`{prog} --markdown` "
          f"({args.skus:,} SKUs, {args.pins:,} serviceability rows); {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
          f"{machine()}. **Shared, loaded machine** (load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after, on 2 cores): wall times include waiting for a core; CPU is this "
          "process's user + system time (PostgreSQL's server work is in wall time only).\n")
    print("Through `services.network.imports.import_network` (the API's `POST /network/imports/{file}` and "
          "`omnialloc network import`): every row read and checked by `network_files`, then the reference sync "
          "in one all-or-nothing transaction. Peak RSS is the child process's high-water mark after that run. "
          "Targets: serviceability <= 10 s, catalog <= 30 s, < 1 GiB, per backend.\n")
    print("| backend | file | rows | inserted | updated | wall s (parse / apply) | CPU s | peak RSS MiB | target |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for res in results:
        for r in res["runs"]:
            ph = r["phases"]
            ok = "met" if r["seconds"] <= TARGETS[r["file"]] and r["maxrss_mib"] < 1024 else "MISSED"
            print(f"| {res['backend']} | {r['file']} ({r['csv_mib']} MiB) | {r['rows']:,} | {r['inserted']:,} | "
                  f"{r['updated']:,} | {r['seconds']} ({ph.get('parse')} / {ph.get('apply')}) | {r['cpu']} | "
                  f"{r['maxrss_mib']} | {ok} (<= {TARGETS[r['file']]:.0f} s) |")


if __name__ == "__main__":
    main()

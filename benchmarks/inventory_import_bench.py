"""Benchmark: bulk stock import of 1,000,000 rows (50 nodes x 20,000 SKUs) into SQLite and PostgreSQL.

Target (issue 6): <= 60 s per backend with peak memory under 1 GiB.

Each backend runs in its own child process (so ``ru_maxrss`` is that run's
peak) on a scratch store: a fresh SQLite file, or a fresh PostgreSQL schema
dropped afterwards. The scratch store is migrated to head and gets 50 nodes
and 20,000 SKUs by bulk insert (not timed). Then, timed, through the real
service (``services.inventory.stock_import.import_stock``: pandas validation, staging by
COPY / chunked executemany, one all-or-nothing transaction):

1. ``snapshot`` of the full 1M-row file into empty stock (1M inserts);
2. ``delta`` of a 1M-row file against it (1M updates of existing rows);
3. ``snapshot`` again with the first file's counts changed on every row.

    .venv/bin/python benchmarks/inventory_import_bench.py [--backend sqlite|postgresql|both]
        [--nodes 50] [--skus 20000] [--pg-url postgresql://postgres@127.0.0.1:5432/test] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _write_csv(path: Path, nodes: list[str], skus: list[str], seed: int, signed: bool = False) -> int:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = len(nodes) * len(skus)
    qty = rng.integers(-5 if signed else 0, 500, size=n)
    df = pd.DataFrame({"node": np.repeat(nodes, len(skus)), "sku": np.tile(skus, len(nodes)), "qty": qty})
    if signed:  # deltas never take a row below zero: the file is applied on top of a snapshot with qty >= 0
        df["qty"] = np.abs(df["qty"])
    df.to_csv(path, index=False)
    return n


def _setup(url: str, schema: str | None, n_nodes: int, n_skus: int):
    from omnialloc.store.engine import create_engine
    from omnialloc.store.migrate import upgrade
    from omnialloc.store.tables.network import nodes, skus

    upgrade(url, "head", schema=schema)
    engine = create_engine(url, schema=schema)
    node_codes = [f"BN-{i:03d}" for i in range(n_nodes)]
    sku_codes = [f"BS-{i:06d}" for i in range(n_skus)]
    with engine.begin() as conn:
        conn.execute(nodes.insert(), [dict(code=c, name=c, kind="warehouse", address="", pin="560001", city="X",
                                           state="Y", lat=12.9, lon=77.6, capabilities=["ship"], daily_capacity=1000,
                                           handling_cost_paise=1000, priority=10, active=True, groups=[])
                                      for c in node_codes])
        conn.execute(skus.insert(), [dict(code=c, name=c, category="bench", unit_weight_g=100, length_mm=10,
                                          width_mm=10, height_mm=10, unit_price_paise=1000, hazmat=False,
                                          fragile=False, returnable=True) for c in sku_codes])
    return engine, node_codes, sku_codes


def run_one(backend: str, n_nodes: int, n_skus: int, pg_url: str) -> dict:
    """In this (child) process: scratch store, three timed imports; returns the measurements."""
    from omnialloc.config import Settings
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.context import Context
    from omnialloc.services.inventory.stock_import import import_stock

    tmp = Path(tempfile.mkdtemp(prefix="oa-import-bench-"))
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        import sqlalchemy as sa

        schema = f"oa_bench_{secrets.token_hex(4)}"
        admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = pg_url
    try:
        engine, node_codes, sku_codes = _setup(url, schema, n_nodes, n_skus)
        files = {}
        for name, seed, signed in (("snapshot", 1, False), ("delta", 2, True), ("snapshot2", 3, False)):
            files[name] = tmp / f"{name}.csv"
            _write_csv(files[name], node_codes, sku_codes, seed, signed)
        ctx = Context(engine=engine, settings=Settings(database_url=url))
        runs = []
        for name, mode in (("snapshot", "snapshot"), ("delta", "delta"), ("snapshot2", "snapshot")):
            data = files[name].read_bytes()
            started = time.perf_counter()
            report = import_stock(ctx, SYSTEM, data, mode=mode, source="bench")
            seconds = time.perf_counter() - started
            del data
            runs.append({"file": name, "mode": mode, "rows": report["rows"], "inserted": report["inserted"],
                         "updated": report["updated"], "seconds": round(seconds, 2), "phases": report["seconds"],
                         "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
        with engine.connect() as conn:
            total = conn.exec_driver_sql("SELECT count(*), sum(on_hand) FROM inventory").one()
        engine.dispose()
        return {"backend": backend, "rows_in_store": int(total[0]), "runs": runs,
                "csv_mib": round(files["snapshot"].stat().st_size / 2**20, 1)}
    finally:
        if schema is not None:
            import sqlalchemy as sa

            admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} vCPU, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--nodes", type=int, default=50)
    p.add_argument("--skus", type=int, default=20_000)
    p.add_argument("--pg-url", default=os.environ.get("OMNIALLOC_TEST_POSTGRES_URL", DEFAULT_PG))
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--markdown", action="store_true", help="print a RESULTS.md section")
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.child, args.nodes, args.skus, args.pg_url)))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    # The child runs this very module the way it was started (its package name, or the script), importing
    # whichever omnialloc this interpreter has: the checkout's (editable install) or an installed wheel.
    this = ["-m", __spec__.name] if __spec__ is not None else [__file__]
    for backend in backends:
        out = subprocess.run([sys.executable, *this, "--child", backend, "--nodes", str(args.nodes),
                              "--skus", str(args.skus), "--pg-url", args.pg_url],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            raise SystemExit(f"{backend} run failed")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if not args.markdown:
        print(json.dumps(results, indent=2))
        return
    print(f"## Inventory bulk import\n\n`.venv/bin/python benchmarks/inventory_import_bench.py --markdown` "
          f"({args.nodes} nodes x {args.skus:,} SKUs = {args.nodes * args.skus:,} rows per file); "
          f"{datetime.now(UTC):%Y-%m-%d}; {machine()}.\n")
    print("Through `services.inventory.stock_import.import_stock` (the API's and CLI's path): pandas validation of every "
          "row, staging (COPY on PostgreSQL, executemany in 50k chunks on SQLite), reserved/negative checks in "
          "SQL, one all-or-nothing transaction. Peak RSS is the child process's high-water mark after that run "
          "(it includes the earlier runs). Target: <= 60 s and < 1 GiB per backend.\n")
    print("| backend | file | mode | rows | inserted | updated | seconds (parse / stage / apply) | peak RSS MiB | target |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|")
    for res in results:
        for r in res["runs"]:
            ph = r.get("phases", {})
            ok = "met" if r["seconds"] <= 60 and r["maxrss_mib"] < 1024 else "MISSED"
            print(f"| {res['backend']} | {r['file']} ({res['csv_mib']} MiB) | {r['mode']} | {r['rows']:,} | "
                  f"{r['inserted']:,} | {r['updated']:,} | {r['seconds']} ({ph.get('parse')} / {ph.get('stage')} / "
                  f"{ph.get('apply')}) | {r['maxrss_mib']} | {ok} |")


if __name__ == "__main__":
    main()

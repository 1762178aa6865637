"""Benchmark: streamed CSV export of 100,000 orders (with their lines and shipments) on SQLite and PostgreSQL.

Target (issue 27): <= 30 s for 100,000 orders, without loading them all into memory.

Each backend runs in a child process on a scratch store (a fresh SQLite file, or a fresh PostgreSQL schema
dropped afterwards), migrated to head with the demo network. ``--orders`` orders of 2 lines each are bulk
inserted (not timed; 10,000 at a time), 60% of them with a SHIPPED shipment carrying both lines. Then, timed,
``GET /exports/orders.csv`` through the real Flask app (test client, admin key), the body consumed chunk by
chunk as a client would; and ``GET /exports/inventory.csv``. Reported: wall seconds, CPU seconds of the
process, rows, MiB, and the process's peak RSS before and after the export (memory flat = the export adds
little to what the bulk set-up already used; ``--orders 10000`` gives the comparison at a tenth of the size).

    .venv/bin/python benchmarks/export_bench.py [--backend sqlite|postgresql|both] [--orders 100000]
        [--pg-url postgresql://postgres@127.0.0.1:5432/test] [--markdown]
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _fill(engine, n_orders: int) -> None:
    from omnialloc.store.tables.orders import order_lines, orders
    from omnialloc.store.tables.shipments import shipment_lines, shipments

    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.connect() as conn:
        skus = [r[0] for r in conn.exec_driver_sql("SELECT code FROM skus ORDER BY code LIMIT 50")]
        nodes = [r[0] for r in conn.exec_driver_sql("SELECT code FROM nodes ORDER BY code LIMIT 5")]
        carriers = [r[0] for r in conn.exec_driver_sql("SELECT code FROM carriers ORDER BY code LIMIT 3")]
    for base in range(0, n_orders, 10_000):
        o_rows, l_rows, s_rows, sl_rows = [], [], [], []
        for i in range(base, min(n_orders, base + 10_000)):
            oid = f"ord_bench{i:08d}"
            at = start + timedelta(seconds=i * 7)
            a, b = skus[i % len(skus)], skus[(i * 7 + 3) % len(skus)]
            if a == b:
                b = skus[(i + 1) % len(skus)]
            shipped = i % 10 < 6
            o_rows.append(dict(id=oid, channel="shopify" if i % 2 else "web", external_id=f"bench-{i}",
                               channel_order_number=f"#{100000 + i}" if i % 2 else None,
                               status="SHIPPED" if shipped else "ALLOCATED", payment_mode="PREPAID", currency="INR",
                               value_paise=2 * 49_900 + 29_900, priority=i % 3, tags=["bench"] + (["vip"] if i % 5 == 0
                                                                                                  else []),
                               delivery_mode="ship", customer_id=f"cust-{i % 5000}", ship_name=f"Buyer {i}",
                               ship_line1="12 Anna Salai", ship_line2="", ship_city="Chennai", ship_state="Tamil Nadu",
                               ship_pin="600002", ship_phone=f"+9198{i:08d}", ship_email=f"buyer{i}@example.com",
                               created_at=at, updated_at=at, version=1))
            l_rows += [dict(order_id=oid, line_no=1, sku=a, qty=2, unit_price_paise=49_900, cancelled_qty=0),
                       dict(order_id=oid, line_no=2, sku=b, qty=1, unit_price_paise=29_900, cancelled_qty=0)]
            if shipped:
                sid = f"shp_bench{i:08d}"
                s_rows.append(dict(id=sid, order_id=oid, node=nodes[i % len(nodes)], carrier=carriers[i % len(carriers)],
                                   status="SHIPPED", weight_g=900, billed_weight_g=1000, cost_paise=6500,
                                   cost_breakdown={}, awb=f"BENCH{i:010d}", created_at=at, updated_at=at,
                                   shipped_at=at + timedelta(hours=20), version=1))
                sl_rows += [dict(shipment_id=sid, line_no=1, sku=a, qty=2), dict(shipment_id=sid, line_no=2, sku=b, qty=1)]
        with engine.begin() as conn:
            conn.execute(orders.insert(), o_rows)
            conn.execute(order_lines.insert(), l_rows)
            if s_rows:
                conn.execute(shipments.insert(), s_rows)
                conn.execute(shipment_lines.insert(), sl_rows)


def run_one(backend: str, n_orders: int, pg_url: str) -> dict:
    from omnialloc.api import create_app
    from omnialloc.config import Settings
    from omnialloc.services.access import create_key
    from omnialloc.services.network.demo import load_demo
    from omnialloc.store.engine import create_engine
    from omnialloc.store.migrate import upgrade
    from omnialloc.store.uow import UnitOfWork

    tmp = Path(tempfile.mkdtemp(prefix="oa-export-bench-"))
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
        upgrade(url, "head", schema=schema)
        engine = create_engine(url, schema=schema)
        load_demo(engine=engine, key_file=None)
        t0 = time.perf_counter()
        _fill(engine, n_orders)
        fill_s = time.perf_counter() - t0
        with UnitOfWork(engine) as uow:
            token, _ = create_key(uow, name="bench-admin", role="admin")
            uow.commit()
        app = create_app(Settings(database_url=url), engine=engine)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        runs = []
        for path in ("/exports/orders.csv", "/exports/inventory.csv"):
            rss_before = _rss_mib()
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers, buffered=False)
            assert response.status_code == 200, response.status_code
            size = rows = 0
            for chunk in response.response:
                chunk = chunk if isinstance(chunk, bytes) else chunk.encode()
                size += len(chunk)
                rows += chunk.count(b"\r\n")
            response.close()
            runs.append({"path": path, "rows": rows - 1, "mib": round(size / 2**20, 1),
                         "seconds": round(time.perf_counter() - wall, 2),
                         "cpu_seconds": round(time.process_time() - cpu, 2),
                         "rss_before_mib": rss_before, "rss_after_mib": _rss_mib()})
        engine.dispose()
        return {"backend": backend, "orders": n_orders, "fill_seconds": round(fill_s, 1), "runs": runs,
                "load": os.getloadavg()}
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
    if __package__:  # python -m benchmarks.export_bench (or omnialloc.bench.export_bench)
        from .inventory_import_bench import machine
    else:  # python benchmarks/export_bench.py: the script's folder is on sys.path
        from inventory_import_bench import machine

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--pg-url", default=os.environ.get("OMNIALLOC_TEST_POSTGRES_URL", DEFAULT_PG))
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--markdown", action="store_true", help="print a RESULTS.md section")
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.child, args.orders, args.pg_url)))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    # The child runs this very module the way it was started (its package name, or the script), importing
    # whichever omnialloc this interpreter has: the checkout's (editable install) or an installed wheel.
    this = ["-m", __spec__.name] if __spec__ is not None else [__file__]
    for backend in backends:
        out = subprocess.run([sys.executable, *this, "--child", backend, "--orders", str(args.orders),
                              "--pg-url", args.pg_url], capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            raise SystemExit(f"{backend} run failed")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if not args.markdown:
        print(json.dumps(results, indent=2))
        return
    print(f"## CSV export (issue 27)\n\n`.venv/bin/python benchmarks/export_bench.py --orders {args.orders} --markdown`; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; a loaded shared machine (load average "
          f"{', '.join(f'{x:.1f}' for x in results[-1]['load'])} at the end).\n")
    print("`GET /exports/orders.csv` (one row per order line with its shipments) and `GET /exports/inventory.csv` "
          "through the Flask app, streamed: orders read 5,000 at a time by the order search's keyset, each chunk "
          "in its own read transaction, written and let go. Peak RSS is the process's high-water mark before and "
          "after the export (the set-up's bulk insert included). Target: 100,000 orders <= 30 s, memory flat.\n")
    print("| backend | export | rows | MiB | seconds | CPU s | peak RSS MiB before -> after | target |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for res in results:
        for r in res["runs"]:
            ok = ("met" if r["seconds"] <= 30 else "MISSED") if "orders" in r["path"] else "-"
            print(f"| {res['backend']} | {r['path']} ({res['orders']:,} orders) | {r['rows']:,} | {r['mib']} | "
                  f"{r['seconds']} | {r['cpu_seconds']} | {r['rss_before_mib']} -> {r['rss_after_mib']} | {ok} |")


if __name__ == "__main__":
    main()

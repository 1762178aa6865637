"""CPU and SQL statements per capture+allocate request, measured in-process (no gunicorn, no network client).

    .venv/bin/python benchmarks/load/profile_request.py --backend sqlite --orders 200
    .venv/bin/python benchmarks/load/profile_request.py --backend postgresql --profile 25

Sets up a fresh demo store exactly as run.py does, then sends POST /orders for
demo orders (data/orders.json, fresh external_ids) through the Flask test client
and reports this process's CPU time per request (``time.process_time``: less
sensitive to a busy neighbour than wall time, and on PostgreSQL it leaves out the
server's own CPU), wall time per request and SQL statements (and transactions)
per request. On PostgreSQL also the server's CPU per request: this run's backends
(named by an ``application_name``) plus its WAL writer etc., read from /proc as
run.py does (the server must run on this machine). ``--profile N`` prints the N top cumulative entries of a cProfile run timed by this
process's CPU clock (waiting for the database is left out, as in the CPU column).
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import os
import pstats
import statistics
import time

if __package__:  # python -m benchmarks.load.profile_request
    from .run import CpuMeter, setup_store
else:  # python benchmarks/load/profile_request.py: the script's folder is on sys.path
    from run import CpuMeter, setup_store


def capture_poster(url: str, token: str, prefix: str = "prof"):
    """A function that sends the next demo order (data/orders.json, a fresh external_id) as POST /orders
    through the Flask test client of an app on ``url``, and stops the run unless it was stored (201)."""
    from omnialloc.api import create_app
    from omnialloc.config import Settings
    from omnialloc.network_files import load_sample_orders
    from omnialloc.store.engine import make_engine

    settings = Settings.from_env({**os.environ, "OMNIALLOC_DATABASE_URL": url})  # as gunicorn gets it
    client = create_app(settings, make_engine(url)).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    base = load_sample_orders()
    numbers = itertools.count(1)

    def post() -> None:
        n = next(numbers)
        r = client.post("/orders", json={**base[n % len(base)], "external_id": f"{prefix}-{n}"}, headers=headers)
        if r.status_code != 201:
            raise SystemExit(f"POST /orders answered {r.status_code}: {r.get_data(as_text=True)[:300]}")

    return post


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--backend", choices=("postgresql", "sqlite"), default="sqlite")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--orders", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--profile", type=int, default=0, help="print the top N cumulative cProfile entries")
    args = p.parse_args()

    import sqlalchemy as sa

    from omnialloc.store.engine import dispose_engines, make_engine

    url, token, cleanup = setup_store(args.backend, args.pg_url)
    meter = None
    if args.backend == "postgresql":  # names this run's backends, for their CPU (run.CpuMeter)
        app_name = f"oa-prof-{os.getpid()}"
        url += f"&application_name={app_name}"
        meter = CpuMeter(os.getpid(), args.pg_url, app_name)
    try:
        engine = make_engine(url)
        counts = {"statements": 0, "commits": 0}

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _count(*_a):
            counts["statements"] += 1

        @sa.event.listens_for(engine, "commit")
        def _commit(*_a):
            counts["commits"] += 1

        post = capture_poster(url, token)
        for _ in range(args.warmup):
            post()
        counts.update(statements=0, commits=0)
        cpu, wall = [], []
        prof = cProfile.Profile(time.process_time) if args.profile else None
        server_before = meter.sample() if meter else None
        for _ in range(args.orders):
            c0, w0 = time.process_time(), time.perf_counter()
            if prof:
                prof.enable()
            post()
            if prof:
                prof.disable()
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        server_s = meter.since(server_before)["postgresql"] if meter else None
        print(f"backend={args.backend} orders={args.orders} (after {args.warmup} warm-up)")
        print(f"CPU ms/request: mean {statistics.fmean(cpu):.2f}, median {statistics.median(cpu):.2f}")
        print(f"wall ms/request: mean {statistics.fmean(wall):.2f}, median {statistics.median(wall):.2f}")
        print(f"statements/request: {counts['statements'] / args.orders:.1f}, "
              f"commits/request: {counts['commits'] / args.orders:.2f}")
        if server_s is not None:
            print(f"PostgreSQL CPU ms/request (its backends + WAL writer etc.): {server_s * 1000 / args.orders:.2f}")
        if prof:
            stats = pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            stats.print_stats(args.profile)
            if os.environ.get("PROFILE_DUMP"):  # for pstats/snakeviz: the whole profile, not only its top
                stats.dump_stats(os.environ["PROFILE_DUMP"])
    finally:
        dispose_engines()
        cleanup()


if __name__ == "__main__":
    main()

"""Load generator (run as its own process): POST /orders at a fixed arrival rate, or closed-loop, and time each.

    python benchmarks/load/loadgen.py --url http://127.0.0.1:8000 --token oa_... --rate 100 --seconds 10
    python benchmarks/load/loadgen.py ... --closed 16 --seconds 10     # saturation: 16 clients back to back

Open loop (``--rate``): requests start on a fixed schedule whether or not earlier
ones finished (so queueing shows up as latency), bounded by ``--max-inflight``.
Each request is one demo order from data/orders.json with a fresh external_id;
the server captures and allocates it in the request. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def _orders(tag: str):
    base = json.loads((ROOT / "data" / "orders.json").read_text())
    n = 0
    while True:
        for body in base:
            n += 1
            yield {**body, "external_id": f"load-{tag}-{n}"}


async def main(args) -> dict:
    orders = _orders(args.tag)
    headers = {"Authorization": f"Bearer {args.token}"}
    lat: list[float] = []
    codes: dict[str, int] = {}
    limits = httpx.Limits(max_connections=args.max_inflight, max_keepalive_connections=args.max_inflight)
    async with httpx.AsyncClient(base_url=args.url, headers=headers, timeout=30, limits=limits) as client:
        async def one():
            t = time.perf_counter()
            try:
                r = await client.post("/orders", json=next(orders))
                key = str(r.status_code)
                if r.status_code in (200, 201):
                    key = f"{r.status_code}:{r.json().get('status')}"
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            lat.append((time.perf_counter() - t) * 1000)
            codes[key] = codes.get(key, 0) + 1

        t0 = time.perf_counter()
        end = t0 + args.seconds
        if args.closed:
            async def loop():
                while time.perf_counter() < end:
                    await one()
            await asyncio.gather(*(loop() for _ in range(args.closed)))
        else:
            sem = asyncio.Semaphore(args.max_inflight)
            tasks, i, dropped = [], 0, 0

            async def guarded():
                try:
                    await one()
                finally:
                    sem.release()

            while True:
                due = t0 + i / args.rate
                if due >= end:
                    break
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                if sem.locked():
                    dropped += 1  # client-side shed: more than max-inflight outstanding
                else:
                    await sem.acquire()
                    tasks.append(asyncio.create_task(guarded()))
                i += 1
            await asyncio.gather(*tasks)
            codes["shed_by_client"] = dropped
        wall = time.perf_counter() - t0
    ok = sum(v for k, v in codes.items() if k.startswith("20"))
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [float("nan")] * 99
    return {"mode": f"closed x{args.closed}" if args.closed else f"open {args.rate}/s", "requests": len(lat),
            "ok": ok, "throughput": round(ok / wall, 1), "p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1),
            "wall_s": round(wall, 2), "codes": codes}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--closed", type=int, default=0)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--max-inflight", type=int, default=64)
    p.add_argument("--tag", default=str(random.randrange(10**9)))
    print(json.dumps(asyncio.run(main(p.parse_args()))))

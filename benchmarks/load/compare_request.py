"""Worker CPU per capture+allocate of two versions of the code, in short bursts alternated between them.

    git archive <base commit> src | tar -x -C /tmp/base
    .venv/bin/python benchmarks/load/compare_request.py --base-src /tmp/base/src --rounds 20

On a shared machine the CPU a request costs moves by 20% and more from one minute to the next (other
work on the cores), so two runs of profile_request.py minutes apart compare the neighbours as much as the
code. Here both versions run at once, each in its own process with a store of its own (set up as run.py
does; the demo orders through the Flask test client, as profile_request.py sends them), and take turns:
each round runs a burst of requests on one, then on the other (base first in odd rounds, last in even
ones). A round's two bursts see the same machine; the per-round ratio new/base is the figure, its median
over the rounds the summary. CPU is the worker process's own (``time.process_time``), per request; the
burst's median is taken.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(backend: str, pg_url: str) -> None:
    """Answer each ``run N`` line on stdin with the median CPU ms of N requests (``ready`` once set up)."""
    if __package__:  # python -m benchmarks.load.compare_request
        from .profile_request import capture_poster
        from .run import setup_store
    else:  # python benchmarks/load/compare_request.py (how it starts its workers): the script's folder is on sys.path
        from profile_request import capture_poster
        from run import setup_store

    from omnialloc.store.engine import dispose_engines

    url, token, cleanup = setup_store(backend, pg_url)
    try:
        post = capture_poster(url, token, prefix=f"cmp{os.getpid()}")
        print("ready", flush=True)
        for line in sys.stdin:
            cpu = []
            for _ in range(int(line.split()[1])):
                c0 = time.process_time()
                post()
                cpu.append((time.process_time() - c0) * 1000)
            print(f"{statistics.median(cpu):.4f}", flush=True)
    finally:
        dispose_engines()
        cleanup()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-src", help="the src/ folder of the version to compare against (required)")
    p.add_argument("--new-src", default=str(HERE.parents[1] / "src"), help="default: this checkout's src/")
    p.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--burst", type=int, default=150, help="requests per version per round")
    p.add_argument("--warmup", type=int, default=600, help="requests per version before the first round")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.backend, args.pg_url)
        return
    if not args.base_src:
        p.error("--base-src is required")

    from tqdm import tqdm

    procs = {}
    for name, src in (("base", args.base_src), ("new", args.new_src)):
        env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
        procs[name] = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--backend", args.backend, "--pg-url", args.pg_url],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def burst(name: str, n: int) -> float:
        proc = procs[name]
        proc.stdin.write(f"run {n}\n")
        proc.stdin.flush()
        answer = proc.stdout.readline()
        if not answer:
            raise SystemExit(f"the {name} worker stopped (its error is above)")
        return float(answer)

    try:
        for name, proc in procs.items():
            if proc.stdout.readline().strip() != "ready":
                raise SystemExit(f"the {name} worker did not start (its error is above)")
            burst(name, args.warmup)
        ms = {"base": [], "new": []}
        rounds = tqdm(range(args.rounds), desc="rounds", unit="round")
        for r in rounds:
            for name in (("base", "new") if r % 2 == 0 else ("new", "base")):
                ms[name].append(burst(name, args.burst))
            rounds.set_postfix(base=f"{ms['base'][-1]:.2f}", new=f"{ms['new'][-1]:.2f}")
    finally:
        for proc in procs.values():
            proc.stdin.close()
        for proc in procs.values():
            proc.wait()
    ratios = [n / b for b, n in zip(ms["base"], ms["new"], strict=True)]
    print(f"backend={args.backend}, {args.rounds} rounds of {args.burst} requests per version "
          f"(after {args.warmup}), load average {os.getloadavg()[0]:.1f} at the end")
    print("round  base ms  new ms  new/base")
    for i, (b, n) in enumerate(zip(ms["base"], ms["new"], strict=True), 1):
        print(f"{i:5d}  {b:7.2f}  {n:6.2f}  {n / b:8.3f}")
    print(f"worker CPU ms/request, median of the bursts: base {statistics.median(ms['base']):.2f}, "
          f"new {statistics.median(ms['new']):.2f}; new/base per round: median {statistics.median(ratios):.3f}, "
          f"mean {statistics.fmean(ratios):.3f}, new lower in {sum(x < 1 for x in ratios)} of {len(ratios)}")


if __name__ == "__main__":
    main()

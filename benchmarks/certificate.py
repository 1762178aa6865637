"""Stored Lagrangian prices: a longer, step-counted bound run (`omnialloc bench bound`) for `bench run` to start from.

At 20,000 orders one pass of the Lagrangian bound over every order takes
tens of seconds, so the bound's time budget inside `bench run` fits few or
no column-generation steps and the bound stays near its start prices. The
certification run takes as many steps as it is told (a step count, not a
time budget, so the same command gives the same prices on any machine) and
writes the prices where L was best to `benchmarks/results/bound-<run>.json`,
with L there, the steps, wall and CPU time, the command and a fingerprint
of the scenario (orders, stock, costs).

`bench run` starts its bound from those prices when the fingerprint matches
(`stored_prices`) and evaluates L at them itself, every order solved again:
L(lam) is a lower bound for *any* prices lam >= 0 (lagrangian.py), so the
file needs to be good, never trusted; the number reported is always one the
run computed. A file for another scenario is ignored (the batch LP's start
prices are used, as without a file).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from . import RESULTS_DIR, lagrangian
from .runner import OrderContext
from .scenarios import Scenario

FORMAT = 1


def path_for(sc: Scenario, out_dir: Path | None = None) -> Path:
    return Path(out_dir or RESULTS_DIR) / f"bound-{sc.name}-{sc.n_orders}-s{sc.seed}.json"


def fingerprint(sc: Scenario, ctxs: list[OrderContext]) -> str:
    """sha256 over what the bound depends on: the orders (PIN, COD, SKUs, quantities, unfilled
    penalty), the starting stock, the nodes and SKUs as priced, and the carriers, rate cards and
    serviceability rows of the orders' PINs."""
    h = hashlib.sha256()

    def put(*parts) -> None:
        h.update(repr(_canonical(parts)).encode())

    put(FORMAT, sc.name, sc.seed, sc.n_orders, sc.cost_model, sc.promise_days)
    h.update(np.ascontiguousarray(sc.stock0, dtype=np.int64).tobytes())
    for n in sc.nodes:
        put(n.code, n.kind, n.priority, n.handling_paise, n.loc.pin, n.loc.lat, n.loc.lon)
    for s in range(len(sc.skus)):
        put(sc.skus[s].code, sc.line_weight(s), sc.line_volume(s), sc.skus[s].value_paise)
    pins = set()
    for ctx in ctxs:
        o = ctx.order
        put(o.loc.pin, o.loc.lat, o.loc.lon, o.cod, o.skus, o.qty, ctx.penalty)
        pins.add(o.loc.pin)
    put(sc.network.carriers, sc.network.rate_cards)
    carriers = sorted(sc.network.serviceability.carriers)
    for pin in sorted(pins):
        put(pin, [sc.network.serviceability.row(c, pin) for c in carriers])
    return h.hexdigest()


def _canonical(x):
    """`x` with every set sorted and every dataclass as (name, fields): a repr that is the same in every
    process (a frozenset's own repr follows string hashing, which differs per process)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return (type(x).__name__,) + tuple(_canonical(getattr(x, f.name)) for f in dataclasses.fields(x))
    if isinstance(x, (set, frozenset)):
        return ("set",) + tuple(sorted((_canonical(e) for e in x), key=repr))
    if isinstance(x, dict):
        return ("dict",) + tuple(sorted(((_canonical(k), _canonical(v)) for k, v in x.items()), key=repr))
    if isinstance(x, (list, tuple)):
        return tuple(_canonical(e) for e in x)
    return x


def certify(sc: Scenario, steps: int, *, workers: int = 2, window: int = lagrangian.START_WINDOW,
            windows: int = 1, command: str = "", out_dir: Path | None = None) -> tuple[lagrangian.BoundResult, dict, Path]:
    """Start prices from the batch LP over the first `window` real orders (the mean over `windows`
    consecutive windows: `lagrangian.start_prices`), then exactly `steps`
    column-generation steps (fewer only if the master proves the prices optimal for the plans
    found); no time budget. Writes the record (`path_for`) and returns (result, record, path)."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    ctxs = [OrderContext(sc, o) for o in sc.orders()]
    lam0, start = lagrangian.start_prices(sc, window=window, windows=windows, workers=workers, time_limit_s=3600.0)
    res = lagrangian.lagrangian_bound(sc, lam0, time_budget_s=float("inf"), workers=workers, ctxs=ctxs,
                                      max_passes=steps + 1)
    cells = np.argwhere(res.lam > 0)
    record = {
        "format": FORMAT, "scenario": sc.name, "orders": sc.n_orders, "seed": sc.seed,
        "fingerprint": fingerprint(sc, ctxs), "command": command,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "L_paise": res.cost, "start_L_paise": res.start_cost, "master_paise": res.master,
        "steps": res.passes - 1, "steps_asked": steps, "solves": res.solves, "unproven": res.unproven,
        "start": start["method"], "start_s": round(start["wall_s"], 1), "window": window,
        "windows": windows,
        "wall_s": round(time.perf_counter() - t0, 1),
        # this process, the bound's workers and the start prices' LP workers
        "cpu_s": round(time.process_time() - cpu0 + res.worker_cpu_s + start["worker_cpu_s"], 1), "workers": workers,
        "history": res.history,
        "prices": [[int(n), int(s), int(res.lam[n, s])] for n, s in cells],
    }
    path = path_for(sc, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return res, record, path


def stored_prices(sc: Scenario, ctxs: list[OrderContext], out_dir: Path | None = None) -> tuple[np.ndarray, dict] | None:
    """(prices nodes x SKUs, the record) from `certify`'s file for this scenario, or None when there
    is none or its fingerprint differs (another scenario, other costs or stock)."""
    path = path_for(sc, out_dir)
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    if record.get("format") != FORMAT or record.get("fingerprint") != fingerprint(sc, ctxs):
        return None
    lam = np.zeros(sc.stock0.shape, dtype=float)
    for n, s, paise in record["prices"]:
        lam[n, s] = paise
    return lam, record

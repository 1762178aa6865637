"""Decomposition into independent subproblems, and the distributed map.

Two orders interact only through a limit that could bind: a (node, SKU)
whose stock is below what all orders could draw from it, a node whose
shipment capacity is below the number of orders that could ship from it,
or a node with a fixed cost (used once, paid once). Orders connected
through such limits form a component; different components share no
binding limit, so each can be solved alone against the *full* stock and
the objectives (and LP bounds) add up exactly to the monolithic model's.

Components are packed into chunks of about `chunk_orders` orders (a union of
independent components is still independent of the rest) and each chunk is
one task: solved in-process, or mapped over Dask distributed workers
(`LocalCluster` by default, or a scheduler address for a real cluster).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from .assign import Totals
from .patterns import Patterns, build_patterns
from .large import Mapper, Progress, in_process
from .problem import BatchData, IntArray
from .solve import BatchPlan, Move, solve_batch

if TYPE_CHECKING:
    from dask.distributed import Client, LocalCluster

_R = TypeVar("_R")


def components(d: BatchData, p: Patterns | None = None) -> list[IntArray]:
    """Order index arrays, one per connected component, largest first."""
    p = build_patterns(d) if p is None else p
    S = d.stock.shape[1]
    pc = np.repeat(np.arange(p.n), np.diff(p.ptr))
    pl = p.lines
    pn = p.node[pc]
    key = pn * S + d.line_sku[pl]
    _, first = np.unique(pl * d.n_nodes + pn, return_index=True)
    dem = np.bincount(key[first], weights=d.line_qty[pl][first], minlength=d.n_nodes * S)
    binding = dem > d.stock.reshape(-1)
    e_order = [d.line_order[pl][binding[key]]]
    e_res = [key[binding[key]]]
    base = d.n_nodes * S
    on = np.unique(p.order * d.n_nodes + p.node)
    orders_at = np.bincount(on % d.n_nodes, minlength=d.n_nodes)
    coupling = ((d.cap >= 0) & (orders_at > np.maximum(d.cap, 0))) | (d.fixed > 0)
    hit = coupling[p.node]
    e_order.append(p.order[hit])
    e_res.append(base + p.node[hit])
    eo = np.concatenate(e_order)
    er = np.concatenate(e_res)
    label = np.arange(d.n_orders)
    if len(eo):
        _, er = np.unique(er, return_inverse=True)
        nres = int(er.max()) + 1
        while True:
            rl = np.full(nres, d.n_orders, dtype=np.int64)
            np.minimum.at(rl, er, label[eo])
            new = label.copy()
            np.minimum.at(new, eo, rl[er])
            new = new[new]  # pointer jumping speeds up long chains
            if np.array_equal(new, label):
                break
            label = new
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    comps = np.split(order, cuts)
    comps.sort(key=lambda c: (-len(c), int(c[0])))
    return comps


def pack(comps: list[IntArray], chunk_orders: int) -> list[IntArray]:
    chunks: list[IntArray] = []
    cur: list[IntArray] = []
    size = 0
    for c in comps:
        if len(c) >= chunk_orders:
            chunks.append(np.sort(c))
            continue
        if size + len(c) > chunk_orders and cur:
            chunks.append(np.sort(np.concatenate(cur)))
            cur, size = [], 0
        cur.append(c)
        size += len(c)
    if cur:
        chunks.append(np.sort(np.concatenate(cur)))
    return chunks


def _solve_chunk(sub: BatchData, method: str, time_limit: float) -> BatchPlan:
    return solve_batch(sub, method=method, time_limit=time_limit)


@dataclass
class DecomposedPlan:
    parts: list[BatchPlan]
    n_components: int
    largest_component: int
    seconds: float

    @property
    def totals(self) -> Totals | dict[str, int]:
        """The parts' totals added up ({} without parts)."""
        if not self.parts:
            return {}
        return Totals(shipping=sum(p.totals["shipping"] for p in self.parts),
                      split=sum(p.totals["split"] for p in self.parts),
                      fixed=sum(p.totals["fixed"] for p in self.parts),
                      unfilled_paise=sum(p.totals["unfilled_paise"] for p in self.parts),
                      unfilled_units=sum(p.totals["unfilled_units"] for p in self.parts),
                      total=sum(p.totals["total"] for p in self.parts))

    @property
    def objective(self) -> int:
        return int(self.totals.get("total", 0))

    @property
    def bound(self) -> float | None:
        if any(p.bound is None for p in self.parts):
            return None
        return float(sum(p.bound for p in self.parts if p.bound is not None))  # (none is None, as checked)

    @property
    def gap(self) -> float | None:
        b = self.bound
        return None if not b else (self.objective - b) / b

    def gap_split(self) -> dict[str, float]:
        out = {"gap_paise": 0.0, "unfilled_paise": 0.0, "shipping_paise": 0.0}
        for p in self.parts:
            for k, v in p.gap_split().items():
                out[k] += v
        return out

    @property
    def shipments(self) -> list[Move]:
        return [m for p in self.parts for m in p.shipments]

    @property
    def unfilled(self) -> dict[str, list[str]]:
        return {k: v for p in self.parts for k, v in p.unfilled.items()}


def _dask_mapper(client: Client) -> Mapper:
    """map(fn, [args...], progress) over Dask workers, results in input order."""
    from dask.distributed import as_completed

    def mapper(fn: Callable[..., _R], items: Sequence[tuple[object, ...]],
               progress: Progress | None = None) -> list[_R]:
        futs = [client.submit(fn, *it, pure=False) for it in items]
        index = {f.key: i for i, f in enumerate(futs)}
        out: dict[int, _R] = {}
        for done, f in enumerate(as_completed(futs), 1):  # type: ignore[no-untyped-call]  # distributed: unannotated
            out[index[f.key]] = f.result()
            if progress:
                progress(done, len(futs))
        return [out[i] for i in range(len(futs))]

    return mapper


def solve_decomposed(d: BatchData, *, method: str = "auto", time_limit: float = 60.0,
                     chunk_orders: int = 5000, scheduler: str | None = None, dask: bool = False,
                     n_workers: int = 2, progress: Progress | None = None,
                     processes: bool = True) -> DecomposedPlan:
    """Solve component chunks independently (in-process, or on Dask when
    `dask` or `scheduler` is given). `progress(done, total)` is called as
    chunks finish. A chunk too big for one LP (see `solve_batch`) is solved
    here with its region tasks mapped over the same workers."""
    from .solve import LP_MAX_PATTERNS

    t0 = time.perf_counter()
    p = build_patterns(d)
    comps = components(d, p)
    chunks = pack(comps, chunk_orders)
    subs = [d.subset(c) for c in chunks]
    parts: dict[int, BatchPlan] = {}  # chunk index -> its plan
    per_limit = max(time_limit - (time.perf_counter() - t0), 1.0)
    n_pats = np.bincount(p.order, minlength=d.n_orders)
    is_large = [method == "auto" and int(n_pats[c].sum()) > LP_MAX_PATTERNS for c in chunks]
    large = [i for i, big in enumerate(is_large) if big]
    small = [i for i, big in enumerate(is_large) if not big]
    cluster: LocalCluster | None = None
    client: Client | None = None
    if dask or scheduler:
        # distributed's Client, LocalCluster and as_completed have no annotations (py.typed all the same)
        from dask.distributed import Client, LocalCluster

        if scheduler:
            client = Client(scheduler)  # type: ignore[no-untyped-call]
        else:
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1,  # type: ignore[no-untyped-call]
                                   processes=processes, dashboard_address=":0")
            client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        mapper = _dask_mapper(client) if client is not None else in_process
        done = [0]

        def tick(*_: object) -> None:
            done[0] += 1
            if progress:
                progress(done[0], len(subs))

        if client is not None:
            futs = {i: client.submit(_solve_chunk, subs[i], method, per_limit, pure=False) for i in small}
        else:
            futs = {}
            for i in small:
                parts[i] = _solve_chunk(subs[i], method, per_limit)
                tick()
        for i in large:
            parts[i] = solve_batch(subs[i], method=method, time_limit=max(time_limit - (time.perf_counter() - t0), 5.0),
                                   mapper=mapper)
            tick()
        for i, f in futs.items():
            parts[i] = f.result()
            tick()
    finally:
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]  # distributed: unannotated
        if cluster is not None:
            cluster.close()
    return DecomposedPlan([parts[i] for i in range(len(subs))], len(comps), int(len(comps[0])) if comps else 0, time.perf_counter() - t0)

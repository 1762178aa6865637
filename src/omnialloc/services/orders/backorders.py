"""Backorder retries: when stock becomes allocatable, waiting orders get it, most urgent first.

Why a queue: a receipt (``POST /inventory/adjustments``, a stock import, a transfer
receipt, a return restock, a completed work order) or a released reservation (a
cancel, a rejection, a hold, an expired pickup) must answer as soon as its own
change is stored, and succeed if and only if that change committed. Retrying
hundreds of backorders in the request made receipts slow and let an unrelated
order's refusal turn a stored receipt into an error. So each such change sends
``RetryBackorders`` on the message bus in its own transaction (``services.orders.backorder_queue``
handles it: one ``backorder_jobs`` row per SKU, see ``store/tables/backorders.py``),
committed or rolled back with the change. An order that starts waiting queues its
SKUs too, so stock freed while it was being planned is not missed.

Who runs the retries: ``omnialloc notify-worker`` (which ``make run`` starts beside
the API) runs :func:`run_worker` in a thread next to the notification outbox,
unless started with ``--no-backorders``; any number of workers may run (rows are
claimed with ``FOR UPDATE SKIP LOCKED``, SQLite serialises claimers, and one worker
at a time holds a SKU, so its orders are served in order). A worker also queues
every SKU with waiting orders every ``OMNIALLOC_BACKORDER_SWEEP_SECONDS``, for what no
stock change announces (a node's daily capacity freed at midnight).
``drain`` runs everything queued now (tests, scripts).

Order of service (:func:`urgency`): higher ``priority`` first, then the earlier
promise date (captured at + ``promised_days``; orders without a promise after those
with one), then the older order. An order is allocated whole or not at all (as
at capture): one that the stock cannot complete is skipped, and the stock goes to
the next order it does complete. Before solving, an order is checked against the
network's available-to-promise per SKU (its store's, for a pickup); that check is
necessary, not sufficient (exclusions, capacity and serviceability are the
solver's), so after ``MISSES_PER_SKU`` orders in a row fail to use a SKU's stock
the pass stops trying that SKU (the next change or sweep tries again). A retry
that still cannot allocate writes nothing. A pass reads the stock once, but each
allocation reads the stock of its moment, and receipts keep arriving during a long
pass: once an order of a SKU has been passed over, the pass re-reads that SKU's
stock before trying a less urgent order of it, and if it grew (at any node) the
pass leaves that SKU and queues it again, so the new units are offered from the
most urgent order down (benchmarks/backorder_receipts_bench.py's audit found the
inversions this prevents).

The retry threads can lower their own CPU priority (``OMNIALLOC_BACKORDER_NICE``, off
by default: a descheduled thread keeps the stock rows it reserved locked until it
runs again, and receipts for those rows wait; see docs/orders.md).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from omnialloc.observability import metrics
from omnialloc.services import bus
from omnialloc.services.messages import RetryBackorders
from omnialloc.domain import Order
from omnialloc.domain.errors import DomainError
from omnialloc.services.orders import lifecycle
from omnialloc.services.events import now
from omnialloc.services.network.cache import network
import threading

log = logging.getLogger("omnialloc.backorders")

ACTOR = "system:backorders"
#: Orders in a row that may fail to use a SKU's stock before a pass gives up on that SKU.
MISSES_PER_SKU = 25
#: The reasons of the rows the worker queues itself: not a sign of requests arriving (see :class:`Pacer`).
RESTART_REASON, SWEEP_REASON = "stock grew during a pass", "sweep"
WORKER_REASONS = (RESTART_REASON, SWEEP_REASON)


def urgency(candidate) -> tuple:
    """Sort key of a waiting order: priority (high first), promise date (early first, none last), age, id."""
    promised = (candidate.created_at + timedelta(days=candidate.promised_days)
                if candidate.promised_days is not None else None)
    return (-candidate.priority, promised is None, promised or candidate.created_at, candidate.created_at,
            candidate.order_id)


@dataclass
class RetryTally:
    jobs: int = 0           # queue rows handled
    skus: int = 0           # SKUs with stock to give
    tried: int = 0          # orders solved
    allocated: int = 0
    skipped: int = 0        # orders the available stock could not complete (not solved)
    allocated_ids: list[str] = field(default_factory=list)

    def add(self, other: "RetryTally", *, ids: bool = True) -> None:
        """Add ``other``'s counts (and its allocated order ids, unless ``ids`` is False: a long-running
        worker keeps counts only)."""
        for name in ("jobs", "skus", "tried", "allocated", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if ids:
            self.allocated_ids += other.allocated_ids

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in ("jobs", "skus", "tried", "allocated", "skipped")}


class Pacer:
    """Paces a retry thread while stock changes keep arriving (issue 20, item 3): the thread works in slices
    of ``backorder_slice_ms``; after each, if new ``backorder_jobs`` rows were queued since the last look
    (receipts, releases, captures that wait: requests being answered right now; the worker's own re-queues
and sweeps do not count), it pauses ``backorder_busy_pause_ms``.

    Why: on a host the worker shares with the API (``make run``, a small VM) an allocation is ~8 ms of CPU
    plus row locks on the stock it reserves; a backlog allocated flat out during a burst of receipts took
    a core's share from them and their p99 doubled (benchmarks/RESULTS.md, stock receipts). Paused, the
    thread leaves most of the CPU to the requests and holds stock rows a quarter of the time, while still
    allocating (a duty cycle of slice / (slice + pause), 25% by default, never 0: the drain stays bounded);
    once the changes stop it runs flat out. The signal costs one indexed ``max(id)`` read per slice and
    nothing on the request side (the rows are written anyway). Pauses happen between allocations, never
    inside one (no transaction, no lock is held while paused)."""

    def __init__(self, ctx):
        s = ctx.settings
        self.ctx = ctx
        self.slice = max(1, s.backorder_slice_ms) / 1000
        self.pause = max(0, s.backorder_busy_pause_ms) / 1000
        self.seen: int | None = None
        self.started = time.monotonic()
        self.paused = 0.0  # seconds paused in all (tests, logs)

    def step(self) -> None:
        """Called before each allocation: pause if the slice is used up and changes are arriving."""
        if not self.pause or time.monotonic() - self.started < self.slice:
            return
        with self.ctx.uow(readonly=True) as uow:
            last = uow.backorder_jobs.last_id(excluding=WORKER_REASONS)
        busy = self.seen is not None and last > self.seen
        self.seen = max(last, self.seen or 0)
        if busy:
            time.sleep(self.pause)
            self.paused += self.pause
        self.started = time.monotonic()


def retry(ctx, skus: Iterable[str], actor: str = ACTOR, *, pacer: Pacer | None = None) -> RetryTally:
    """Allocate waiting orders that want any of ``skus``, most urgent first, while those SKUs have stock
    (``pacer``: a worker thread's :class:`Pacer`, consulted before each allocation)."""
    tally = RetryTally()
    skus = set(skus)
    if not skus:
        return tally
    with ctx.uow(readonly=True) as uow:
        atp = uow.inventory.atp_for(sorted(skus))
        total = _totals(atp)
        giving = {s for s in skus if total.get(s, 0) > 0}
        candidates = uow.orders.backorder_candidates(giving) if giving else []
        others = {s for c in candidates for s in c.waiting} - skus
        if others:
            atp.update(uow.inventory.atp_for(sorted(others)))
            total = _totals(atp)
    tally.skus = len(giving)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("backorder pass: %s", {s: total.get(s, 0) for s in sorted(giving)})
    misses: dict[str, int] = defaultdict(int)
    passed_over: set[str] = set()  # SKUs of which a more urgent order was skipped or still short in this pass
    restart: set[str] = set()      # SKUs whose stock grew after that: the next pass serves them from the top
    ordered = sorted(candidates, key=urgency)
    held = _Prefetch(ctx, ordered)
    for c in ordered:
        if not any(total.get(s, 0) > 0 and misses[s] < MISSES_PER_SKU and s not in restart for s in giving):
            break
        if (not _could_complete(c, atp, total) or restart.intersection(c.waiting)
                or all(misses[s] >= MISSES_PER_SKU for s in c.waiting if s in giving)):
            if log.isEnabledFor(logging.DEBUG):  # benchmarks/backorder_receipts_bench.py --worker-log
                log.debug("backorder %s skipped: wants %s, total %s, misses %s", c.order_id, c.waiting,
                          {s: total.get(s, 0) for s in c.waiting}, {s: misses[s] for s in c.waiting})
            tally.skipped += 1
            passed_over.update(c.waiting)
            continue
        grown = _grown(ctx, atp, passed_over.intersection(c.waiting))
        if grown:
            # Stock arrived (or was released) during this pass, after a more urgent order of these SKUs was
            # passed over for want of it: this order may not take it first. The pass gives up these SKUs
            # and queues them again, and the next pass offers the stock from the most urgent order down.
            log.debug("backorder pass: stock of %s grew since the pass began; served again from the top",
                      sorted(grown))
            restart |= grown
            tally.skipped += 1
            continue
        tally.tried += 1
        if pacer is not None:
            pacer.step()
        try:
            outcome = lifecycle.allocate(ctx, c.order_id, actor, event_type="allocated_from_backorder", quiet=True,
                               held=held.get(c))
        except DomainError as exc:  # cancelled, held or allocated by someone else since the candidates were read
            log.info("backorder retry of %s skipped: %s", c.order_id, exc.detail)
            metrics.BACKORDER_RETRIES.labels("skipped").inc()
            continue
        metrics.BACKORDER_RETRIES.labels("allocated" if outcome is not None and outcome.shipments else "still_short").inc()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("backorder %s %s: wants %s, total %s", c.order_id,
                      "allocated" if outcome is not None and outcome.shipments else "still short", c.waiting,
                      {s: total.get(s, 0) for s in c.waiting})
        if outcome is not None and outcome.shipments:  # shipments planned: the order's units are placed
            tally.allocated += 1
            tally.allocated_ids.append(c.order_id)
            for shipment in outcome.held:
                if shipment.id in outcome.shipments:
                    for line in shipment.lines:
                        atp[(shipment.node, line.sku)] = atp.get((shipment.node, line.sku), 0) - line.qty
                        total[line.sku] = total.get(line.sku, 0) - line.qty
            for s in c.waiting:
                misses[s] = 0
        else:
            passed_over.update(c.waiting)
            for s in c.waiting:
                misses[s] += 1
    if restart:
        with ctx.uow() as uow:
            bus.send(uow, RetryBackorders.of(restart, RESTART_REASON))
            uow.commit()
    return tally


class _Prefetch:
    """The stored orders of fresh candidates (no shipments, no exclusions), read ahead in chunks: with the
    order and its version in hand, ``allocate`` locks the row and, when the version still matches, reads
    nothing else of it (a third of an allocation's round trips)."""

    CHUNK = 32

    def __init__(self, ctx, ordered: list):
        self.ctx, self.ordered = ctx, ordered
        self.orders: dict[str, Order] = {}
        self.position = {c.order_id: i for i, c in enumerate(ordered)}

    def get(self, candidate):
        if not candidate.fresh or candidate.version is None:
            return None
        if candidate.order_id not in self.orders:
            start = self.position[candidate.order_id]
            ids = [c.order_id for c in self.ordered[start:start + self.CHUNK] if c.fresh]
            with self.ctx.uow(readonly=True) as uow:
                self.orders.update(uow.orders.get_many(ids))
        order = self.orders.pop(candidate.order_id, None)
        return None if order is None else (order, candidate.version)


def _totals(atp: dict[tuple[str, str], int]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for (_node, sku), units in atp.items():
        total[sku] += max(0, units)
    return total


def _grown(ctx, atp: dict[tuple[str, str], int], skus: set[str]) -> set[str]:
    """Those of ``skus`` of which some node now has more available than this pass counted (``atp``: read at
    its start, less what it reserved). Only these are read: a pass that has passed over no order reads nothing."""
    if not skus:
        return set()
    with ctx.uow(readonly=True) as uow:
        now_atp = uow.inventory.atp_for(sorted(skus))
    return {sku for (node, sku), units in now_atp.items() if units > atp.get((node, sku), 0)}


def _could_complete(candidate, atp, total) -> bool:
    if candidate.pickup_node is not None:
        return all(atp.get((candidate.pickup_node, s), 0) >= q for s, q in candidate.waiting.items())
    return all(total.get(s, 0) >= q for s, q in candidate.waiting.items())


# ------------------------------------------------------------------ the worker
def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def run_once(ctx, worker: str | None = None, *, limit: int | None = None, pacer: Pacer | None = None) -> RetryTally:
    """Claim one batch of queued SKUs, retry their waiting orders, delete the batch. Returns the tally."""
    s = ctx.settings
    worker = worker or new_worker_id()
    at = now()
    with ctx.uow() as uow:
        claimed = uow.backorder_jobs.claim(
            worker, now=at, stale_before=at - timedelta(seconds=s.backorder_lease_seconds),
            limit=limit or s.backorder_batch_size)
        uow.commit()
    if not claimed:
        return RetryTally()
    tally = retry(ctx, {sku for _id, sku in claimed}, pacer=pacer)
    tally.jobs = len(claimed)
    with ctx.uow() as uow:
        uow.backorder_jobs.finish([i for i, _sku in claimed], worker)
        uow.commit()
    if tally.allocated:
        log.info("backorders: %d order(s) allocated (%d tried) for %d SKU(s)", tally.allocated, tally.tried,
                 tally.skus)
    return tally


def drain(ctx, *, max_batches: int = 10_000) -> RetryTally:
    """Run batches until the queue is empty (tests, scripts, ``--once`` style callers)."""
    total = RetryTally()
    worker = new_worker_id()
    for _ in range(max_batches):
        tally = run_once(ctx, worker)
        if not tally.jobs:
            break
        total.add(tally)
    return total


def sweep(ctx) -> int:
    """Queue a retry of every SKU some order waits for (what no stock change announces, e.g. a node's
    capacity freed overnight); the queue serves it like any other. Returns the rows queued."""
    with ctx.uow() as uow:
        queued = bus.send(uow, RetryBackorders.of(uow.orders.waiting_skus(), SWEEP_REASON))
        uow.commit()
    return queued


def pending(ctx) -> int:
    with ctx.uow(readonly=True) as uow:
        return uow.backorder_jobs.pending()


def run_worker(ctx, stop, *, poll_seconds: float | None = None, threads: int | None = None) -> RetryTally:
    """Retry queued backorders until ``stop`` (a ``threading.Event``) is set, in ``threads`` threads
    (``OMNIALLOC_BACKORDER_THREADS``; each claims its own SKUs, and an allocation mostly waits on the
    database); queue a sweep now and then. Returns the tally of all threads."""
    s = ctx.settings
    total, lock = RetryTally(), threading.Lock()
    _warm(ctx)

    def loop(sweeper: bool) -> None:
        _lower_priority(s.backorder_nice)
        tally = _loop(ctx, stop, poll_seconds, sweeper)
        with lock:
            total.add(tally, ids=False)

    n = max(1, s.backorder_threads if threads is None else threads)
    helpers = [threading.Thread(target=loop, args=(False,), name=f"backorders-{i + 1}", daemon=True)
               for i in range(1, n)]
    for t in helpers:
        t.start()
    loop(True)
    for t in helpers:
        t.join()
    return total


def _lower_priority(nice: int) -> None:
    """Make the calling thread ``nice`` steps nicer (Linux, where a thread's id is a schedulable task of its
    own; elsewhere nothing). Retries are background work: a backlog of thousands of orders keeps a thread
    busy for a minute, and on a host it shares with the API (``make run``, a small VM) the receipts that
    fill it must not queue behind it for the CPU. Only these threads: the notification sender keeps its
    priority. Lowering needs no privilege; raising it back would, so this is done once per thread."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError:  # a sandbox refusing it: run at the process's priority
        log.warning("backorders: could not lower the retry thread's CPU priority", exc_info=True)


def _warm(ctx) -> None:
    """Load the network (nodes, lanes, carriers) once at start, so the first stock to arrive after a
    restart is not the one that waits for it."""
    try:
        with ctx.uow(readonly=True) as uow:
            network(uow)
    except Exception:  # noqa: BLE001 - the database may be away at start: the passes retry on their own
        log.warning("backorders: could not preload the network; the first pass will", exc_info=True)


def _loop(ctx, stop, poll_seconds: float | None, sweeper: bool) -> RetryTally:
    """One retry thread. A failing pass (the database away) is logged and retried after the poll interval:
    the rows it claimed are claimed again once their lease runs out."""
    s = ctx.settings
    poll = s.backorder_poll_ms / 1000 if poll_seconds is None else poll_seconds
    worker = new_worker_id()
    total = RetryTally()
    pacer = Pacer(ctx)
    next_sweep = time.monotonic() + s.backorder_sweep_seconds
    while not stop.is_set():
        tally = RetryTally()
        try:
            if sweeper and time.monotonic() >= next_sweep:
                sweep(ctx)
                next_sweep = time.monotonic() + s.backorder_sweep_seconds
            tally = run_once(ctx, worker, pacer=pacer)
            total.add(tally, ids=False)
        except Exception:  # noqa: BLE001 - keep the worker alive; the claim's lease makes the work come back
            log.exception("backorder retry pass failed; trying again in %.1f s", poll)
        if not tally.jobs:
            stop.wait(poll)
    return total

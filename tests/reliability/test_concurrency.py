"""No oversell under real concurrency: 8 OS processes, each with its own connections, fight over scarce stock.

Three SKUs are held by only three nodes, a few units each. Every process
captures and allocates orders for them, rejects shipments (hopping), cancels,
advances shipments to shipped, and adjusts stock, all at once. Afterwards the
invariant checker must find nothing, and the units promised (held by open
shipments) plus the units shipped never exceed what each (node, SKU) had:
the starting stock plus every adjustment in the audit trail.

What this proves per backend: on PostgreSQL the processes really overlap, and the conditional UPDATE
(re-checked under the row lock) is what refuses the losers. On SQLite, BEGIN IMMEDIATE serialises the
writers, so this test would pass even without the UPDATE's ATP condition; the condition itself is
proved there by tests/integration/store/test_reservation_rule.py (reservations on stale ATP readings).
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa

import reliability_workers as rw
from omnialloc.services.invariants import GONE, HOLDING, check
from omnialloc.store.tables.events import events
from omnialloc.store.tables.inventory import inventory
from omnialloc.store.tables.orders import orders
from omnialloc.store.tables.shipments import shipment_lines, shipments

PROCESSES = 8
OPS_PER_PROCESS = 14


def run_processes(url: str, seed: int, *, processes: int = PROCESSES, ops: int = OPS_PER_PROCESS, **kwargs):
    ctx = mp.get_context("spawn")
    start_at = time.time() + 4.0  # interpreter start + imports in every child before the gun
    with ctx.Pool(processes) as pool:
        jobs = [pool.apply_async(rw.run_worker, (url, w, seed, ops, start_at), kwargs) for w in range(processes)]
        return [job.get(timeout=120) for job in jobs]


def units_out(engine) -> tuple[dict, dict, dict, dict]:
    """Per (node, sku): units held by open shipments, units shipped, net adjustments, current on_hand."""
    held, shipped, adjusted = defaultdict(int), defaultdict(int), defaultdict(int)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(shipments.c.node, shipments.c.status, shipment_lines.c.sku, shipment_lines.c.qty)
                            .join(shipment_lines, shipment_lines.c.shipment_id == shipments.c.id)).all()
        for r in rows:
            if r.status in HOLDING:
                held[(r.node, r.sku)] += r.qty
            elif r.status in GONE:
                shipped[(r.node, r.sku)] += r.qty
        for r in conn.execute(sa.select(events.c.entity_id, events.c.payload)
                              .where(events.c.entity == "inventory", events.c.type == "adjusted")):
            node, sku = r.entity_id.split(":", 1)
            adjusted[(node, sku)] += int(r.payload["delta"])
        on_hand = {(r.node, r.sku): r.on_hand for r in conn.execute(sa.select(inventory))}
    return held, shipped, adjusted, on_hand


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_eight_processes_never_oversell_scarce_stock(clean_engine, clean_db_url, seed):
    start = rw.setup_scarce_stock(clean_engine, on_hand=4)
    results = run_processes(clean_db_url, seed)

    errors = [e for r in results for e in r["errors"]]
    assert not errors, "unexpected failures in workers:\n" + "\n".join(errors[:5])
    counts = Counter()
    for r in results:
        counts.update(r["counts"])
    # The workload really was contended: orders allocated, others backordered, hops and shipments happened.
    assert counts["order_ALLOCATED"] > 0 and counts["order_BACKORDERED"] > 0, counts

    print(f"seed {seed}: {dict(counts)}")
    report = check(clean_engine)
    assert report.ok, report.summary()

    held, shipped, adjusted, on_hand = units_out(clean_engine)
    for key, initial in start.items():
        available = initial + adjusted[key]
        assert held[key] + shipped[key] <= available, (
            f"oversold {key}: {held[key]} held + {shipped[key]} shipped > {available} available")
        assert on_hand[key] == available - shipped[key], f"stock of {key} does not add up"
    with clean_engine.connect() as conn:
        statuses = Counter(conn.execute(sa.select(orders.c.status)).scalars())
    assert sum(statuses.values()) >= PROCESSES, statuses

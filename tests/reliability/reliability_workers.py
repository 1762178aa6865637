"""Worker side of the multi-process concurrency tests (imported by spawned processes, so no pytest here).

Each worker is its own OS process with its own engine and connections, driving
the service layer the way many API workers would: capture + allocate orders for
a few scarce SKUs, reject shipments (hopping), cancel orders, accept/pack/ship,
and adjust stock. Expected refusals (conflicts, illegal moves, not enough stock)
are counted; anything else is reported back as an error.
"""

from __future__ import annotations

import random
import time
import traceback
from collections import Counter

#: The scarce SKUs and the only nodes that hold them (set up by the test).
SCARCE_SKUS = ("SKU-0001", "SKU-0002", "SKU-0003")
SCARCE_NODES = ("CHN-FC1", "MUM-FC1", "DEL-FC1")
PINS = ("600002", "400001", "110001", "560001", "700001", "500001")


def setup_scarce_stock(engine, on_hand: int = 4) -> dict[tuple[str, str], int]:
    """Only SCARCE_NODES hold SCARCE_SKUS, ``on_hand`` units each, no safety stock. Returns the starting levels."""
    import sqlalchemy as sa

    from omnialloc.store.repositories._base import utcnow
    from omnialloc.store.tables.inventory import inventory as inv

    start = {}
    with engine.begin() as conn:
        conn.execute(inv.delete().where(inv.c.sku.in_(SCARCE_SKUS)))
        for node in SCARCE_NODES:
            for sku in SCARCE_SKUS:
                conn.execute(inv.insert().values(node=node, sku=sku, on_hand=on_hand, reserved=0, safety_stock=0,
                                                 updated_at=utcnow()))
                start[(node, sku)] = on_hand
        assert conn.execute(sa.select(sa.func.count()).select_from(inv).where(inv.c.sku.in_(SCARCE_SKUS))).scalar() == 9
    return start


def _order_body(rng: random.Random, worker: int, n: int) -> dict:
    skus = rng.sample(SCARCE_SKUS, rng.choice((1, 1, 2)))
    return {
        "channel": "web", "external_id": f"w{worker}-{n}", "payment_mode": "PREPAID",
        "ship_to": {"name": "Load Test", "line1": "1 Main Road", "city": "X", "pin": rng.choice(PINS)},
        "lines": [{"sku": s, "qty": rng.choice((1, 1, 2))} for s in skus],
    }


def run_worker(url: str, worker: int, seed: int, ops: int, start_at: float) -> dict:
    """One process's share of the mixed workload. Returns counts, applied stock deltas and unexpected errors."""
    try:
        return _run(url, worker, seed, ops, start_at)
    except BaseException:  # report, never hang the parent
        return {"worker": worker, "errors": [traceback.format_exc()], "counts": {}, "deltas": {}}


def _run(url, worker, seed, ops, start_at):
    from sqlalchemy.exc import OperationalError

    from omnialloc.config import Settings
    from omnialloc.domain.errors import DomainError
    from omnialloc.services.fulfilment import shipments as fulfilment
    from omnialloc.services.inventory import positions
    from omnialloc.services.orders import lifecycle
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.context import Context
    from omnialloc.store.engine import create_engine

    engine = create_engine(url)
    ctx = Context(engine, Settings(database_url=url, solver_time_limit_ms=200))
    rng = random.Random(seed * 1000 + worker)
    counts: Counter[str] = Counter()
    deltas: Counter[str] = Counter()
    errors: list[str] = []
    mine: list[str] = []
    while time.time() < start_at:  # line everyone up so the first captures collide
        time.sleep(0.005)
    for n in range(ops):
        action = rng.choices(("capture", "reject", "cancel", "adjust", "advance"), weights=(5, 2, 1, 1, 2))[0]
        try:
            if action == "capture" or not mine:
                view, _ = lifecycle.capture(ctx, SYSTEM, _order_body(rng, worker, n))
                mine.append(view["id"])
                counts[f"order_{view['status']}"] += 1
            elif action == "reject":
                shipment = _live_shipment(ctx, rng.choice(mine), ("ALLOCATED", "ACCEPTED"))
                if shipment:
                    fulfilment.reject(ctx, SYSTEM, shipment.id, "stock count mismatch")
                    counts["rejected"] += 1
            elif action == "cancel":
                lifecycle.cancel(ctx, SYSTEM, rng.choice(mine), "customer changed their mind")
                counts["cancelled"] += 1
            elif action == "adjust":
                node, sku = rng.choice(SCARCE_NODES), rng.choice(SCARCE_SKUS)
                delta = rng.choice((-1, 1, 2))
                positions.adjust(ctx, SYSTEM, [{"node": node, "sku": sku, "delta": delta, "reason": "cycle_count"}])
                deltas[f"{node}|{sku}"] += delta
                counts["adjusted"] += 1
            else:
                shipment = _live_shipment(ctx, rng.choice(mine), ("ALLOCATED", "ACCEPTED", "PACKED"))
                if shipment:
                    _advance(ctx, fulfilment, SYSTEM, shipment)
                    counts["advanced"] += 1
        except DomainError as exc:  # refused cleanly: conflict, illegal move, not enough stock
            counts[f"refused_{type(exc).__name__}"] += 1
        except OperationalError as exc:  # e.g. a deadlock victim on PostgreSQL: the transaction rolled back
            counts["operational_error"] += 1
            if "deadlock" not in str(exc).lower() and "could not serialize" not in str(exc).lower():
                errors.append(f"{action}: {exc!r}")
        except Exception:
            errors.append(f"{action}: {traceback.format_exc()}")
    engine.dispose()
    return {"worker": worker, "counts": dict(counts), "deltas": dict(deltas), "errors": errors}


def _live_shipment(ctx, order_id, statuses):
    with ctx.uow(readonly=True) as uow:
        for s in uow.shipments.for_order(order_id):
            if str(s.status) in statuses:
                return s
    return None


def _advance(ctx, fulfilment, principal, shipment) -> None:
    status = str(shipment.status)
    if status == "ALLOCATED":
        fulfilment.accept(ctx, principal, shipment.id)
    elif status == "ACCEPTED":
        fulfilment.pack(ctx, principal, shipment.id, {"weight_g": 500, "length_mm": 200, "width_mm": 150,
                                                      "height_mm": 100})
    else:
        fulfilment.ship(ctx, principal, shipment.id, None)


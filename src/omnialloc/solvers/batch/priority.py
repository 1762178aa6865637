"""Order priority in the batch: a lower-priority order never gets stock a higher-priority one needs.

The batch is solved tier by tier, highest priority first. Each tier sees the
stock and shipment capacity the tiers above left, minus what the orders of
lower tiers that must stay filled hold now (their incumbent shipments: keeping
an order that was already confirmed is not giving it anything). Orders of
one tier compete with each other on cost alone, as in a one-tier batch.

So an order of a lower tier can only use stock that no order of a higher
tier took when it had the first pick, and the plan of a higher tier never
depends on the orders below it. With `allow_unallocate` nothing is held for
lower tiers: an order already allocated may lose its stock to a
higher-priority one, never to a lower one.

A node's fixed cost is paid once: a tier does not pay it again for a node
a tier above already opened.

The reported bound of a tiered plan is the bound of the whole batch solved
without tiers (a valid bound for every plan, the tiered one included).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

import numpy as np

from .problem import BatchData, IntArray


class Shipment(Protocol):
    """What `usage` reads of a shipment (a `solve.Move`)."""

    @property
    def order_id(self) -> str: ...
    @property
    def node(self) -> str: ...
    @property
    def line_ids(self) -> Sequence[str]: ...


class Plan(Protocol):
    """What `solve_tiers` reads of a tier's plan (a `solve.BatchPlan`)."""

    @property
    def shipments(self) -> Sequence[Shipment]: ...


P = TypeVar("P", bound=Plan)


def tiers(d: BatchData) -> list[IntArray]:
    """Order indices per priority, highest first."""
    return [np.flatnonzero(d.order_prio == p) for p in sorted(set(d.order_prio.tolist()), reverse=True)]


def usage(d: BatchData, shipments: Iterable[Shipment]) -> tuple[IntArray, IntArray]:
    """Stock (N, S) and shipments per node that `shipments` (objects with order_id, node, line_ids) use."""
    opos = {o: i for i, o in enumerate(d.order_ids)}
    npos = {n: i for i, n in enumerate(d.node_codes)}
    start = d.order_line_start()
    stock = np.zeros_like(d.stock)
    ships = np.zeros(d.n_nodes, dtype=np.int64)
    for mv in shipments:
        o, n = opos[mv.order_id], npos[mv.node]
        ids = d.line_ids[start[o]:start[o + 1]]
        for lid in mv.line_ids:
            i = int(start[o]) + ids.index(lid)
            stock[n, d.line_sku[i]] += d.line_qty[i]
        ships[n] += 1
    return stock, ships


def incumbent_usage(d: BatchData, orders: Iterable[int]) -> tuple[IntArray, IntArray]:
    """Stock and shipments held by the incumbent shipments of `orders`."""
    start = d.order_line_start()
    stock = np.zeros_like(d.stock)
    ships = np.zeros(d.n_nodes, dtype=np.int64)
    for o in orders:
        for n, m in d.incumbent[o] or ():
            for i in range(int(start[o + 1] - start[o])):
                if m >> i & 1:
                    stock[n, d.line_sku[start[o] + i]] += d.line_qty[start[o] + i]
            ships[n] += 1
    return stock, ships


def solve_tiers(d: BatchData, solve: Callable[[BatchData], P], *,
                allow_unallocate: bool = False) -> list[tuple[IntArray, P]]:
    """`solve(sub)` -> a plan (with .shipments) for each tier's sub-batch, in tier order (highest first).
    Returns [(order indices of the tier, plan)]."""
    stock, cap = d.stock.copy(), d.cap.copy()
    held_stock, held_ships = np.zeros_like(stock), np.zeros(d.n_nodes, dtype=np.int64)
    if not allow_unallocate:
        held_stock, held_ships = incumbent_usage(d, np.flatnonzero(d.order_keep).tolist())
    opened = np.zeros(d.n_nodes, dtype=bool)
    out: list[tuple[IntArray, P]] = []
    for orders in tiers(d):
        if not allow_unallocate:
            s, c = incumbent_usage(d, [o for o in orders.tolist() if d.order_keep[o]])
            held_stock -= s
            held_ships -= c
        avail = np.maximum(stock - held_stock, 0)
        avail_cap = np.where(cap >= 0, np.maximum(cap - held_ships, 0), cap)
        base = dataclasses.replace(d, fixed=np.where(opened, 0, d.fixed))
        sub = base.subset(orders, stock=avail, cap=avail_cap)
        plan = solve(sub)
        used, ships = usage(d, plan.shipments)
        stock -= used
        cap = np.where(cap >= 0, cap - ships, cap)
        opened |= ships > 0
        out.append((orders, plan))
    return out

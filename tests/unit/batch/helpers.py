"""Tiny random batches and a brute force that enumerates every plan."""

from __future__ import annotations

import itertools
import random

from omnialloc.solvers import costs
from omnialloc.solvers.batch.problem import BatchProblem


def random_batch(seed: int, n_orders=3, n_nodes=3, n_skus=3, max_lines=2, cap=True, fixed=False,
                 matrix=False) -> BatchProblem:
    rnd = random.Random(seed)
    bp = BatchProblem()
    skus = [f"S{i}" for i in range(n_skus)]
    for n in range(n_nodes):
        bp.add_node(f"N{n}", {s: rnd.randint(0, 3) for s in skus},
                    capacity_shipments=rnd.randint(1, 3) if cap else None,
                    fixed_cost_paise=rnd.choice([0, 3000, 8000]) if fixed else 0,
                    handling_cost_paise=rnd.randint(0, 500))
    for o in range(n_orders):
        k = rnd.randint(1, max_lines)
        lines = [(f"L{i}", sku, rnd.randint(1, 2), rnd.randint(100, 900), rnd.randint(500, 5000))
                 for i, sku in enumerate(rnd.sample(skus, k))]
        bp.add_order(f"O{o}", lines, payment_mode=rnd.choice(["PREPAID", "COD"]),
                     unfilled_penalty_paise_per_unit=rnd.choice([5000, 20000]))
        for n in range(n_nodes):
            if rnd.random() < 0.85:
                if matrix:
                    bp.set_cost(f"O{o}", f"N{n}", rnd.randint(2000, 9000))
                else:
                    bp.add_lane(f"O{o}", f"N{n}", "C1", rnd.randint(3000, 8000), rnd.randint(1000, 4000),
                                cod_fixed_paise=3000, cod_percent_bp=150)
                    if rnd.random() < 0.5:
                        bp.add_lane(f"O{o}", f"N{n}", "C2", rnd.randint(3000, 8000), rnd.randint(1000, 4000),
                                    cod_fixed_paise=2000, cod_percent_bp=250)
    return bp


def shipment_cost(d, o: int, n: int, lines: list[int]) -> int | None:
    """Cost of one shipment of `lines` of order o from node n (None: no lane)."""
    rows = [r for r in range(len(d.cand_order)) if d.cand_order[r] == o and d.cand_node[r] == n]
    if not rows:
        return None
    if d.matrix_mode:
        return int(d.cand_cost[rows[0]])
    W = sum(int(d.line_qty[i] * d.line_w[i]) for i in lines)
    V = sum(int(d.line_qty[i] * d.line_vol[i]) for i in lines)
    val = sum(int(d.line_qty[i] * d.line_v[i]) for i in lines)
    best = None
    for r in rows:
        billed = int(costs.billed_grams(W, V, int(d.lane_div[r])))
        c = int(costs.carrier_charge(costs.slab_count(billed, int(d.lane_slab[r])), int(d.lane_first[r]),
                                     int(d.lane_add[r])))
        if d.order_cod[o]:
            c += int(costs.cod_fee(val, int(d.lane_cod_fixed[r]), int(d.lane_cod_bp[r])))
        best = c if best is None else min(best, c)
    return best + int(d.handling[n])


def plan_cost(d, assign: dict[int, int], orders=None, stock=None, cap=None, fixed_open=None):
    """Cost of assigning line -> node (-1 unfilled) for `orders`; None if infeasible.
    Returns (cost, stock used, shipments per node, nodes used)."""
    orders = range(d.n_orders) if orders is None else orders
    stock = d.stock.copy() if stock is None else stock.copy()
    ships = [0] * d.n_nodes
    total = 0
    used = set(fixed_open or ())
    for o in orders:
        lines = [i for i in range(len(d.line_order)) if d.line_order[i] == o]
        groups: dict[int, list[int]] = {}
        for i in lines:
            n = assign[i]
            if n < 0:
                total += int(d.order_pen[o] * d.line_qty[i])
            else:
                groups.setdefault(n, []).append(i)
        for n, g in groups.items():
            c = shipment_cost(d, o, n, g)
            if c is None:
                return None
            total += c
            ships[n] += 1
            if n not in used:
                used.add(n)
                total += int(d.fixed[n])
            for i in g:
                stock[n, d.line_sku[i]] -= d.line_qty[i]
    if (stock < 0).any():
        return None
    for n in range(d.n_nodes):
        if d.cap[n] >= 0 and ships[n] > d.cap[n]:
            return None
    return total, stock, ships, used


def brute_force(d) -> int:
    nL = len(d.line_order)
    best = None
    for combo in itertools.product(range(-1, d.n_nodes), repeat=nL):
        r = plan_cost(d, dict(enumerate(combo)))
        if r is not None and (best is None or r[0] < best):
            best = r[0]
    return best


def sequential_brute_force(d) -> int:
    """Orders in turn, each at its own optimum on the stock left (no fixed costs)."""
    stock = d.stock.copy()
    cap = d.cap.copy()
    total = 0
    for o in range(d.n_orders):
        lines = [i for i in range(len(d.line_order)) if d.line_order[i] == o]
        best = None
        for combo in itertools.product(range(-1, d.n_nodes), repeat=len(lines)):
            assign = {i: 0 for i in range(len(d.line_order))}
            assign.update(dict(zip(lines, combo)))
            r = plan_cost(d, assign, orders=[o], stock=stock)
            if r is None:
                continue
            _, st, ships, _ = r
            if any(cap[n] >= 0 and ships[n] > cap[n] for n in range(d.n_nodes)):
                continue
            if best is None or r[0] < best[0]:
                best = (r[0], st, ships)
        total += best[0]
        stock = best[1]
        cap = [c - s if c >= 0 else c for c, s in zip(cap, best[2])]
    return total

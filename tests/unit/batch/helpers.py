"""Tiny random batches and a brute force that enumerates every plan.

The brute force prices shipments with its own arithmetic, written here from the documented cost model
(`solvers.batch.problem`): billed weight = max(actual, volume / divisor rounded up); slabs = billed /
slab rounded up, at least one; charge = first slab + (slabs - 1) x additional slab; a COD order adds
max(COD fixed fee, value x basis points / 10,000 rounded half up); plus the node's handling and the
order's preference cost for the node minus the lane's carrier bonus; the cheapest lane counts. It
shares no code with the solver's pricing (`solvers.costs`), so a mistake there cannot hide here.
"""

from __future__ import annotations

import itertools
import random

from omnialloc.solvers.batch.problem import BatchProblem


def lane_charge(weight_g: int, volume_mm3: int, value_paise: int, cod: bool, first: int, additional: int,
                slab_g: int, divisor: int, cod_fixed: int, cod_bp: int) -> int:
    """One shipment's carrier charge on one lane, by the documented rules (integer paise)."""
    volumetric = (volume_mm3 + divisor - 1) // divisor
    billed = max(weight_g, volumetric)
    slabs = max((billed + slab_g - 1) // slab_g, 1)
    charge = first + (slabs - 1) * additional
    if cod:
        charge += max(cod_fixed, (value_paise * cod_bp + 5000) // 10000)
    return charge


def random_policy(rnd: random.Random, lines: list[tuple], n_nodes: int) -> dict:
    """A random routing outcome for one order, as `add_order` keywords."""
    ids = [ln[0] for ln in lines]
    values = sorted(ln[2] * ln[4] for ln in lines)
    return dict(
        forbidden_nodes=[f"N{n}" for n in range(n_nodes) if rnd.random() < 0.2],
        node_cost_paise={f"N{n}": rnd.randint(-1500, 2500) for n in range(n_nodes) if rnd.random() < 0.5},
        split_penalty_paise=rnd.choice([0, 0, 1500, 6000]),
        max_shipments=rnd.choice([None, None, 1, 2]),
        keep_together=[set(rnd.sample(ids, 2))] if len(ids) >= 2 and rnd.random() < 0.4 else None,
        min_shipment_value_paise=rnd.choice([0, 0, values[0] + 1, values[-1]]),
    )


def random_batch(seed: int, n_orders=3, n_nodes=3, n_skus=3, max_lines=2, cap=True, fixed=False,
                 matrix=False, policy=False, **fixed_policy) -> BatchProblem:
    """`policy`: each order gets a random routing outcome (`random_policy`; `fixed_policy` keywords override
    it) and lanes random carrier bonuses."""
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
                     unfilled_penalty_paise_per_unit=rnd.choice([5000, 20000]),
                     **({**random_policy(rnd, lines, n_nodes), **fixed_policy} if policy else {}))
        for n in range(n_nodes):
            if rnd.random() < 0.85:
                if matrix:
                    bp.set_cost(f"O{o}", f"N{n}", rnd.randint(2000, 9000))
                else:
                    bonus = (lambda: rnd.choice([0, 0, 800])) if policy else (lambda: 0)
                    bp.add_lane(f"O{o}", f"N{n}", "C1", rnd.randint(3000, 8000), rnd.randint(1000, 4000),
                                cod_fixed_paise=3000, cod_percent_bp=150, bonus_paise=bonus())
                    if rnd.random() < 0.5:
                        bp.add_lane(f"O{o}", f"N{n}", "C2", rnd.randint(3000, 8000), rnd.randint(1000, 4000),
                                    cod_fixed_paise=2000, cod_percent_bp=250, bonus_paise=bonus())
    return bp


def shipment_cost(d, o: int, n: int, lines: list[int]) -> int | None:
    """Cost of one shipment of `lines` of order o from node n, with the order's preference cost for n and
    the lane's carrier bonus (None: no lane, or below the order's minimum shipment value)."""
    rows = [r for r in range(len(d.cand_order)) if d.cand_order[r] == o and d.cand_node[r] == n]
    if not rows:
        return None
    if sum(int(d.line_qty[i] * d.line_v[i]) for i in lines) < d.order_minval[o]:
        return None
    if d.matrix_mode:
        return int(d.cand_cost[rows[0]]) + int(d.cand_extra[rows[0]])
    W = sum(int(d.line_qty[i] * d.line_w[i]) for i in lines)
    V = sum(int(d.line_qty[i] * d.line_vol[i]) for i in lines)
    val = sum(int(d.line_qty[i] * d.line_v[i]) for i in lines)
    best = None
    for r in rows:
        c = lane_charge(W, V, val, bool(d.order_cod[o]), int(d.lane_first[r]), int(d.lane_add[r]),
                        int(d.lane_slab[r]), int(d.lane_div[r]), int(d.lane_cod_fixed[r]), int(d.lane_cod_bp[r]))
        c += int(d.cand_extra[r])
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
        for g in d.order_groups[o].tolist():  # keep-together: one shipment, or unfilled, for the whole group
            if len({assign[i] for k, i in enumerate(lines) if g >> k & 1}) > 1:
                return None
        groups: dict[int, list[int]] = {}
        for i in lines:
            n = assign[i]
            if n < 0:
                total += int(d.order_pen[o] * d.line_qty[i])
            else:
                groups.setdefault(n, []).append(i)
        if 0 <= d.order_kmax[o] < len(groups):
            return None
        total += int(d.order_split[o]) * max(0, len(groups) - 1)
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


def policy_violations(d, plan) -> list[str]:
    """What in `plan` (a BatchPlan) breaks an order's policy: a node without lanes (forbidden), more than
    K shipments, a keep-together group cut, a shipment below the minimum value."""
    opos = {o: i for i, o in enumerate(d.order_ids)}
    npos = {n: i for i, n in enumerate(d.node_codes)}
    start = d.order_line_start()
    per: dict[str, list] = {}
    for mv in plan.shipments:
        per.setdefault(mv.order_id, []).append(mv)
    errs = []
    for oid, moves in per.items():
        o = opos[oid]
        ids = list(d.line_ids[start[o]:start[o + 1]])
        if 0 <= d.order_kmax[o] < len(moves):
            errs.append(f"{oid}: {len(moves)} shipments, at most {d.order_kmax[o]}")
        for mv in moves:
            n = npos[mv.node]
            if not any(d.cand_order[r] == o and d.cand_node[r] == n for r in range(len(d.cand_order))):
                errs.append(f"{oid}: ships from {mv.node}, which it may not use")
            mask = sum(1 << ids.index(lid) for lid in mv.line_ids)
            for g in d.order_groups[o].tolist():
                if mask & g not in (0, g):
                    errs.append(f"{oid}: keep-together group cut at {mv.node}")
            val = sum(int(d.line_qty[start[o] + ids.index(lid)] * d.line_v[start[o] + ids.index(lid)])
                      for lid in mv.line_ids)
            if val < d.order_minval[o]:
                errs.append(f"{oid}: shipment of {val} below {d.order_minval[o]}")
    return errs

"""Exact dynamic programme over shipment contents, for larger orders.

A plan is a multiset partition of the order's unit vector q into blocks
(shipments and unfilled units). Dropping the "each node ships at most once"
and "at most K shipments" constraints, the cheapest plan is

    f(r) = min over blocks b <= r holding r's first unit of
           cost(b) + f(r - b),

where cost(b) is the cheapest way to ship b from any single node on any lane
(or leave it unfilled). Contents are vectors 0 <= b <= q, so lines may be
split across nodes: the DP value is a valid lower bound on *every* plan,
including ones that split a line. When the DP's own plan uses distinct nodes
and respects K, it is feasible and therefore optimal; otherwise the caller
hands it (repaired) to the MIP as an incumbent, with the DP value as a bound.

Sizes: prod(q_l + 1) contents and about two thirds of
prod((q_l + 1)(q_l + 2) / 2) (block, remainder) pairs (exact count in
`_sizes`). Lines are reordered by quantity so that orders with the same
multiset of quantities share one cached pair table; `applicable` caps the
size. Lanes that another lane (at any node) beats on every term, with at
least the same stock, are dropped before pricing: the relaxation only needs
the cheapest.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TypeAlias, cast

import numpy as np
import numpy.typing as npt

from . import costs
from .assemble import Sol, make_sol, sol_from_ships, violations
from .budget import Budget, OutOfBudget
from .costs import INF, IntArray
from .instance import Instance

MAX_CONTENTS = 40_000
MAX_PAIRS = 4_000_000  # canonical pairs (~0.25 s cold): beyond, colgen or the MIP
# The whole-line variant has 2^L contents and ~3^L / 2 pairs.
MAX_WHOLE_LINES = 12


def _sizes(q_sorted: tuple[int, ...]) -> tuple[int, int]:
    """(contents, canonical (state, block) pairs): for the state's first line
    with units f the block takes 1 <= y <= x units of it (q_f (q_f + 1) / 2
    choices), lines before f are empty and later lines any 0 <= y <= x."""
    contents = 1
    for x in q_sorted:
        contents *= x + 1
    pairs = 0
    tail = 1
    for x in reversed(q_sorted):
        pairs += x * (x + 1) // 2 * tail
        tail *= (x + 1) * (x + 2) // 2
    return contents, pairs


def applicable(inst: Instance) -> bool:
    qs = tuple(sorted((int(x) for x in inst.q), reverse=True))
    c, p = _sizes(qs)
    return c <= MAX_CONTENTS and p <= MAX_PAIRS


# Measured on the 2-core benchmark box under load (CPU time, canonical
# pairs): building a pair table ~0.02-0.035 us a pair, a DP pass over a
# cached one ~0.01 us a pair. Kept pessimistic: wall time on a shared box
# runs above CPU time.
_US_PER_PAIR_COLD = 0.012
_US_PER_PAIR_WARM = 0.006
#: work units (us) of one content priced on one lane; the enumeration and column generation charge it too
US_PER_PRICE = 0.005
#: work units of one content's stock test at one node for one SKU (`_block_costs`): measured
#: 7.7-8.9 ns of CPU on the loaded box (load 11-14, where the baselines ran ~2x slower than at
#: load 4) for 43-58k contents over 86-94 nodes and 8-10 SKUs, where the price terms alone were
#: charged a sixth of the time they took. 0.002 charges a 94-node, 10-SKU order's content ~3
#: units in all (~3.6 us measured, quiet-equivalent); 0.004 cost 4 of the 500 proofs of
#: solver_bench's large-sparse class, where colgen proves in 70-110 ms of CPU.
US_PER_STOCK_CHECK = 0.002


def pricing_units(inst: Instance, n_contents: int, lanes: IntArray) -> float:
    """What `_block_costs` charges to price `n_contents` contents over `lanes`."""
    nodes = len(np.unique(inst.lane_node[lanes]))
    n_skus: int = inst.stock.shape[1]
    return n_contents * (len(lanes) * US_PER_PRICE + nodes * n_skus * US_PER_STOCK_CHECK)


def estimated_ms(inst: Instance) -> float:
    """Rough CPU cost of `solve_dp` (ms on the reference machine), so the caller can decide
    whether the DP fits its share of the budget before starting it."""
    return estimated_units(inst) / 1000.0


def estimated_units(inst: Instance) -> float:
    """The work units `solve_dp` charges (deterministic: a function of the order's sizes only,
    so whether the DP is tried does not depend on the pair-table cache or the machine)."""
    qs = tuple(sorted((int(x) for x in inst.q), reverse=True))
    c, p = _sizes(qs)
    return 2000.0 + p * (_US_PER_PAIR_COLD + _US_PER_PAIR_WARM) + c * len(inst.lane_src) * US_PER_PRICE


Codes: TypeAlias = npt.NDArray[np.int32]
"""Content codes (mixed-radix row numbers of the contents table)."""
Layer: TypeAlias = tuple[Codes, Codes, Codes]
"""One layer of (state, block, remainder) codes, all states with the same total units."""
PairTables: TypeAlias = tuple[IntArray, list[Layer], IntArray]
"""(contents Q, layers by total units, units of each content) of one quantity shape."""

# Pair tables by quantity shape, least recently used evicted first, bounded
# by total pairs (int32 codes: 12 bytes a pair, so ~70 MB at the cap).
_CACHE: OrderedDict[tuple[int, ...], PairTables] = OrderedDict()
_CACHE_MAX_PAIRS = 6_000_000


def _tables(q_sorted: tuple[int, ...], deadline: Budget | float | None = None) -> PairTables:
    # Charged as if built, cached or not: the same order always costs the same work.
    check_deadline(deadline, _sizes(q_sorted)[1] * _US_PER_PAIR_COLD)
    hit = _CACHE.get(q_sorted)
    if hit is not None:
        _CACHE.move_to_end(q_sorted)
        return hit
    built = _build_tables(q_sorted, deadline)
    _CACHE[q_sorted] = built
    total = sum(sum(len(x[0]) for x in v[1]) for v in _CACHE.values())
    while total > _CACHE_MAX_PAIRS and len(_CACHE) > 1:
        _, old = _CACHE.popitem(last=False)
        total -= sum(len(x[0]) for x in old[1])
    return built


def _build_tables(q_sorted: tuple[int, ...], deadline: Budget | float | None = None) -> PairTables:
    """Contents Q (row = little-endian mixed-radix code) and, per layer of
    total units, the (state, block, remainder) pairs where the block holds
    the state's first unit (its lowest line with units), which makes each
    partition appear once.

    Built line by line as outer sums grouped by the state's units so far,
    so only canonical pairs are ever made and the layers come out grouped:
    no filtering, division or sorting of millions of codes (which cost ~8x
    more than this)."""
    L = len(q_sorted)
    qp1 = np.array(q_sorted, dtype=np.int64) + 1
    radix = np.ones(L, dtype=np.int64)
    for l in range(1, L):
        radix[l] = radix[l - 1] * qp1[l - 1]
    C = int(radix[-1] * qp1[-1])
    Q = (np.arange(C, dtype=np.int64)[:, None] // radix[None, :]) % qp1[None, :]
    # by_units[t]: (state codes, block codes) over the lines seen so far, for
    # states with t >= 1 units (their first line, hence the canonical
    # block's anchor, is already placed).
    by_units: dict[int, tuple[Codes, Codes]] = {}
    for l in range(L):
        check_deadline(deadline)  # the wall clock only: `_tables` charged the work
        R, ql = int(radix[l]), q_sorted[l]
        parts: dict[int, list[tuple[Codes, Codes]]] = {}
        for t, (r0, b0) in by_units.items():
            for x in range(ql + 1):
                ys = np.arange(x + 1, dtype=np.int32) * R
                r = np.repeat(r0 + x * R, x + 1)
                b = (b0[:, None] + ys[None, :]).ravel()
                parts.setdefault(t + x, []).append((r, b))
        for x in range(1, ql + 1):  # line l is the state's first line
            parts.setdefault(x, []).append((np.full(x, x * R, dtype=np.int32), np.arange(1, x + 1, dtype=np.int32) * R))
        by_units = {t: (np.concatenate([p[0] for p in v]), np.concatenate([p[1] for p in v])) for t, v in parts.items()}
    layers = [(r, b, r - b) for t, (r, b) in sorted(by_units.items())]
    units = Q.sum(axis=1)
    Q.setflags(write=False)
    return Q, layers, units


def relaxation_lanes(inst: Instance) -> IntArray:
    """Lanes not beaten by another lane anywhere (cost terms and stock);
    memoised per instance (the whole-line DP, the DP and colgen all ask)."""
    if "relaxation_lanes" not in inst.memo:
        inst.memo["relaxation_lanes"] = _undominated_lanes(inst)
    return cast(IntArray, inst.memo["relaxation_lanes"])


def _undominated_lanes(inst: Instance) -> IntArray:
    J = len(inst.lane_src)
    if J <= 1:
        return np.arange(J)
    n = inst.lane_node
    stock = np.minimum(inst.stock, (inst.q @ inst.sku_onehot)[None, :])[n]  # (J, S)
    fixed = inst.node_fixed[n] + inst.lane_fixed
    price = inst.price[n]
    cod_f = inst.cod_fixed if inst.is_cod else np.zeros(J, dtype=np.int64)
    cod_b = inst.cod_bp if inst.is_cod else np.zeros(J, dtype=np.int64)
    le = (
        (fixed[:, None] <= fixed[None, :])
        & (inst.first[:, None] <= inst.first[None, :])
        & (inst.add[:, None] <= inst.add[None, :])
        & (inst.slab[:, None] == inst.slab[None, :])
        & (inst.div[:, None] >= inst.div[None, :])
        & (inst.maxw[:, None] >= inst.maxw[None, :])
        & (cod_f[:, None] <= cod_f[None, :])
        & (cod_b[:, None] <= cod_b[None, :])
        & np.all(stock[:, None, :] >= stock[None, :, :], axis=2)
        & np.all(price[:, None, :] <= price[None, :, :], axis=2)
    )  # le[k, j]: lane k at least as good as lane j
    strictly = le & ~le.T
    earlier = le & le.T & (np.arange(J)[:, None] < np.arange(J)[None, :])
    dominated = np.any(strictly | earlier, axis=0)
    return np.flatnonzero(~dominated)


def _block_costs(inst: Instance, Q: IntArray, lanes: IntArray, deadline: Budget | float | None = None) -> tuple[IntArray, IntArray]:
    """Cheapest cost of shipping each content over `lanes`, and the lane.

    Same terms as `Instance.content_costs`, arranged for ~10^4 contents:
    slab counts are computed once per distinct (divisor, slab) pair, COD
    fees once per distinct (fixed, percent) pair and stock once per node,
    then gathered per lane; contents go in chunks so the deadline is
    checked while pricing (a 30k-content order takes tens of ms)."""
    nodes = inst.lane_node[lanes]
    unodes, node_col = np.unique(nodes, return_inverse=True)
    ws, w_col = np.unique(np.stack([inst.div[lanes], inst.slab[lanes]], axis=1), axis=0, return_inverse=True)
    first, add = inst.first[lanes][None, :], inst.add[lanes][None, :]
    fixed = (inst.node_fixed[nodes] + inst.lane_fixed[lanes])[None, :]
    if inst.is_cod:
        cs, c_col = np.unique(np.stack([inst.cod_fixed[lanes], inst.cod_bp[lanes]], axis=1), axis=0, return_inverse=True)
    price = inst.price[nodes].T if np.any(inst.price) else None
    stock = inst.stock[unodes]
    maxw = inst.maxw[lanes][None, :]
    best = np.empty(len(Q), dtype=np.int64)
    lane = np.empty(len(Q), dtype=np.int64)
    per_content = pricing_units(inst, 1, lanes)
    for lo in range(0, len(Q), _PRICE_CHUNK):
        q = Q[lo : lo + _PRICE_CHUNK]
        check_deadline(deadline, len(q) * per_content)
        W = q @ inst.w
        slabs = costs.slab_count(
            costs.billed_grams(W[:, None], (q @ inst.vol)[:, None], ws[:, 0][None, :]), ws[:, 1][None, :]
        )[:, w_col]
        total = costs.carrier_charge(slabs, first, add) + fixed
        if inst.is_cod:
            total = total + costs.cod_fee((q @ inst.v)[:, None], cs[:, 0][None, :], cs[:, 1][None, :])[:, c_col]
        if price is not None:
            total = total + q @ price
        need = q @ inst.sku_onehot
        node_ok = np.all(need[:, None, :] <= stock[None, :, :], axis=2)[:, node_col]
        ok = node_ok & (W[:, None] <= maxw)
        ok &= (inst.group_ok(q) & (q @ inst.v >= inst.minval) & (q.sum(axis=1) > 0))[:, None]
        total = np.where(ok, total, INF)
        k = np.argmin(total, axis=1)
        b = total[np.arange(len(q)), k]
        best[lo : lo + len(q)] = b
        lane[lo : lo + len(q)] = np.where(b < INF, lanes[k], -1)
    return best, lane


_PRICE_CHUNK = 4096


def block_values(inst: Instance, Q: IntArray, deadline: Budget | float | None = None) -> tuple[IntArray, IntArray, IntArray]:
    """Per content row: cheapest cost shipping it from any one node (INF if
    none can), that lane, and the cost of leaving it unfilled (INF unless
    partial fulfilment is allowed and it keeps the keep-together groups).
    The relaxation's block costs, shared with `colgen`."""
    ship, ship_lane = _block_costs(inst, Q, relaxation_lanes(inst), deadline)
    if inst.partial:
        unf = np.where(inst.group_ok(Q), inst.pen * Q.sum(axis=1), INF)
    else:
        unf = np.full(len(Q), INF, dtype=np.int64)
    return ship, ship_lane, unf


# The search modules stop with the budget's exception: one type for work, wall and step limits.
OutOfTime = OutOfBudget


def check_deadline(limit: Budget | float | None, units: float = 0.0) -> None:
    """Charge `units` of work to a `Budget` and stop when it is spent; a plain float is a
    `time.perf_counter()` deadline (no work count), None no limit."""
    if limit is None:
        return
    if isinstance(limit, Budget):
        limit.charge(units)
    elif time.perf_counter() > limit:
        raise OutOfTime("wall")


def _finite(a: IntArray) -> IntArray:
    """Anything at or above INF / 2 is INF again: a sum of INF and negative costs (bonuses)
    must not pass for a finite price."""
    return np.where(a >= INF // 2, INF, a)


def solve_dp(
    inst: Instance, whole_lines: bool = False, deadline: Budget | float | None = None
) -> tuple[float, Sol | None, bool, dict[str, int]]:
    """(lower bound, plan or None, plan proven optimal, stats).

    whole_lines=True runs the same DP with each line as one indivisible
    item (2^L contents): fast for any quantities, but then the value bounds
    only plans that never split a line, so it is used for an incumbent only
    and the returned bound is not valid for the full problem."""
    if whole_lines:
        Qs, layers, units = _tables(tuple([1] * inst.n_lines))
        Q = Qs * inst.q[None, :]
    else:
        perm = np.argsort(-inst.q, kind="stable")
        q_sorted = tuple(int(x) for x in inst.q[perm])
        Qs, layers, units = _tables(q_sorted, deadline)
        Q = np.empty_like(Qs)
        Q[:, perm] = Qs  # contents in the instance's own line order
    check_deadline(deadline)
    ship, ship_lane, unf = block_values(inst, Q, deadline)
    split = int(inst.split)
    C = len(Q)
    ship_s = np.where(ship < INF, ship + split, INF)
    # f1: >= 1 shipment in the remainder's plan; f0: all of it unfilled.
    f1 = np.full(C, INF, dtype=np.int64)
    f0 = unf.copy()
    f1[0] = INF
    f0[0] = 0
    if inst.partial:
        for rr, bb, rem in layers:
            check_deadline(deadline, len(rr) * _US_PER_PAIR_WARM)
            rest_any = np.minimum(f1[rem], f0[rem])
            cand = np.minimum(ship_s[bb] + rest_any, unf[bb] + f1[rem])
            np.minimum.at(f1, rr, _finite(cand))
    else:
        # Without partial fill f0 is INF except f0[0] = 0: one gather less.
        g = f1.copy()
        g[0] = 0
        for rr, bb, rem in layers:
            check_deadline(deadline, len(rr) * _US_PER_PAIR_WARM)
            np.minimum.at(g, rr, _finite(ship_s[bb] + g[rem]))
        f1 = g.copy()
        f1[0] = INF
    top = C - 1
    lb_ship = f1[top] - split if f1[top] < INF else INF
    lb = float(min(lb_ship, f0[top]))
    stats = {"contents": C, "pairs": int(sum(len(x[0]) for x in layers))}
    if lb >= INF:
        return float("inf"), None, True, stats
    if f0[top] <= lb_ship:
        sol: Sol | None = Sol((), tuple(int(x) for x in inst.q), int(f0[top]))
        return lb, sol, True, stats
    # Walk back the optimal decisions (a handful of steps).
    by_units = {int(units[lay[0][0]]): lay for lay in layers}
    blocks: list[tuple[int, bool]] = []  # (content code, shipped?)
    r = top
    while r != 0:
        rr, bb, rem = by_units[int(units[r])]
        seg = np.flatnonzero(rr == r)
        b_seg, rem_seg = bb[seg], rem[seg]
        opt_ship = ship_s[b_seg] + np.minimum(f1[rem_seg], f0[rem_seg])
        opt_unf = unf[b_seg] + f1[rem_seg]
        target = f1[r]
        hit = np.flatnonzero(opt_ship == target)
        if len(hit):
            i = hit[0]
            blocks.append((int(b_seg[i]), True))
            nxt = int(rem_seg[i])
            if f1[nxt] <= f0[nxt]:
                r = nxt
            else:
                for x in _unfilled_blocks(nxt):
                    blocks.append((x, False))
                r = 0
        else:
            i = np.flatnonzero(opt_unf == target)[0]
            blocks.append((int(b_seg[i]), False))
            r = int(rem_seg[i])
    ships = []
    unfilled = np.zeros(inst.n_lines, dtype=np.int64)
    for code, shipped in blocks:
        if shipped:
            j = int(ship_lane[code])
            ships.append((int(inst.lane_node[j]), j, Q[code]))
        else:
            unfilled += Q[code]
    nodes = [s[0] for s in ships]
    if len(set(nodes)) == len(nodes) and len(nodes) <= inst.kmax:
        sol = sol_from_ships(inst, ships, unfilled)
        assert sol.cost == int(lb), (sol.cost, lb)
        return lb, sol, True, stats
    # Rare: the relaxation ships twice from one node (e.g. a weight limit
    # makes two parcels cheaper) or exceeds K. Repair by merging per node;
    # the caller checks the repair against the policy and uses it only as
    # an incumbent.
    merged: dict[int, IntArray] = {}
    for c, _, qty in ships:
        merged[c] = merged.get(c, 0) + qty
    sol = make_sol(inst, merged, unfilled)
    if sol is not None and violations(inst, sol):
        sol = None
    return lb, sol, False, stats


def _unfilled_blocks(code: int) -> list[int]:
    return [code] if code else []

"""Exact enumeration for small orders: no MIP needed.

Every plan is a partition of the order's units into blocks (one per shipment,
plus at most one block of unfilled units), each shipment block at a distinct
node. We enumerate *contents*: every vector 0 <= c <= q of units per line
(so a line may be split across nodes: this is exact even when splitting a
line pays, e.g. when a carrier's max weight forces it), price every content at
every candidate node on its cheapest lane in one numpy pass, and enumerate
the multiset partitions of q.

For a partition P, relaxed(P) = sum over blocks of the block's cheapest
option (ship at its cheapest node, or leave unfilled) is a lower bound on
every plan with that partition: it only drops "distinct nodes" and "at most K
shipments". Partitions are visited in increasing relaxed order; each is
solved exactly (a tiny assignment of blocks to distinct nodes), and the
search stops once relaxed(P) >= the best plan found. So the result is a
proven optimum, not a heuristic.

Applies when the number of contents and of partitions is small (typical
orders: a few lines, small quantities); otherwise `mip.py` takes over.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from .assemble import Sol, sol_from_ships
from .budget import Budget
from .costs import INF, BoolArray, IntArray
from .dp import US_PER_PRICE, check_deadline
from .dp import OutOfTime as OutOfTimeBase
from .instance import Instance

MAX_CONTENTS = 256
MAX_PARTITIONS = 4000
# Work units (~us on the reference machine): one partition settled, one assignment search step.
_UNITS_PER_PARTITION = 3.0
_UNITS_PER_STEP = 1.5
_UNITS_PER_BLOCK = 25.0  # setting up one block's options in `_assign`
_UNITS_TO_PRICE = 150.0  # pricing every content at every node: numpy calls, whatever the size
# Partitions of DP_MIN_BLOCKS to DP_MAX_BLOCKS blocks are assigned by the subset DP (`_assign_dp`,
# 2^k subsets), charged per (node, block) step of 256 subsets; more blocks (colgen's) keep the
# branch and bound.
DP_MIN_BLOCKS, DP_MAX_BLOCKS = 5, 11
_UNITS_PER_DP_STEP = 3.0


@lru_cache(maxsize=4096)
def _contents(q: tuple[int, ...]) -> IntArray:
    """All vectors 0 <= c <= q, row index = mixed-radix code (row 0 = zero)."""
    grids = np.indices([x + 1 for x in q[::-1]]).reshape(len(q), -1)[::-1]
    Q = grids.T.astype(np.int64)
    Q.setflags(write=False)
    return Q


# Partial partitions the batched generation may hold at once before it leaves the order to the
# counting recursion below: orders of at most MAX_PARTITIONS partitions peak at under twice as
# many (measured: at most 1.94x, 5,692 for (2, 2, 2, 4)); past it the answer is usually None.
_MAX_PARTIAL = 2 * MAX_PARTITIONS
_BATCHED_CONTENTS = 64


@lru_cache(maxsize=4096)
def _partitions(q: tuple[int, ...]) -> IntArray | None:
    """Multiset partitions of q as rows of content codes (non-increasing,
    0-padded); None if there are more than MAX_PARTITIONS.

    Generated a part at a time for all partial partitions together (numpy), then put in the
    order of the depth-first recursion below (which lists them lexicographically: a partition
    is never a prefix of another, so its 0-padded rows sort the same way). The first order of
    each quantity vector in a process pays this (typical (3, 3, 3): 2.4 ms recursive)."""
    # Only small vectors (typical orders): past ~64 contents a vector often has too many
    # partitions, which the counting recursion tells sooner.
    batched = _partitions_batched(q) if int(np.prod(np.array(q) + 1)) <= _BATCHED_CONTENTS else None
    if batched is not None:
        return None if len(batched) > MAX_PARTITIONS else batched
    return _partitions_recursive(q)


def _partitions_batched(q: tuple[int, ...]) -> IntArray | None:
    """Every multiset partition of q (any number), or None past _MAX_PARTIAL partial ones."""
    Q = _contents(q)
    C = Q.shape[0]
    sub = np.all(Q[None, :, :] <= Q[:, None, :], axis=2)  # sub[r, p]: p <= r
    sub[:, 0] = False  # no empty part
    codes = np.arange(C)
    rem = np.array([C - 1], dtype=np.int64)
    top = rem.copy()
    acc = np.zeros((1, 0), dtype=np.int64)
    done: list[IntArray] = []
    n_done = 0
    while len(rem):
        si, p = np.nonzero(sub[rem] & (codes[None, :] <= top[:, None]))
        if len(si) > _MAX_PARTIAL:
            return None
        acc = np.concatenate([acc[si], p[:, None]], axis=1)
        rem, top = rem[si] - p, p
        fin = rem == 0
        if fin.any():
            done.append(acc[fin])
            n_done += int(fin.sum())
            if n_done > MAX_PARTITIONS:
                return np.zeros((n_done, 1), dtype=np.int64)  # too many: only the count is read
            rem, top, acc = rem[~fin], top[~fin], acc[~fin]
    k = max(d.shape[1] for d in done)
    arr = np.zeros((n_done, k), dtype=np.int64)
    row = 0
    for d in done:
        arr[row : row + len(d), : d.shape[1]] = d
        row += len(d)
    arr = arr[np.lexsort(arr.T[::-1])]
    arr.setflags(write=False)
    return arr


def _partitions_recursive(q: tuple[int, ...]) -> IntArray | None:
    Q = _contents(q)
    C = Q.shape[0]
    sub = np.all(Q[None, :, :] <= Q[:, None, :], axis=2)  # sub[r, p]: p <= r
    subs = [np.flatnonzero(sub[r])[1:] for r in range(C)]  # drop the zero content

    count_memo: dict[tuple[int, int], int] = {}

    def count(r: int, maxp: int) -> int:
        if r == 0:
            return 1
        key = (r, maxp)
        if key in count_memo:
            return count_memo[key]
        n = 0
        for p in subs[r]:
            if p > maxp:
                break
            n += count(r - p, p)
            if n > MAX_PARTITIONS:
                break
        count_memo[key] = n
        return n

    top = C - 1
    if count(top, top) > MAX_PARTITIONS:
        return None
    out: list[tuple[int, ...]] = []

    def gen(r: int, maxp: int, acc: tuple[int, ...]) -> None:
        if r == 0:
            out.append(acc)
            return
        for p in subs[r]:
            if p > maxp:
                break
            gen(r - p, p, acc + (int(p),))

    gen(top, top, ())
    k = max(len(x) for x in out)
    arr = np.zeros((len(out), k), dtype=np.int64)
    for i, parts in enumerate(out):
        arr[i, : len(parts)] = parts
    arr.setflags(write=False)
    return arr


def applicable(inst: Instance) -> bool:
    q = tuple(int(x) for x in inst.q)
    if int(np.prod(inst.q + 1)) > MAX_CONTENTS:
        return False
    return _partitions(q) is not None


class OutOfTime(OutOfTimeBase):
    """The budget ran out mid-search: `best` is the best plan found so far (or
    None) and `bound` a valid lower bound on every plan (the relaxed value of
    the first partition not yet settled; None if stopped before pricing)."""

    def __init__(self, best: Sol | None, bound: int | None) -> None:
        super().__init__()
        self.best, self.bound = best, bound


def solve_enumeration(
    inst: Instance, deadline: Budget | float | None = None
) -> tuple[Sol | None, dict[str, int | None]]:
    """Proven-optimal Sol (None if no plan exists) and stats. With a
    `deadline` (a `time.perf_counter()` instant) the search raises
    `OutOfTime` with its incumbent and bound when the clock runs out: a few
    orders (many units over many nodes with partial fill, e.g. under stock
    prices) have partitions of ten or more blocks whose assignment search
    alone can take seconds."""
    q = tuple(int(x) for x in inst.q)
    Q = _contents(q)
    parts = _partitions(q)
    assert parts is not None  # the caller checked `applicable`
    try:
        check_deadline(deadline, _UNITS_TO_PRICE + len(Q) * len(inst.lane_src) * US_PER_PRICE)
    except OutOfTimeBase:
        raise OutOfTime(None, None) from None
    cost_cn, lane_cn = inst.node_costs(Q)  # (C, Nc)
    inst.memo["contents"] = (Q, cost_cn, lane_cn)  # the explanation reuses it
    inst.memo["single"] = (cost_cn[-1], lane_cn[-1])
    C = Q.shape[0]
    units = Q.sum(axis=1)
    split = inst.split
    ranked = rank_nodes(cost_cn)
    ship_best = cost_cn.min(axis=1) if inst.n_cand else np.full(C, INF)
    if inst.partial:
        unf = np.where(inst.group_ok(Q), inst.pen * units, INF)
    else:
        unf = np.full(C, INF, dtype=np.int64)
    block = np.minimum(np.where(ship_best < INF, ship_best + split, INF), unf)
    block[0] = 0
    relaxed = block[parts].sum(axis=1) - split + np.maximum(
        _sharing_penalty(cost_cn, ranked, block, unf, split, parts),
        _shipment_cap_penalty(block, unf, parts, inst.kmax))
    if inst.partial:
        # A partition's plans ship at least one block: when every block is cheapest left
        # unfilled, one of them still ships, at least its step from unfilled to shipped.
        shipc = np.where(ship_best < INF, ship_best + split, INF)
        to_ship = np.where(shipc < INF, shipc - block, INF)
        to_ship[0] = INF
        none_ship = ~np.any((shipc <= unf)[parts] & (parts > 0), axis=1)
        relaxed = np.where(none_ship, np.minimum(relaxed + to_ship[parts].min(axis=1), INF), relaxed)
    if not inst.partial:
        # Every block ships: a partition into more blocks than shipments allowed has no plan.
        relaxed = np.where((parts > 0).sum(axis=1) > inst.kmax, INF, relaxed)
    order = np.argsort(relaxed, kind="stable")

    best: Sol | None = None
    ub = int(INF)
    if inst.partial:
        # The plan that ships nothing; kept only as a bound (solve() treats a
        # plan that ships nothing as the answer only if nothing can ship).
        ub = int(inst.pen * units[-1])
        best = Sol((), q, ub)
    kmax = inst.kmax
    visited = 0
    spent, node_units = 0.0, node_dp_units(inst, q)
    # The best assignment so far, made a plan (priced term by term) only once it is the answer:
    # a search often improves on its first assignments.
    found_at: tuple[list[int], list[int], int] | None = None

    def settled() -> Sol | None:
        if found_at is None:
            return best
        blocks, choice, cost = found_at
        return sol_from_choice(inst, Q[blocks], lane_cn[blocks], choice, cost)

    def shipping() -> Sol | None:
        sol = settled()
        return sol if sol is not None and sol.ships else None

    for pi in order:
        r = int(relaxed[pi])
        if r >= ub or r >= INF // 2:
            break
        if spent >= node_units:
            # The partitions assigned one by one have cost as much as the node DP, which
            # settles them all at once (at most twice the cheaper of the two, plus one).
            try:
                check_deadline(deadline, node_units)
            except OutOfTimeBase:
                raise OutOfTime(shipping(), min(r, ub)) from None
            sol = _node_dp(inst, Q, cost_cn, lane_cn, unf)
            if sol is not None and sol.cost < ub:
                ub, best, found_at = sol.cost, sol, None
            break
        visited += 1
        blocks = [int(b) for b in parts[pi] if b > 0]
        spent += _UNITS_PER_PARTITION + len(blocks) * _UNITS_PER_BLOCK
        try:
            check_deadline(deadline, _UNITS_PER_PARTITION)
            found = _assign(blocks, cost_cn, unf, split, kmax, ub, deadline, ranked=ranked)
        except OutOfTimeBase:
            # Every partition with a smaller relaxed value is settled, so r bounds every plan.
            raise OutOfTime(shipping(), min(r, ub)) from None
        if found is not None:
            ub, choice = found
            found_at = (blocks, choice, ub)
    best = settled()
    lower = ub if best is not None else None
    return best, {"partitions": int(parts.shape[0]), "visited": visited, "bound": lower}


# When the partitions assigned one by one have cost as much as `_node_dp` would (one pass over
# the nodes, exact for the whole order), the enumeration finishes with it: a few 3-line orders
# over 14-20 nodes have 40-140 partitions below their optimum, each a subset DP (measured:
# 10-20 ms of CPU; the node DP 0.2-0.4 ms).
_UNITS_PER_NODE_DP_PAIR = 0.012  # one (content, sub-content) pair at one node and count


@lru_cache(maxsize=4096)
def _pair_table(q: tuple[int, ...]) -> tuple[IntArray, IntArray, IntArray]:
    """Every (r, x) with 0 < x <= r componentwise, as content codes sorted by r (`_contents`'
    codes are mixed-radix, so r - x has code r - x), and where each r >= 1 starts."""
    Q = _contents(q)
    r, x = np.nonzero(np.all(Q[:, None, :] >= Q[None, :, :], axis=2))
    keep = x > 0
    r, x = r[keep], x[keep]
    starts = np.searchsorted(r, np.arange(1, len(Q)))
    for a in (r, x, starts):
        a.setflags(write=False)
    return r, x, starts


def node_dp_units(inst: Instance, q: tuple[int, ...]) -> float:
    """Work units of `_node_dp` on this order (deterministic)."""
    r, _, _ = _pair_table(q)
    return inst.n_cand * (20.0 + len(r) * _shipment_layers(inst, q) * _UNITS_PER_NODE_DP_PAIR)


def _shipment_layers(inst: Instance, q: tuple[int, ...]) -> int:
    """Shipment counts the DP must tell apart: 1 (all alike) unless the cap binds."""
    units = int(sum(q))
    return int(inst.kmax) + 1 if inst.kmax < min(inst.n_cand, units) else 1


def _node_dp_table(
    inst: Instance, cost_cn: IntArray, unf: IntArray, forced: int = -1
) -> tuple[IntArray, list[IntArray], int]:
    """(total, F per node, layers) of the node DP: F[j, r] = the least cost (each shipment +
    split) of shipping contents r in j shipments from distinct nodes among those seen so far;
    each node ships at most one content x <= r (cost_cn[x, node], every per-shipment rule
    already in it). total[j, r] adds leaving q - r unfilled (unf; without partial fill only
    r = q) and is INF where nothing ships. Shipment counts are layers only when the cap
    binds. With `forced` = a node, that node ships first (F starts at its contents) and the
    pass skips it: every plan in which it ships."""
    q = tuple(int(x) for x in inst.q)
    R, X, starts = _pair_table(q)
    C, n = cost_cn.shape
    L = _shipment_layers(inst, q)
    split = int(inst.split)
    F = np.full((L, C), INF, dtype=np.int64)
    if forced >= 0:
        F[1 if L > 1 else 0, 1:] = _impossible(cost_cn[1:, forced] + split)
    else:
        F[0, 0] = 0
    hist = [F]
    src, dst = (slice(0, L - 1), slice(1, L)) if L > 1 else (slice(0, 1), slice(0, 1))
    for c in range(n):
        col = cost_cn[X, c]
        if c == forced or col.min() >= INF:
            hist.append(F)
            continue
        val = _impossible(F[src][:, R - X] + (col + split))  # (layers, pairs)
        low = np.minimum.reduceat(val, starts, axis=1)  # (layers, C - 1): r = 1 .. C - 1
        F = F.copy()
        F[dst, 1:] = np.minimum(F[dst, 1:], low)
        hist.append(F)
    left = unf[::-1].copy()  # left[r] = unfilled cost of q - r (code C - 1 - r)
    left[-1] = 0  # r = q: nothing unfilled
    total = _impossible(F + left[None, :])
    total[:, 0] = INF  # at least one shipment
    if L > 1:
        total[0, :] = INF
    return total, hist, L


def has_plan(inst: Instance, deadline: Budget | float | None = None) -> bool:
    """Does the order (one the enumeration covers) have a valid plan? Exactly what
    `solve_enumeration` would answer (a plan or None), from one node DP pass instead of the
    partition search (the diagnosis of an infeasible order asks this of each relaxation and
    needs no plan): with partial fill, the plan that ships nothing always exists."""
    if inst.partial:
        return True
    q = tuple(int(x) for x in inst.q)
    Q = _contents(q)
    check_deadline(deadline, _UNITS_TO_PRICE + len(Q) * len(inst.lane_src) * US_PER_PRICE + node_dp_units(inst, q))
    cost_cn, _ = inst.node_costs(Q)
    total, _, _ = _node_dp_table(inst, cost_cn, np.full(len(Q), INF, dtype=np.int64))
    return bool(total.min() < INF)


def forced_node_dp(inst: Instance, cost_cn: IntArray, unf: IntArray, forced: int) -> int | None:
    """Cost of the cheapest plan in which node `forced` ships (None: no such plan), exactly."""
    total, _, _ = _node_dp_table(inst, cost_cn, unf, forced)
    low = int(total.min())
    return None if low >= INF else low - int(inst.split)


def _node_dp(inst: Instance, Q: IntArray, cost_cn: IntArray, lane_cn: IntArray,
             unf: IntArray) -> Sol | None:
    """The cheapest plan that ships at least one block, exactly (`_node_dp_table`): the same
    plans and prices as the partition search, so its optimum is the order's (with the plan
    that ships nothing, which the caller holds)."""
    total, hist, L = _node_dp_table(inst, cost_cn, unf)
    R, X, starts = _pair_table(tuple(int(x) for x in inst.q))
    C, n = cost_cn.shape
    split = int(inst.split)
    flat = int(np.argmin(total))
    if total.flat[flat] >= INF:
        return None
    j, r = divmod(flat, C)
    ships: list[tuple[int, int, IntArray]] = []
    for c in range(n - 1, -1, -1):
        if hist[c + 1][j, r] == hist[c][j, r]:
            continue
        want = int(hist[c + 1][j, r])
        pj = j - 1 if L > 1 else 0
        for t in range(int(starts[r - 1]), int(starts[r]) if r < C - 1 else len(R)):
            x = int(X[t])
            if cost_cn[x, c] < INF and int(hist[c][pj, r - x]) + int(cost_cn[x, c]) + split == want:
                ships.append((c, int(lane_cn[x, c]), Q[x]))
                j, r = pj, r - x
                break
        else:
            raise AssertionError("node DP: no step reaches its value")
    assert r == 0
    sol = sol_from_ships(inst, ships, Q[-1] - sum((s[2] for s in ships), np.zeros_like(Q[0])))
    assert sol.cost == int(total.flat[flat]) - split, (sol.cost, int(total.flat[flat]) - split)
    return sol


def _sharing_penalty(
    cost_cn: IntArray, ranked: IntArray, block: IntArray, unf: IntArray, split: int, parts: IntArray
) -> IntArray:
    """(P,) what each partition must pay above its blocks' cheapest options because blocks
    cannot share a node: of the blocks whose cheapest option is the same node, all but one
    ship elsewhere (or stay unfilled), each at least its next option. Summing, per node, every
    such block's step to its next option but the largest keeps a lower bound on the partition's
    every plan (the block that stays may be any; keeping the largest step is the least sum).
    Typical orders have one node cheapest for most contents, so this is most of the gap
    between a partition's relaxed value and its plans, and it spares most assignment searches."""
    C, n = cost_cn.shape
    if n == 0 or parts.shape[1] < 2:
        return np.zeros(parts.shape[0], dtype=np.int64)
    rows = np.arange(C)
    first = cost_cn[rows, ranked[:, 0]]
    second = cost_cn[rows, ranked[:, 1]] if n > 1 else np.full(C, INF)
    ships = (first < INF) & (first + split < unf)  # the cheapest option is a node
    nxt = np.minimum(np.where(second < INF, second + split, INF), unf)
    step = np.where(ships, np.minimum(nxt - block, INF), 0)
    node = np.where(ships, ranked[:, 0], -1)
    node[0] = -1
    nb, sb = node[parts], step[parts]  # (P, k)
    # Per node, its blocks' steps but the largest: one pass per node that is some content's
    # cheapest (a handful on typical orders). Steps are at most INF each, so the sums of a
    # partition's (at most a few dozen) blocks cannot overflow before the clamp.
    penalty = np.zeros(parts.shape[0], dtype=np.int64)
    for d in np.unique(node[node >= 0]):
        here = np.where(nb == d, sb, -1)
        top = here.max(axis=1)
        penalty += np.where(top >= 0, np.where(here >= 0, here, 0).sum(axis=1) - top, 0)
    out: IntArray = np.minimum(penalty, INF)
    return out


def _shipment_cap_penalty(block: IntArray, unf: IntArray, parts: IntArray, kmax: int) -> IntArray:
    """(P,) what each partition must pay above its blocks' cheapest options because at most
    `kmax` blocks ship: when more blocks than that are cheapest shipped, the excess stays
    unfilled (partial fill; without it such partitions have no plan), each at least its step
    from its cheapest option to leaving it unfilled; the smallest steps bound it from below.
    Either this or `_sharing_penalty` may be added to the relaxed value, not both (a block may
    take both steps at once)."""
    P, k = parts.shape
    if k <= kmax:
        return np.zeros(P, dtype=np.int64)
    ships = block < unf
    ships[0] = False
    step = np.where(ships, np.minimum(unf - block, INF), INF)[parts]  # (P, k)
    excess = ships[parts].sum(axis=1) - kmax
    ordered = np.sort(step, axis=1)
    csum = np.minimum(np.cumsum(np.minimum(ordered, INF), axis=1), INF)
    pick = csum[np.arange(P), np.clip(excess - 1, 0, k - 1)]
    return np.where(excess > 0, pick, 0)


@lru_cache(maxsize=32)
def _mask_tables(k: int) -> tuple[IntArray, BoolArray, IntArray]:
    """For the subsets S of k blocks (bit masks): S without block i, whether S holds block i
    (both (2^k, k)), and each subset's size."""
    masks = np.arange(1 << k, dtype=np.int64)[:, None]
    bits = np.int64(1) << np.arange(k, dtype=np.int64)[None, :]
    has = (masks & bits) != 0
    return masks & ~bits, has, has.sum(axis=1)


def _impossible(a: IntArray) -> IntArray:
    """INF again for anything at or above INF / 2: an impossible option plus negative costs
    (bonuses) must not pass for a possible one."""
    return np.where(a >= INF // 2, INF, a)


Options = list[list[tuple[int, int]]]
"""Per block of an assignment: its options (cost, node), node -1 for leaving it unfilled."""


def _assign_dp(
    options: Options, split: int, kmax: int, ub: int, deadline: Budget | float | None, forced_block: int
) -> tuple[int, list[int]] | None:
    """`_assign`'s search as a dynamic programme over the nodes: best[S] = the least cost of
    shipping exactly the blocks in S from distinct nodes among those seen so far; each node
    takes at most one block. The blocks not in S stay unfilled; |S| is the shipment count, so
    the limits (at least one shipment, at most kmax, the forced block shipped) are checked on
    S at the end. Exact over the same options as the branch and bound (a block's k cheapest
    nodes), in time 2^k x nodes instead of a search that conflicts on shared cheap nodes can
    blow up (measured: 187 ms for one 3-line order over 14 nodes, 139 partitions).

    A node updates only the subsets holding one of the blocks it is an option of (most nodes
    are an option of one or two blocks), and sums are clamped to INF once at the end: every
    option is above -INF / 2^6, so a sum holding an impossible term (INF) and at most k <= 11
    other terms stays at or above INF / 2 and is read as impossible (orders with a cost beyond
    that fall back to clamping at every node)."""
    k = len(options)
    without, has, size = _mask_tables(k)
    at: dict[int, list[tuple[int, int]]] = {}  # per node: (block, cost there), blocks in order
    lowest = 0
    for i, opts in enumerate(options):
        for c, n in opts:
            lowest = min(lowest, c)
            if n >= 0:
                at.setdefault(n, []).append((i, c))
    nodes = sorted(at)
    if deadline is not None:
        check_deadline(deadline, len(nodes) * k * _UNITS_PER_DP_STEP * (1 + (1 << k) / 256))
    clamp = lowest < -(INF >> 6)
    unf = np.zeros(1 << k, dtype=np.int64)  # cost of leaving the blocks outside S unfilled
    for i, opts in enumerate(options):
        left = [c for c, n in opts if n < 0]
        unf = unf + np.where(has[:, i], 0, left[0] if left else INF)
        if clamp:
            unf = _impossible(unf)
    full = (1 << k) - 1
    masks = np.arange(1 << k, dtype=np.int64)
    best = np.full(1 << k, INF, dtype=np.int64)
    best[0] = 0
    rows = np.arange(1 << k)
    took: list[IntArray] = []  # per node: the block it took to reach each subset (-1: none)
    for n in nodes:
        here = at[n]
        if len(here) == 1:
            i, c = here[0]
            cand = best[without[:, i]] + c
            if clamp:
                cand = _impossible(cand)
            better = has[:, i] & (cand < best)
            best = np.where(better, cand, best)
            took.append(np.where(better, i, -1))
            continue
        bl = np.array([i for i, _ in here], dtype=np.int64)
        cand = best[without[:, bl]] + np.array([c for _, c in here], dtype=np.int64)
        if clamp:
            cand = _impossible(cand)
        cand = np.where(has[:, bl], cand, INF << 2)  # above every sum: never taken
        j = cand.argmin(axis=1)  # ties: the first block
        low = cand[rows, j]
        better = low < best
        best = np.where(better, low, best)
        took.append(np.where(better, bl[j], -1))
    total = _impossible(best + unf)
    ok = (size >= 1) & (size <= kmax) & (total < INF)
    if forced_block >= 0:
        ok &= ((masks >> forced_block) & 1) == 1
    if not ok.any():
        return None
    s = int(np.flatnonzero(ok)[np.argmin(total[ok])])
    val = int(total[s])
    if val - split >= ub:
        return None
    choice = [-1] * k
    for n, pick in zip(reversed(nodes), reversed(took)):
        i = int(pick[s])
        if i >= 0:
            choice[i] = n
            s &= ~(1 << i) & full
    return val - split, choice


def rank_nodes(cost_cn: IntArray) -> IntArray:
    """Each content's candidate nodes by increasing cost (ties: candidate order)."""
    return np.argsort(cost_cn, axis=1, kind="stable")


def sol_from_choice(inst: Instance, contents: IntArray, lanes: IntArray, choice: list[int], cost: int) -> Sol:
    """The plan of an `_assign` result: block i (row `contents[i]`) ships
    from node choice[i] on lane lanes[i, node], or stays unfilled (-1)."""
    ships = []
    unfilled = np.zeros(inst.n_lines, dtype=np.int64)
    for i, n in enumerate(choice):
        if n < 0:
            unfilled += contents[i]
        else:
            ships.append((n, int(lanes[i, n]), contents[i]))
    sol = sol_from_ships(inst, ships, unfilled)
    assert sol.cost == cost, (sol.cost, cost)
    return sol


def _assign(
    blocks: list[int],
    cost_cn: IntArray,
    unf: IntArray,
    split: int,
    kmax: int,
    ub: int,
    deadline: Budget | float | None = None,
    forced: tuple[int, int] | None = None,
    ranked: IntArray | None = None,
) -> tuple[int, list[int]] | None:
    """Cheapest assignment of blocks to distinct nodes (or unfilled, node -1)
    with at least one and at most kmax shipments, if cheaper than ub.
    Returns (cost, nodes) or None. With a `deadline` (a `Budget`: colgen's
    many-block partitions, the explanation) the work is charged and the
    branch and bound stops when it is spent (`dp.OutOfTime`). `forced` =
    (i, c): block i must ship from node c (the explanation's "best plan
    using c"). `ranked` (optional): each content's nodes by increasing cost
    (`rank_nodes`), computed once by a caller that assigns many partitions."""
    k = len(blocks)
    if deadline is not None:
        check_deadline(deadline, k * _UNITS_PER_BLOCK)
    fi, fc = forced if forced is not None else (-1, -1)
    options: Options = []
    for i, b in enumerate(blocks):
        row = cost_cn[b]
        if i == fi:
            if row[fc] >= INF:
                return None
            options.append([(int(row[fc]) + split, int(fc))])
            continue
        # Only a block's k cheapest nodes can matter: the other k-1 blocks
        # occupy at most k-1 nodes, so one of them is always free.
        cand = ranked[b, : k + 1] if ranked is not None else np.argsort(row, kind="stable")[: k + 1]
        top = [int(n) for n in cand if n != fc and row[n] < INF][:k]
        opts = [(int(row[n]) + split, n) for n in top]
        if unf[b] < INF:
            opts.append((int(unf[b]), -1))
        opts.sort()
        if not opts:
            return None
        options.append(opts)
    # Fast path: the relaxation's own choice is already a valid assignment.
    first = [o[0] for o in options]
    nodes = [n for _, n in first if n >= 0]
    if nodes and len(set(nodes)) == len(nodes) and len(nodes) <= kmax:
        val = sum(c for c, _ in first) - split
        return (val, [n for _, n in first]) if val < ub else None
    if DP_MIN_BLOCKS <= k <= DP_MAX_BLOCKS:
        return _assign_dp(options, split, kmax, ub, deadline, fi)
    # Depth-first branch and bound over the (few) options.
    order = sorted(range(k), key=lambda i: -len(options[i]))
    rest_lb = [0] * (k + 1)
    for d in range(k - 1, -1, -1):
        rest_lb[d] = rest_lb[d + 1] + options[order[d]][0][0]
    best_val = ub + split  # compare before the "- split" of the first shipment
    best_choice: list[int] | None = None
    choice = [0] * k
    used: set[int] = set()

    steps = 0

    def dfs(d: int, acc: int, shipped: int) -> None:
        nonlocal best_val, best_choice, steps
        steps += 1
        if deadline is not None and steps % 256 == 0:
            check_deadline(deadline, 256 * _UNITS_PER_STEP)
        if acc + rest_lb[d] >= best_val:
            return
        if d == k:
            if shipped >= 1:
                best_val = acc
                best_choice = list(choice)
            return
        i = order[d]
        for c, n in options[i]:
            if n >= 0:
                if n in used or shipped >= kmax:
                    continue
                used.add(n)
                choice[i] = n
                dfs(d + 1, acc + c, shipped + 1)
                used.discard(n)
            else:
                choice[i] = -1
                dfs(d + 1, acc + c, shipped)

    dfs(0, 0, 0)
    if best_choice is None:
        return None
    return best_val - split, best_choice




# The explanation's "best plan in which node c ships", for every candidate at once (issue 21:
# pricing node by node - a partition search or a node DP per node - was the typical orders'
# slow tail). A plan is a min-plus product: each node contributes one content (zero: it does
# not ship), the unfilled units one more; the cheapest plan of the order is that product taken
# at q. "Every node but c" is the product of all the others, which a tree over the nodes gives
# for every c in 2 log2(n) batched steps (up: each subtree's product; down: each subtree's
# complement, the parent's complement times the sibling); c's forced value then pairs its own
# non-zero contents with its complement at q. Exact: the same plans and prices as the node DP.
#
# Few nodes can be in the rest of a forced plan: with c and at most m other shipments, each
# other shipment's content z can move to any of z's K = m + 1 cheapest nodes that is free (c
# and the m - 1 others block at most m of them) at no extra cost, so some cheapest forced plan
# ships its rest from S = the union of every content's K cheapest nodes. The tree runs over S;
# a node outside S pairs with the product of all of S, the same for all of them. A shipment
# cap that binds (m < the nodes and units there are) is met by its cases: m = 0 leaves the
# unfilled units as the rest, m = 1 one other node (each content's cheapest node but c: its
# cheapest or its second), m >= 2 the tree without the cap first (each value carrying its
# shipment count, fewest on ties: a node whose cheapest plan keeps to the cap is settled) and,
# for the nodes it does not settle, the tree again with the shipment count as a layer.
_UNITS_TREE_STEP = 15.0  # one batched product's numpy calls
_UNITS_TREE_PAIR = 0.004  # one (content, sub-content) pair of one product, per layer pair

# Shipment counts ride in the low bits of each value (cost * _COUNT + shipments), so one min
# picks the cheapest plan and, among equally cheap ones, the one with the fewest shipments.
_COUNT = 1 << 10
_INF_PACKED = INF * _COUNT


@lru_cache(maxsize=4096)
def _all_pairs(q: tuple[int, ...]) -> tuple[IntArray, IntArray, IntArray]:
    """Every (r, x) with 0 <= x <= r componentwise (x = 0 included), sorted by r, as (x, r - x)
    content codes, and where each r >= 0 starts."""
    Q = _contents(q)
    r, x = np.nonzero(np.all(Q[:, None, :] >= Q[None, :, :], axis=2))
    starts = np.searchsorted(r, np.arange(len(Q)))
    rx = r - x
    for a in (x, rx, starts):
        a.setflags(write=False)
    return x, rx, starts


class _Forced:
    """What `forced_all` works out about an order before pricing: the nodes that can ship,
    the rest's nodes S, at most how many other shipments a forced plan has (m) and whether
    the cap is what limits them."""

    def __init__(self, inst: Instance, cost_cn: IntArray) -> None:
        q = tuple(int(x) for x in inst.q)
        self.pairs = _all_pairs(q)
        finite = cost_cn[1:] < INF
        self.live = np.flatnonzero(finite.any(axis=0))
        units = int(sum(q))
        self.capped = int(inst.kmax) < min(len(self.live), units)
        self.m = min(int(inst.kmax), units, len(self.live)) - 1
        K = self.m + 1
        # Each content's nodes by increasing cost, as far as they are needed (S, the m = 1 case).
        self.ranked = np.argsort(cost_cn[1:], axis=1, kind="stable")[:, : max(K, 2)] if K < len(self.live) else None
        if self.ranked is None:
            self.rest = self.live
        else:
            top = self.ranked[:, :K]
            self.rest = np.unique(top[np.take_along_axis(finite, top, axis=1)])
        self.outside = self.live[~_member(self.live, self.rest, cost_cn.shape[1])]

    def tree_units(self, layers: int) -> float:
        levels = max(len(self.rest) - 1, 0).bit_length()
        products = 3 * len(self.rest) - 2  # up |S| - 1, down 2 (|S| - 1), all of S once
        n_pairs = len(self.pairs[0])
        return (_UNITS_TREE_STEP * (2 * levels + 3) * layers
                + (products * max(layers * (layers - 1) / 2, 1) + len(self.live) / 4) * n_pairs * _UNITS_TREE_PAIR)

    def units(self) -> float:
        """Work units of `forced_all` (deterministic), the layered pass for a cap aside."""
        if self.capped and self.m <= 1:
            return _UNITS_TREE_STEP * 4 + (len(self.live) + 2) * len(self.pairs[0]) * _UNITS_TREE_PAIR
        return self.tree_units(1)


def forced_all(inst: Instance, cost_cn: IntArray, unf: IntArray, budget: Budget) -> IntArray | None:
    """(Nc,) the cost of the cheapest valid plan in which each candidate ships (INF: no such
    plan), exactly: the same plans and prices as `forced_node_dp` node by node (`unf`: the
    cost of leaving each content unfilled, INF where it may not be). None, with nothing
    charged, when its work does not fit in what is left of `budget`.

    Tables are (contents, [layers,] nodes): the products gather whole rows of nodes."""
    C, n = cost_cn.shape
    if n >= _COUNT:
        return None  # more nodes than the packed shipment count can hold
    f = _Forced(inst, cost_cn)
    units = f.units()
    if units > budget.left:
        return None
    budget.charge(units)
    out = np.full(n, INF, dtype=np.int64)
    if len(f.live) == 0:
        return out
    x, rx, starts = f.pairs
    split = int(inst.split)
    own = np.where(cost_cn[1:] < INF, cost_cn[1:] + split, INF)  # (C - 1, Nc): y = 1 .. C - 1
    left_unf = np.where(unf < INF, unf, INF)
    left_unf[0] = 0
    if f.capped and f.m <= 1:
        # The rest is the unfilled units and, when m = 1, one other node's shipment: for each
        # content its cheapest node, or its second where the cheapest is c itself.
        nodes = f.live
        rest = np.repeat(left_unf[:, None], len(nodes), axis=1)
        if f.m == 1:
            assert f.ranked is not None  # capped: fewer than K = 2 live nodes is not capped
            rows = np.arange(C - 1)
            first, second = f.ranked[:, 0], f.ranked[:, 1]
            g1, g2 = own[rows, first], own[rows, second]
            # A node that is no content's cheapest pairs with the cheapest everywhere (column 0).
            tops = np.intersect1d(np.unique(first[g1 < INF]), nodes)
            G = np.full((C, len(tops) + 1), INF, dtype=np.int64)
            G[0, :] = 0
            G[1:, 0] = g1
            G[1:, 1:] = np.where(first[:, None] == tops[None, :], g2[:, None], g1[:, None])
            R = _product(G, np.repeat(left_unf[:, None], G.shape[1], axis=1), x, rx, starts)
            pick = np.zeros(n, dtype=np.int64)
            pick[tops] = np.arange(1, len(tops) + 1)
            rest = R[:, pick[nodes]]
        value = _impossible(own[:, nodes] + rest[C - 2 :: -1])  # y pairs with q - y (code C - 1 - y)
        best = value.min(axis=0)
        out[nodes] = np.where(best < INF, best - split, INF)
        return out
    # The tree without the cap, each value carrying its shipment count.
    packed = np.empty((C, n), dtype=np.int64)
    packed[0] = 0
    packed[1:] = np.where(own < INF, own * _COUNT + 1, _INF_PACKED)
    root = np.where(left_unf < INF, left_unf * _COUNT, _INF_PACKED)[:, None]
    nodes, tables = _tree(packed, root, f, lambda a, b: _product(a, b, x, rx, starts, int(_INF_PACKED)))
    best = (packed[1:, nodes] + tables[C - 2 :: -1]).min(axis=0)
    possible = best < _INF_PACKED // 2
    out[nodes] = np.where(possible, best // _COUNT - split, INF)
    over = possible & (best % _COUNT > inst.kmax)
    if not over.any():
        return out
    # Some nodes' cheapest plans all break the cap: the tree again, with the other shipments
    # counted in a layer (0 .. m), for them.
    L = f.m + 1
    units = f.tree_units(L)
    if units > budget.left:
        return None
    budget.charge(units)
    layered = np.full((C, L, n), INF, dtype=np.int64)
    layered[0, 0] = 0
    layered[1:, 1] = own
    root_l = np.full((C, L, 1), INF, dtype=np.int64)
    root_l[:, 0, 0] = left_unf
    nodes_l, tables_l = _tree(layered, root_l, f, lambda a, b: _product_layers(a, b, x, rx, starts))
    want = _member(nodes_l, nodes[over], n)
    rest = tables_l[:, :, want].min(axis=1)  # at most m other shipments, whichever count
    value = _impossible(own[:, nodes_l[want]] + rest[C - 2 :: -1])
    best_l = value.min(axis=0)
    out[nodes_l[want]] = np.where(best_l < INF, best_l - split, INF)
    return out


def _tree(
    own: IntArray, root: IntArray, f: _Forced, product: Callable[[IntArray, IntArray], IntArray]
) -> tuple[IntArray, IntArray]:
    """(nodes, tables): for each live node (S first), the product of every other node of S
    and of `root` (the unfilled units), in the last axis. `own` (C, ..., Nc) holds each node's
    table (the empty content free, as in the product's identity), `root` (C, ..., 1).
    `product`'s second table is always a subtree's (`_product_layers` relies on it)."""
    rest = f.rest
    ups = [own[..., rest]]
    while ups[-1].shape[-1] > 1:
        t = ups[-1]
        even = t.shape[-1] // 2 * 2
        ups.append(np.concatenate([product(t[..., 0:even:2], t[..., 1:even:2]), t[..., even:]], axis=-1))
    comp = root
    for t in reversed(ups[:-1]):
        even = t.shape[-1] // 2 * 2
        head = t.shape[:-1]
        sibling = t[..., :even].reshape(head + (-1, 2))[..., ::-1].reshape(head + (even,))
        paired = product(np.repeat(comp[..., : even // 2], 2, axis=-1), sibling)
        comp = np.concatenate([paired, comp[..., even // 2 :]], axis=-1)
    outside = f.outside
    if len(outside) == 0:
        return rest, comp
    every = product(root, ups[-1])
    return np.concatenate([rest, outside]), np.concatenate([comp, np.repeat(every, len(outside), axis=-1)], axis=-1)


def _member(a: IntArray, b: IntArray, n: int) -> BoolArray:
    """a's entries (node indices < n) that are in b."""
    mask = np.zeros(n, dtype=bool)
    mask[b] = True
    out: BoolArray = mask[a]
    return out


def _product(A: IntArray, B: IntArray, x: IntArray, rx: IntArray, starts: IntArray, inf: int = int(INF)) -> IntArray:
    """Batched min-plus product of (C, m) tables: out[r, .] = min over x <= r of A[x, .] +
    B[r - x, .]. Entries are real values (far above -inf / 2) or `inf`, so a sum is
    impossible exactly when it is at or above inf / 2: clamped once, on the (smaller) result."""
    s = np.take(A, x, axis=0)
    s += np.take(B, rx, axis=0)
    low = np.minimum.reduceat(s, starts, axis=0)
    return np.where(low >= inf // 2, inf, low)


def _product_layers(A: IntArray, B: IntArray, x: IntArray, rx: IntArray, starts: IntArray) -> IntArray:
    """`_product` of (C, L, m) tables whose layer counts shipments: out[r, j, .] = min over
    j1 + j2 = j (< L) and x <= r of A[x, j1, .] + B[r - x, j2, .]. B's layer 0 is the
    identity (a subtree of nodes ships nothing only as the empty content, at no cost), so
    j2 = 0 gives A's own layer and only j2 >= 1 needs a product."""
    L = A.shape[1]
    out = A.copy()
    Ax = np.take(A, x, axis=0)  # (pairs, L, m)
    for j2 in range(1, L):
        b = np.take(B[:, j2, :], rx, axis=0)  # (pairs, m)
        s = Ax[:, : L - j2, :] + b[:, None, :]
        np.minimum(out[:, j2:, :], np.minimum.reduceat(s, starts, axis=0), out=out[:, j2:, :])
    return _impossible(out)

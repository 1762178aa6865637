"""Integer assignments over pattern columns: evaluate, check, and build them
order by order (sequential greedy, LP-guided, dual-priced) with an exact
per-order choice against the stock and capacity still free.

The per-order choice enumerates the set partitions of the order's lines
(15 for four lines); each block goes to its cheapest pattern still feasible
at a node not yet used by the order, or stays unfilled. With no prices this
is the exact single-order optimum on the residual stock (when blocks do not
compete for a node), which is what a real-time allocator would have done.
The order's policy enters here too: patterns already respect keep-together
and the minimum shipment value; a split penalty is paid per shipment beyond
the first, and at most K blocks are filled (those that save the most).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypedDict

import numpy as np

from .patterns import Patterns
from .problem import BatchData, IntArray

#: an opportunity price per pattern index (dual prices, or a closed node's penalty)
Price = Callable[[int], float]


class Totals(TypedDict):
    """A state's cost, paise (`total_cost`); `unfilled_units` counts units."""

    shipping: int
    split: int
    fixed: int
    unfilled_paise: int
    unfilled_units: int
    total: int


@lru_cache(maxsize=16)
def set_partitions(L: int) -> tuple[tuple[int, ...], ...]:
    """All partitions of {0..L-1} as tuples of block bitmasks."""
    out: list[tuple[int, ...]] = []

    def rec(i: int, blocks: list[int]) -> None:
        if i == L:
            out.append(tuple(blocks))
            return
        for k in range(len(blocks)):
            blocks[k] |= 1 << i
            rec(i + 1, blocks)
            blocks[k] &= ~(1 << i)
        blocks.append(1 << i)
        rec(i + 1, blocks)
        blocks.pop()

    if L <= 7:
        rec(0, [])
    else:  # too many: singletons, and all together
        out = [tuple(1 << i for i in range(L)), ((1 << L) - 1,)]
    return tuple(out)


def _partitions(L: int, opts: Mapping[int, list[int]]) -> tuple[tuple[int, ...], ...]:
    """The partitions `best_for_order` tries: all of them up to 7 lines; above, singletons and the
    whole order plus, for every other block that has a column, that block with the rest as one block
    (when it has a column) or as singletons."""
    parts = set_partitions(L)
    if L <= 7:
        return parts
    whole = (1 << L) - 1
    more = []
    for m in opts:
        if m == whole or not m & (m - 1):
            continue
        rest = whole & ~m
        more.append((m, rest) if rest in opts else (m,) + tuple(1 << i for i in range(L) if rest >> i & 1))
    return parts + tuple(sorted(more))


class Index:
    """Per-order lookup: order -> {mask: pattern indices sorted by cost}."""

    def __init__(self, d: BatchData, p: Patterns) -> None:
        self.d, self.p = d, p
        self.start = d.order_line_start()
        self.by_order: list[dict[int, list[int]]] = [dict() for _ in range(d.n_orders)]
        o_sort = np.lexsort((np.arange(p.n), p.cost, p.mask, p.order))
        po, pm = p.order[o_sort].tolist(), p.mask[o_sort].tolist()
        for k, o, m in zip(o_sort.tolist(), po, pm):
            self.by_order[o].setdefault(m, []).append(k)
        # per pattern: list of (sku, qty) and node, as Python for speed
        self.node = p.node.tolist()
        self.cost = p.cost.tolist()
        ptr = p.ptr.tolist()
        sku = d.line_sku[p.lines].tolist()
        qty = d.line_qty[p.lines].tolist()
        self.content = [_merge(sku[ptr[i]:ptr[i + 1]], qty[ptr[i]:ptr[i + 1]]) for i in range(p.n)]
        self.line_cost = d.line_penalty().tolist()
        self.split = d.order_split.tolist()
        self.kmax = d.order_kmax.tolist()


def _merge(skus: list[int], qtys: list[int]) -> list[tuple[int, int]]:
    """(sku, qty) pairs of a pattern, two lines of one SKU added together."""
    if len(skus) == 1 or len(set(skus)) == len(skus):
        return list(zip(skus, qtys))
    acc: dict[int, int] = {}
    for s, q in zip(skus, qtys):
        acc[s] = acc.get(s, 0) + q
    return list(acc.items())


@dataclass
class State:
    stock: IntArray  # residual (N, S)
    cap: IntArray  # residual shipments, <0 unlimited
    used: IntArray  # shipments per node in the assignment
    chosen: list[list[int]]  # per order: pattern indices

    @classmethod
    def fresh(cls, d: BatchData) -> State:
        return cls(d.stock.copy(), d.cap.copy(), np.zeros(d.n_nodes, dtype=np.int64),
                   [[] for _ in range(d.n_orders)])

    def take(self, ix: Index, o: int, pats: list[int]) -> None:
        for k in pats:
            n = ix.node[k]
            for s, q in ix.content[k]:
                self.stock[n, s] -= q
            if self.cap[n] >= 0:
                self.cap[n] -= 1
            self.used[n] += 1
        self.chosen[o] = list(pats)

    def release(self, ix: Index, o: int) -> list[int]:
        pats = self.chosen[o]
        for k in pats:
            n = ix.node[k]
            for s, q in ix.content[k]:
                self.stock[n, s] += q
            if self.cap[n] >= 0:
                self.cap[n] += 1
            self.used[n] -= 1
        self.chosen[o] = []
        return pats


def order_cost(ix: Index, o: int, pats: list[int]) -> int:
    """Shipping cost of the patterns plus the penalty of uncovered lines
    (fixed node costs are counted at batch level)."""
    d = ix.d
    covered = 0
    total = 0
    for k in pats:
        total += ix.cost[k]
        covered |= int(ix.p.mask[k])
    s = int(ix.start[o])
    for i in range(int(ix.start[o + 1]) - s):
        if not covered >> i & 1:
            total += ix.line_cost[s + i]
    if len(pats) > 1:
        total += ix.split[o] * (len(pats) - 1)
    return total


def best_for_order(ix: Index, st: State, o: int, price: Price | None = None,
                   open_fixed: bool = True) -> tuple[float, list[int]]:
    """Cheapest choice for order `o` on the residual state. `price(k)` adds
    an opportunity cost to pattern k (dual prices); fixed costs of nodes not
    yet used are added when `open_fixed`."""
    s0 = int(ix.start[o])
    L = int(ix.start[o + 1]) - s0
    opts = ix.by_order[o]
    fixed = ix.d.fixed
    best_val = float("inf")
    best: list[int] = []
    block_cache: dict[int, list[tuple[float, int]]] = {}

    def feasible(k: int, taken: dict[tuple[int, int], int]) -> bool:
        n = ix.node[k]
        if st.cap[n] == 0:
            return False
        for s, q in ix.content[k]:
            if st.stock[n, s] - taken.get((n, s), 0) < q:
                return False
        return True

    def ranked(m: int) -> list[tuple[float, int]]:
        r = block_cache.get(m)
        if r is None:
            r = []
            for k in opts.get(m, ()):
                c = ix.cost[k] + (price(k) if price else 0.0)
                if open_fixed and st.used[ix.node[k]] == 0:
                    c += fixed[ix.node[k]]
                r.append((c, k))
            r.sort()
            block_cache[m] = r
        return r

    split, kmax = ix.split[o], ix.kmax[o]
    for part in _partitions(L, opts):
        # val: a lower bound on this partition's cost while blocks are added (one split penalty is
        # given back up front: an order that ships anything pays (shipments - 1) penalties)
        val = -split
        picks: list[tuple[float, int, float]] = []  # (cost, pattern, penalty of the block unfilled)
        lost = 0.0
        nodes: set[int] = set()
        taken: dict[tuple[int, int], int] = {}
        for m in part:
            unf = sum(ix.line_cost[s0 + i] for i in range(L) if m >> i & 1)
            pick = None
            for c, k in ranked(m):
                if c >= unf:
                    break
                if ix.node[k] in nodes or not feasible(k, taken):
                    continue
                pick = (c, k)
                break
            if pick is None:
                val += unf
                lost += unf
            else:
                c, k = pick
                val += min(unf, c + split)
                picks.append((c, k, unf))
                nodes.add(ix.node[k])
                for s, q in ix.content[k]:
                    taken[(ix.node[k], s)] = taken.get((ix.node[k], s), 0) + q
            if val >= best_val:
                break
        if val >= best_val:
            continue
        if split or 0 <= kmax < len(picks):
            good = [x for x in picks if x[0] + split < x[2]]
            if not good and picks:  # the penalty given back pays for one shipment alone
                good = [min(picks, key=lambda x: x[0] - x[2])]
            if 0 <= kmax < len(good):  # the K blocks that save the most
                good = sorted(good, key=lambda x: x[0] - x[2])[:kmax]
            chosen = {x[1] for x in good}
            val = lost + sum(x[2] for x in picks if x[1] not in chosen) \
                + sum(x[0] + split for x in good) - (split if good else 0)
            pats = [x[1] for x in good]
        else:
            pats = [x[1] for x in picks]
        if val < best_val:
            best_val, best = val, pats
    return best_val, best


def total_cost(ix: Index, st: State) -> Totals:
    d = ix.d
    ship = 0
    split = 0
    unfilled_units = 0
    unfilled_paise = 0
    for o, pats in enumerate(st.chosen):
        if len(pats) > 1:
            split += ix.split[o] * (len(pats) - 1)
        covered = 0
        for k in pats:
            ship += ix.cost[k]
            covered |= int(ix.p.mask[k])
        s = int(ix.start[o])
        for i in range(int(ix.start[o + 1]) - s):
            if not covered >> i & 1:
                unfilled_paise += ix.line_cost[s + i]
                unfilled_units += int(d.line_qty[s + i])
    fixed = int(d.fixed[st.used > 0].sum())
    return Totals(shipping=int(ship), split=int(split), fixed=fixed, unfilled_paise=int(unfilled_paise),
                  unfilled_units=int(unfilled_units), total=int(ship + split + fixed + unfilled_paise))


def check(ix: Index, st: State) -> list[str]:
    """Violations of stock, capacity, one-shipment-per-(order,node), coverage, at most K shipments."""
    d = ix.d
    errs = []
    used_stock = np.zeros_like(d.stock)
    ships = np.zeros(d.n_nodes, dtype=np.int64)
    for o, pats in enumerate(st.chosen):
        nodes = [ix.node[k] for k in pats]
        if len(set(nodes)) != len(nodes):
            errs.append(f"order {d.order_ids[o]} ships twice from one node")
        if 0 <= ix.kmax[o] < len(pats):
            errs.append(f"order {d.order_ids[o]} ships {len(pats)} times, at most {ix.kmax[o]} allowed")
        cov = 0
        for k in pats:
            if int(ix.p.order[k]) != o:
                errs.append(f"pattern {k} is not order {o}'s")
            m = int(ix.p.mask[k])
            if cov & m:
                errs.append(f"order {d.order_ids[o]} covers a line twice")
            cov |= m
            ships[ix.node[k]] += 1
            for s, q in ix.content[k]:
                used_stock[ix.node[k], s] += q
    if np.any(used_stock > d.stock):
        errs.append("stock oversubscribed")
    lim = d.cap >= 0
    if np.any(ships[lim] > d.cap[lim]):
        errs.append("node capacity exceeded")
    return errs


def sequential(ix: Index, order_seq: Iterable[int] | None = None, price: Price | None = None,
               st: State | None = None, open_fixed: bool = True) -> State:
    """Orders one by one, each taking its best choice on what is left (`open_fixed=False`: fixed node
    costs are taken as paid already, e.g. for a given set of open nodes)."""
    st = st or State.fresh(ix.d)
    seq = range(ix.d.n_orders) if order_seq is None else order_seq
    for o in seq:
        _, pats = best_for_order(ix, st, int(o), price, open_fixed=open_fixed)
        st.take(ix, int(o), pats)
    return st


def improve(ix: Index, st: State, passes: int = 2, deadline: float | None = None) -> int:
    """Per-order exact re-solve with true costs: free the order's stock,
    re-choose, keep if strictly cheaper. Returns the number of changes."""
    import time

    d = ix.d
    changes = 0
    for _ in range(passes):
        changed = 0
        for o in range(d.n_orders):
            if deadline is not None and (o & 255) == 0 and time.perf_counter() > deadline:
                return changes + changed
            changed += _resolve(ix, st, o)
        changes += changed
        if not changed:
            break
    return changes


def _fixed_delta(ix: Index, st: State, pats: list[int], removing: bool) -> int:
    """Fixed cost that would be saved by removing `pats` (nodes only they use)."""
    extra = 0
    for k in pats:
        n = ix.node[k]
        if st.used[n] == 1:
            extra += int(ix.d.fixed[n])
    return extra


def close_nodes(ix: Index, st: State) -> int:
    """For each node with a fixed cost that ships little, try moving all its
    shipments elsewhere (one order at a time, exact per order); keep the
    move if the batch total drops. Returns the number of nodes closed."""
    d = ix.d
    closed = 0
    users = [n for n in np.argsort(st.used, kind="stable").tolist() if st.used[n] > 0 and d.fixed[n] > 0]
    for n in users:
        before = total_cost(ix, st)["total"]
        orders = [o for o, pats in enumerate(st.chosen) if any(ix.node[k] == n for k in pats)]
        old = {o: st.release(ix, o) for o in orders}
        big = float(1 << 50)
        for o in orders:
            _, pats = best_for_order(ix, st, o, price=lambda k: big if ix.node[k] == n else 0.0)
            st.take(ix, o, pats)
        if total_cost(ix, st)["total"] < before:
            closed += 1
            continue
        for o in orders:
            st.release(ix, o)
        for o in orders:
            st.take(ix, o, old[o])
    return closed


def fits(ix: Index, st: State, ks: list[int]) -> bool:
    """The patterns `ks` fit the stock and shipment slots left in `st`."""
    need: dict[tuple[int, int], int] = {}
    ships: dict[int, int] = {}
    for k in ks:
        n = ix.node[k]
        ships[n] = ships.get(n, 0) + 1
        for s, q in ix.content[k]:
            need[(n, s)] = need.get((n, s), 0) + q
    return all(st.stock[n, s] >= q for (n, s), q in need.items()) and \
        all(st.cap[n] < 0 or st.cap[n] >= c for n, c in ships.items())


def filled(ix: Index, o: int, pats: list[int]) -> bool:
    """Every line of order o is in one of `pats`."""
    cov = 0
    for k in pats:
        cov |= int(ix.p.mask[k])
    return cov == (1 << int(ix.start[o + 1] - ix.start[o])) - 1


def unkept(ix: Index, st: State) -> list[int]:
    """Orders that must stay filled (`must_fill`) but are not, in `st`."""
    return [o for o in np.flatnonzero(ix.d.order_keep).tolist() if not filled(ix, o, st.chosen[o])]


def incumbent_state(ix: Index) -> State | None:
    """The orders' incumbent shipments as a state (orders without one, or whose incumbent has no
    column -- its node lost its lanes -- unfilled), or None when the incumbents do not fit the stock."""
    d, p = ix.d, ix.p
    if not any(d.incumbent):
        return None
    key = {}
    for k, (o, n, m) in enumerate(zip(p.order.tolist(), p.node.tolist(), p.mask.tolist())):
        key[(o, n, m)] = k
    st = State.fresh(d)
    for o, inc in enumerate(d.incumbent):
        if not inc:
            continue
        ks = [key.get((o, n, m)) for n, m in inc]
        found = [k for k in ks if k is not None]
        if len(found) == len(ks):
            st.take(ix, o, found)
    if (st.stock < 0).any() or ((d.cap >= 0) & (st.cap < 0)).any():
        return None
    return st


def fill_unfilled(ix: Index, st: State) -> int:
    """The final fill: every order with an unfilled line is re-solved exactly on the stock and capacity
    left (in index order, which is priority order), so no line stays unfilled while a node it may use
    has the stock and a shipment slot and shipping it costs less than leaving it. Not stopped by time:
    it is what makes every plan whole. Returns the number of orders that changed."""
    changed = 0
    for o in range(ix.d.n_orders):
        if not filled(ix, o, st.chosen[o]):
            changed += _resolve(ix, st, o)
    return changed


def _resolve(ix: Index, st: State, o: int) -> int:
    """Re-choose order o exactly on the rest of the state; keep the new choice only if strictly cheaper
    (its fixed costs included). Returns 1 if it changed."""
    old = st.chosen[o]
    old_val = order_cost(ix, o, old) + _fixed_delta(ix, st, old, removing=True)
    st.release(ix, o)
    val, pats = best_for_order(ix, st, o)
    if val < old_val - 1e-9:
        st.take(ix, o, pats)
        return 1
    st.take(ix, o, old)
    return 0

"""Lagrangian lower bound for the pattern model, for batches too big for the LP.

Relax the shared rows -- stock per (node, SKU) with prices lam >= 0 and
shipment capacity per node with prices mu >= 0 -- and every order decides
alone: it covers its lines with blocks, each block either one pattern at
its reduced cost c_p + lam.a_p + mu_node or left unfilled at its penalty.
For any lam, mu >= 0

    L(lam, mu) = sum_o min_o(...) - lam.stock - mu.capacity

is a valid lower bound on every plan's cost (the relaxed rows hold for a
plan, so their priced slack is >= 0). The per-order minimum is exact over
set partitions of the order's lines (a subset DP, vectorised over all
orders with the same number of lines), without the "one shipment per
(order, node)" row: dropping a row only lowers the bound, so it stays
valid. Prices improve by projected subgradient steps with a Polyak step
towards the best known plan's cost.

Fixed node costs: the linking rows x_on <= y_n (order o ships from n only
if n is open) are relaxed with prices nu_on in [0, f_n]. Each pattern of o
at n costs nu_on more, and each node adds min(0, f_n - sum_o nu_on) (opened
in the relaxation exactly when the orders' shares exceed its fixed cost).
For nu = 0 this is the bound without fixed costs; the subgradient
x_on - y_n moves the shares towards the fixed costs plans really pay.

Per-order policy: preference costs are in the pattern costs; keep-together
and minimum shipment value are in which patterns exist; an order allowed at
most K shipments is minimised exactly with them (K = 1: one block shipped,
the rest unfilled; else the subset DP counts shipped blocks; orders with
restricted patterns ship the K singletons that save most, or the whole).
A split penalty s_o is charged
on every pattern and given back once per order that has patterns: an order
that ships pays at least (its DP value with s_o per shipment) - s_o, and
one left unfilled pays its penalties, which are >= that too.

Everything per iteration is numpy over all patterns at once: ~0.1-0.3 s
for 100,000 orders and 1.1M patterns on this machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypedDict

import numpy as np

from .model import pattern_lines
from .patterns import Patterns
from .problem import BatchData, FloatArray, IntArray

#: a relaxed minimum per order: (value per order, (order, column) of the shipped blocks, unfilled penalty)
_RelaxedMin = tuple[FloatArray, IntArray, IntArray, float]


class _Group(TypedDict):
    """The orders of one line count `L` and their block table (`_Relaxed.groups`)."""

    L: int
    full: bool
    orders: IntArray
    masks: IntArray
    col: dict[int, int]
    pen: FloatArray
    gsel: IntArray
    gr: IntArray
    gc: IntArray
    gid: IntArray
    klim: IntArray


#: orders up to this many lines get the exact subset DP (3^L steps per order)
FULL_DP_MAX_LINES = 12


@dataclass
class LagrangeResult:
    bound: float  # best L(lam, mu) seen: a valid lower bound
    unfilled_paise: float  # penalty of the lines the relaxed orders leave unfilled at the best prices
    lam: np.ndarray  # price per stock row
    mu: np.ndarray  # price per capacity row
    stock_rows: np.ndarray  # (R, 2) (node, sku)
    cap_nodes: np.ndarray
    iterations: int
    seconds: float
    history: list[float]
    pattern_price: np.ndarray  # opportunity cost of each pattern at the best prices


@lru_cache(maxsize=8)
def submasks(L: int) -> list[tuple[int, np.ndarray]]:
    """For each subset S of L lines (increasing): the blocks m of S that hold S's lowest line."""
    out = []
    for S in range(1, 1 << L):
        low = S & -S
        subs, m = [], S
        while m:
            if m & low:
                subs.append(m)
            m = (m - 1) & S
        out.append((S, np.array(subs, dtype=np.int64)))
    return out


def _limited(full: bool, L: int, pat: FloatArray, pen: FloatArray, K: IntArray) -> _RelaxedMin:
    """The relaxed minimum of orders allowed at most K[i] shipments: blocks shipped at `pat` (inf: no
    pattern) or left unfilled at `pen`, per block column. Returns (value per order, (order, column) of
    the shipped blocks, penalty of the unfilled lines)."""
    n = len(K)
    val = np.empty(n)
    ship_r: list[IntArray] = []
    ship_c: list[IntArray] = []
    unf = 0.0
    one = np.flatnonzero(K == 1)
    if len(one):  # one block shipped, the rest unfilled (the last column is the whole order)
        every = pen[one, -1]
        alone = pat[one] + (every[:, None] - pen[one])
        arg = np.argmin(alone, axis=1)
        v = alone[np.arange(len(one)), arg]
        ship = v < every
        val[one] = np.where(ship, v, every)
        ship_r.append(one[ship])
        ship_c.append(arg[ship])
        unf += float((every - np.where(ship, pen[one, arg], 0.0)).sum())
    many = np.flatnonzero(K > 1)
    if len(many):
        v, sr, sc, u = (_count_dp if full else _apart_or_whole)(L, pat[many], pen[many], K[many])
        val[many] = v
        ship_r.append(many[sr])
        ship_c.append(sc)
        unf += u
    def cat(a: list[IntArray]) -> IntArray:
        return np.concatenate(a) if a else np.zeros(0, dtype=np.int64)

    return val, cat(ship_r), cat(ship_c), unf


def _count_dp(L: int, pat: FloatArray, pen: FloatArray, K: IntArray) -> _RelaxedMin:
    """Subset DP with a shipment count: f[c, :, S] = cheapest cover of lines S with at most c shipped blocks."""
    n, kmax, whole = len(K), int(K.max()), (1 << L) - 1
    rows = np.arange(n)
    f = np.full((kmax + 1, n, 1 << L), np.inf)
    f[:, :, 0] = 0.0
    cm = np.zeros((kmax + 1, n, 1 << L), dtype=np.int64)
    cs = np.zeros((kmax + 1, n, 1 << L), dtype=bool)
    for S, subs in submasks(L):
        P, Q = pen[:, subs - 1], pat[:, subs - 1]
        for c in range(kmax + 1):
            a = P + f[c][:, S ^ subs]
            b = Q + f[c - 1][:, S ^ subs] if c else np.full_like(a, np.inf)
            cand = np.minimum(a, b)
            k = np.argmin(cand, axis=1)
            f[c, :, S] = cand[rows, k]
            cm[c, :, S] = subs[k]
            cs[c, :, S] = (b < a)[rows, k]
    val = f[K, rows, whole]
    cur, cnt = np.full(n, whole), K.copy()
    ship_r: list[IntArray] = []
    ship_c: list[IntArray] = []
    unf = 0.0
    for _ in range(L):
        live = np.flatnonzero(cur > 0)
        if not len(live):
            break
        m = cm[cnt[live], live, cur[live]]
        s = cs[cnt[live], live, cur[live]]
        ship_r.append(live[s])
        ship_c.append(m[s] - 1)
        unf += float(pen[live[~s], m[~s] - 1].sum())
        cnt[live] -= s
        cur[live] ^= m
    return val, np.concatenate(ship_r), np.concatenate(ship_c), unf


def _apart_or_whole(L: int, pat: FloatArray, pen: FloatArray, K: IntArray) -> _RelaxedMin:
    """Restricted orders (singletons or the whole order) with at most K shipments: the K singletons
    that save most, or the whole order in one."""
    n = len(K)
    rows = np.arange(n)
    save = np.maximum(pen[:, :L] - pat[:, :L], 0.0)
    rank = np.argsort(-save, axis=1, kind="stable")
    top = np.take_along_axis(save, rank, axis=1)
    take = (np.arange(L)[None, :] < K[:, None]) & (top > 0)
    apart = pen[:, :L].sum(axis=1) - np.where(take, top, 0.0).sum(axis=1)
    whole = np.minimum(pat[:, L], pen[:, L])
    one = whole < apart
    val = np.where(one, whole, apart)
    ship_whole = one & (pat[:, L] < pen[:, L])
    ar, ak = np.nonzero(take & ~one[:, None])
    sr = np.concatenate([ar, rows[ship_whole]])
    sc = np.concatenate([rank[ar, ak], np.full(int(ship_whole.sum()), L)])
    unf = float(np.where(one & ~ship_whole, pen[:, L], 0.0).sum())
    unf += float(np.where(~one, pen[:, :L].sum(axis=1) - np.where(take, np.take_along_axis(pen[:, :L], rank, axis=1),
                                                                   0.0).sum(axis=1), 0.0).sum())
    return val, sr, sc, unf


class _Relaxed:
    """The relaxed problem's fixed structure: rows, pattern groups per (order, block), line groups."""

    def __init__(self, d: BatchData, p: Patterns) -> None:
        self.d, self.p = d, p
        S = d.stock.shape[1]
        pc, pl = pattern_lines(p)
        key = p.node[pc] * S + d.line_sku[pl]
        qty = d.line_qty[pl]
        # stock rows only where the demand that could land there exceeds the stock (the LP's rule)
        _, first = np.unique(pl * d.n_nodes + p.node[pc], return_index=True)
        dem = np.bincount(key[first], weights=qty[first], minlength=d.n_nodes * S)
        need = np.flatnonzero(dem > d.stock.reshape(-1))
        row_of = -np.ones(d.n_nodes * S, dtype=np.int64)
        row_of[need] = np.arange(len(need))
        hit = row_of[key] >= 0
        self.ent_pat, self.ent_row, self.ent_qty = pc[hit], row_of[key[hit]], qty[hit].astype(float)
        self.stock_rows = np.stack([need // S, need % S], axis=1) if len(need) else np.zeros((0, 2), np.int64)
        self.b = d.stock.reshape(-1)[need].astype(float)
        on = np.unique(p.order * d.n_nodes + p.node)
        orders_at = np.bincount(on % d.n_nodes, minlength=d.n_nodes)
        self.cap_nodes = np.flatnonzero((d.cap >= 0) & (orders_at > np.maximum(d.cap, 0)))
        crow = -np.ones(d.n_nodes, dtype=np.int64)
        crow[self.cap_nodes] = np.arange(len(self.cap_nodes))
        self.pat_crow = crow[p.node]
        self.cb = np.maximum(d.cap[self.cap_nodes], 0).astype(float)
        # fixed node costs: one price nu per (order, node) pair at a node with a fixed cost
        fpat = d.fixed[p.node] > 0
        u_pair, inv = np.unique((p.order * d.n_nodes + p.node)[fpat], return_inverse=True)
        self.pat_pair = -np.ones(p.n, dtype=np.int64)
        self.pat_pair[fpat] = inv
        self.pair_node = u_pair % d.n_nodes if len(u_pair) else np.zeros(0, dtype=np.int64)
        self.pair_fixed = d.fixed[self.pair_node].astype(float)
        # pattern groups: one per (order, block mask), patterns sorted inside
        self.perm = np.lexsort((p.mask, p.order))
        po, pm = p.order[self.perm], p.mask[self.perm]
        new = np.ones(p.n, dtype=bool)
        new[1:] = (po[1:] != po[:-1]) | (pm[1:] != pm[:-1])
        self.gstart = np.flatnonzero(new)
        self.g_order, self.g_mask = po[self.gstart], pm[self.gstart]
        # orders grouped by line count; per group the block table
        start = d.order_line_start()
        nlines = np.diff(start)
        line_cost = d.line_penalty().astype(float)
        self.line_cost = line_cost
        self.base_cost = (p.cost + d.order_split[p.order]).astype(float)
        self.split_back = float(d.order_split[np.unique(p.order)].sum()) if p.n else 0.0
        self.groups: list[_Group] = []
        for L in np.unique(nlines[nlines > 0]).tolist():
            orders = np.flatnonzero(nlines == L)
            # a subset DP over every mask up to 12 lines (orders above MAX_LINES_FULL have only some of
            # them as columns: the others are simply absent); above, apart or whole only
            full = L <= FULL_DP_MAX_LINES
            masks = np.arange(1, 1 << L) if full else np.array([1 << k for k in range(L)] + [(1 << L) - 1])
            col = {int(m): i for i, m in enumerate(masks.tolist())}
            bits = ((masks[:, None] >> np.arange(L)[None, :]) & 1).astype(float)  # (M, L)
            LC = line_cost[start[orders][:, None] + np.arange(L)[None, :]]  # (nO, L)
            pen = LC @ bits.T  # (nO, M)
            loc = -np.ones(d.n_orders, dtype=np.int64)
            loc[orders] = np.arange(len(orders))
            gsel = np.flatnonzero(loc[self.g_order] >= 0)
            if not full:  # the other columns of such orders are left out of the relaxed choice
                gsel = gsel[np.isin(self.g_mask[gsel], masks)]
            gr = loc[self.g_order[gsel]]
            gc = np.array([col[int(m)] for m in self.g_mask[gsel].tolist()], dtype=np.int64)
            gid = -np.ones(pen.shape, dtype=np.int64)
            gid[gr, gc] = gsel
            self.groups.append(_Group(L=L, full=full, orders=orders, masks=masks, col=col, pen=pen,
                                    gsel=gsel, gr=gr, gc=gc, gid=gid, klim=np.where(
                                        (d.order_kmax[orders] >= 1) & (d.order_kmax[orders] < L),
                                        d.order_kmax[orders], 0)))

    def price(self, lam: np.ndarray, mu: np.ndarray, nu: np.ndarray | None = None) -> np.ndarray:
        # float even with no stock rows (bincount of nothing is int)
        pr = np.bincount(self.ent_pat, weights=lam[self.ent_row] * self.ent_qty, minlength=self.p.n).astype(float)
        if len(mu):
            has = self.pat_crow >= 0
            pr[has] += mu[self.pat_crow[has]]
        if nu is not None and len(nu):
            has = self.pat_pair >= 0
            pr[has] += nu[self.pat_pair[has]]
        return pr

    def open_term(self, nu: np.ndarray) -> tuple[float, np.ndarray]:
        """sum_n min(0, f_n - sum_o nu_on) (each node opened in the relaxation when its shares exceed
        its fixed cost), and the opened flag per node."""
        n = self.d.n_nodes
        share = np.bincount(self.pair_node, weights=nu, minlength=n) if len(nu) else np.zeros(n)
        fixed = self.d.fixed.astype(float)
        has = np.zeros(n, dtype=bool)
        has[self.pair_node] = True
        opened = has & (fixed - share < 0)
        return float(np.minimum(0.0, fixed - share)[has].sum()), opened

    def evaluate(self, lam: FloatArray, mu: FloatArray,
                 nu: FloatArray | None = None) -> tuple[float, FloatArray, FloatArray, float]:
        """L(lam, mu, nu), the relaxed choice's use of every row (and, with fixed costs, the
        subgradient of nu), and its unfilled penalty."""
        nu = np.zeros(len(self.pair_node)) if nu is None else nu
        rc = (self.base_cost + self.price(lam, mu, nu))[self.perm]
        gmin = np.minimum.reduceat(rc, self.gstart)
        pos = np.where(rc <= np.repeat(gmin, np.diff(np.append(self.gstart, len(rc)))), np.arange(len(rc)), len(rc))
        garg = self.perm[np.minimum.reduceat(pos, self.gstart)]
        total = 0.0
        chosen_pats = []
        unfilled = 0.0
        for g in self.groups:
            V = g["pen"].copy()
            V[g["gr"], g["gc"]] = np.minimum(V[g["gr"], g["gc"]], gmin[g["gsel"]])
            n = len(g["orders"])
            rows = np.arange(n)
            if g["full"]:
                L = g["L"]
                f = np.zeros((n, 1 << L))
                choice = np.zeros((n, 1 << L), dtype=np.int64)
                for S, subs in submasks(L):
                    cand = V[:, subs - 1] + f[:, S ^ subs]  # column of mask m is m - 1
                    k = np.argmin(cand, axis=1)
                    f[:, S] = cand[rows, k]
                    choice[:, S] = subs[k]
                best = f[:, -1]
                blocks_o, blocks_c = [], []
                cur = np.full(n, (1 << L) - 1)
                for _ in range(L):
                    live = cur > 0
                    if not live.any():
                        break
                    m = choice[rows[live], cur[live]]
                    blocks_o.append(rows[live])
                    blocks_c.append(m - 1)
                    cur[live] ^= m
                bo, bc = np.concatenate(blocks_o), np.concatenate(blocks_c)
            else:  # restricted: all lines apart, or all together
                L = g["L"]
                apart = V[:, :L].sum(axis=1)
                whole = V[:, L]
                best = np.minimum(apart, whole)
                one = whole < apart
                bo = np.concatenate([np.repeat(rows[~one], L), rows[one]])
                bc = np.concatenate([np.tile(np.arange(L), int((~one).sum())), np.full(int(one.sum()), L)])
            lim = g["klim"]
            if lim.any():  # orders with at most K shipments, exactly
                best = best.copy()
                keep = lim[bo] == 0
                bo, bc = bo[keep], bc[keep]
                r = np.flatnonzero(lim)
                pat = np.full((len(r), V.shape[1]), np.inf)
                sel = lim[g["gr"]] > 0
                pat[np.searchsorted(r, g["gr"][sel]), g["gc"][sel]] = gmin[g["gsel"][sel]]
                val, sr, sc, unf = _limited(g["full"], g["L"], pat, g["pen"][r], lim[r])
                best[r] = val
                chosen_pats.append(garg[g["gid"][r[sr], sc]])
                unfilled += unf
            total += float(best.sum())
            gid = g["gid"][bo, bc]
            val = V[bo, bc]
            use = (gid >= 0) & (val < g["pen"][bo, bc])
            chosen_pats.append(garg[gid[use]])
            unfilled += float(g["pen"][bo[~use], bc[~use]].sum())
        chosen = np.concatenate(chosen_pats) if chosen_pats else np.zeros(0, dtype=np.int64)
        pick = np.zeros(self.p.n, dtype=bool)
        pick[chosen] = True
        e = pick[self.ent_pat]
        # (float64 with weights, whatever the stubs say; astype copies nothing)
        use_stock = np.bincount(self.ent_row[e], weights=self.ent_qty[e],
                                minlength=len(self.b)).astype(float, copy=False)
        has = pick & (self.pat_crow >= 0)
        use_cap = np.bincount(self.pat_crow[has], minlength=len(self.cb)).astype(float)
        open_value, opened = self.open_term(nu)
        value = total - self.split_back - float(lam @ self.b) - float(mu @ self.cb) + open_value
        has = pick & (self.pat_pair >= 0)
        use_pair = np.minimum(np.bincount(self.pat_pair[has], minlength=len(nu)), 1).astype(float)
        self.last_nu_grad = use_pair - opened[self.pair_node].astype(float)
        return value, use_stock, use_cap, unfilled


def lagrangian_bound(d: BatchData, p: Patterns, *, target: float, iterations: int = 300,
                     time_limit: float = 120.0, lam0: np.ndarray | None = None,
                     callback: Callable[[int, FloatArray, FloatArray], float | None] | None = None,
                     patience: int = 20, theta0: float = 1.0) -> LagrangeResult:
    """Projected subgradient on (lam, mu). `target`: the cost of a known plan
    (Polyak step size towards it). `callback(it, lam, mu)` may return a
    better plan cost to use as target from then on."""
    t0 = time.perf_counter()
    rel = _Relaxed(d, p)
    nr, nc = len(rel.b), len(rel.cb)
    lam = np.zeros(nr) if lam0 is None else np.asarray(lam0, dtype=float).copy()
    mu = np.zeros(nc)
    # a unit of stock is never worth more than the dearest unfilled penalty: a valid cap on the search
    lam_max = float((rel.line_cost / d.line_qty).max()) if d.n_orders else 0.0
    mu_max = float(rel.line_cost.max()) * max(1, int(np.diff(d.order_line_start()).max(initial=1))) \
        if d.n_orders else 0.0
    nu = np.zeros(len(rel.pair_node))
    best, best_lam, best_mu, best_nu, best_unf = -np.inf, lam.copy(), mu.copy(), nu.copy(), 0.0
    theta, stall, history = theta0, 0, []
    it = 0
    for it in range(1, iterations + 1):
        val, us, uc, unf = rel.evaluate(lam, mu, nu)
        history.append(val)
        # a step counts as progress only if it lifts the bound noticeably; else the step shrinks
        progress = it == 1 or val > best + 1e-6 * abs(best)
        if it == 1 or val > best:
            best, best_lam, best_mu, best_nu, best_unf = val, lam.copy(), mu.copy(), nu.copy(), unf
        if progress:
            stall = 0
        else:
            stall += 1
            if stall >= patience:
                theta, stall = theta / 2, 0
        if val >= target - 1e-6 * max(1.0, abs(target)):  # the bound meets a plan's cost: that plan is optimal
            break
        if callback is not None:
            t = callback(it, lam, mu)
            if t is not None:
                target = min(target, t)
        gs, gc = us - rel.b, uc - rel.cb
        # rows already at price 0 with slack cannot move: leave them out of the step length
        gs = np.where((lam <= 0) & (gs < 0), 0.0, gs)
        gc = np.where((mu <= 0) & (gc < 0), 0.0, gc)
        gn = rel.last_nu_grad
        gn = np.where(((nu <= 0) & (gn < 0)) | ((nu >= rel.pair_fixed) & (gn > 0)), 0.0, gn)
        norm = float(gs @ gs + gc @ gc + gn @ gn)
        if norm == 0 or theta < 1e-3 or time.perf_counter() - t0 > time_limit:
            break
        step = theta * max(target - val, 1e-6 * abs(target)) / norm
        lam = np.clip(lam + step * gs, 0.0, lam_max)
        mu = np.clip(mu + step * gc, 0.0, mu_max)
        # a share above the node's fixed cost never helps: nu_on in [0, f_n]
        nu = np.clip(nu + step * gn, 0.0, rel.pair_fixed)
    return LagrangeResult(float(best), best_unf, best_lam, best_mu, rel.stock_rows, rel.cap_nodes, it,
                          time.perf_counter() - t0, history, rel.price(best_lam, best_mu, best_nu))

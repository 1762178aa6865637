"""Transfer plan: move stock towards forecast demand at least total cost.

Per SKU s the core is a min-cost flow (OR-Tools SimpleMinCostFlow):

    source i (supply = stock_i) --local, 0--> demand j=i --(cap f_j, -p)--> T
    source i --(cap stock_i - safety_i)--> movable i --(c_ij per unit,
                                     lane cap)--> demand j
    source i --(excess, 0)--> T

where f_j is the forecast demand at j, p the shortfall cost per unit of the
SKU and c_ij the per-unit transfer cost (per-unit-km x km). Its optimum is
the exact minimum of transfer cost + expected shortfall cost when lanes have
no fixed cost and no minimum quantity.

Speed: SKUs do not interact in these flows, so many SKUs (``CHUNK``) go into
one SimpleMinCostFlow as disjoint components sharing only the sink, built
with numpy from network arrays computed once (lane open mask, unit cost,
lane capacity). A SKU with no node short of its forecast or no node with
movable stock, or with no lane that could pay, needs no transfer: it is
detected with numpy and never enters a flow.

The fixed lane cost is per lane shipment: one (from, to) shipment carries
every SKU moved on that lane, so the cost is paid once per lane used, not
once per SKU. Minimum quantity is per transfer line (lane, SKU). Fixed
costs, the minimum and the budget are not flow constraints; they are
enforced by repair, which is a heuristic:
- a lane whose best case over all SKUs (min(movable, short) x (p - c),
  summed) cannot pay its fixed cost never opens;
- a transfer below the minimum quantity is raised to it when the source can
  spare the units and that pays, else that (lane, SKU) arc is closed and
  the SKU re-solved;
- a lane whose transfers together save less than its fixed cost (each
  transfer valued by what removing it alone would cost) is closed and the
  SKUs that used it re-solved; rounds repeat (at most ``MAX_ROUNDS``) until
  no lane or arc closes, then whatever still loses is dropped;
- with a budget, whole transfers are taken in order of net saving per paisa
  (the lane's fixed cost shared over its transfers) until it is spent.
The first flow solve ignores fixed costs and the minimum (lanes that cannot
carry it excepted), so its saving is an upper bound on any plan's saving:
``stats['saving_bound_paise']``.
Costs are integer paise; a transfer's ``cost_paise`` is its unit cost plus
its share of its lane's fixed cost (in proportion to what it avoids net of
its unit cost), and its ``saving_paise`` the shortfall it avoids minus that
cost: what justifies it. A transfer that avoids less than its unit cost is
dropped at the end (the lane stays open for the others).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
#: transfer rows as parallel arrays: (sku, source node, destination node, qty)
Rows = tuple[IntArray, IntArray, IntArray, IntArray]

MAX_ROUNDS = 8  # re-solve rounds after closing losing lanes/arcs; then losing transfers are dropped
RESOLVE_SMALL_ROUNDS = 0  # rounds in which a transfer below the minimum re-solves its SKU; later: greedy reroute
CHUNK = 1  # SKUs per SimpleMinCostFlow: measured, one network per SKU solves fastest (cost scaling grows superlinearly)


@dataclass
class RebalanceProblem:
    nodes: list[str]
    skus: list[str]
    stock: np.ndarray  # (N, S) on hand (after reservations)
    demand: np.ndarray  # (N, S) forecast demand for the horizon
    unit_cost: np.ndarray  # (N, N) paise per unit moved i -> j
    shortfall_cost: np.ndarray  # (S,) paise per unit of unmet demand
    safety: np.ndarray | None = None  # (N, S) never moved out
    fixed_cost: np.ndarray | None = None  # (N, N) paise per lane shipment (once per lane, shared by its SKUs)
    lane_cap: np.ndarray | None = None  # (N, N) units per SKU, -1 = unlimited
    allowed: np.ndarray | None = None  # (N, N) bool lane exists
    min_qty: int = 1
    budget_paise: int | None = None


@dataclass
class PlannedTransfer:
    """One proposed move of stock between two nodes (the solver's proposal; the services create a
    `domain.Transfer` from it when the plan is applied)."""

    src: str
    dst: str
    sku: str
    qty: int
    cost_paise: int
    #: the expected shortfall it avoids (at the destination, net of what the source then lacks) minus
    #: its cost (unit cost + its share of the lane's fixed cost): what justifies it, > 0 for every transfer
    saving_paise: int = 0


@dataclass
class RebalancePlan:
    transfers: list[PlannedTransfer]
    shortfall_before_paise: int
    shortfall_after_paise: int
    transfer_cost_paise: int
    seconds: float
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def saving_paise(self) -> int:
        return self.shortfall_before_paise - self.shortfall_after_paise - self.transfer_cost_paise


class _Net:
    """Network arrays built once and shared by every SKU."""

    def __init__(self, p: RebalanceProblem):
        N, S = p.stock.shape
        self.N, self.S = N, S
        self.stock = np.asarray(p.stock, dtype=np.int64)
        self.dem = np.asarray(p.demand, dtype=np.int64)
        safety = np.zeros((N, S), np.int64) if p.safety is None else np.asarray(p.safety, dtype=np.int64)
        self.movable = np.maximum(self.stock - safety, 0)
        self.price = np.asarray(p.shortfall_cost, dtype=np.int64)
        self.unit = np.asarray(p.unit_cost, dtype=np.int64)
        self.fixed = np.zeros((N, N), np.int64) if p.fixed_cost is None else np.asarray(p.fixed_cost, np.int64)
        lc = None if p.lane_cap is None else np.asarray(p.lane_cap, dtype=np.int64)
        self.lane_cap = None if lc is None else np.where(lc < 0, np.iinfo(np.int64).max, lc)
        ok = ~np.eye(N, dtype=bool)
        if p.allowed is not None:
            ok &= np.asarray(p.allowed, dtype=bool)
        if self.lane_cap is not None:
            ok &= self.lane_cap >= max(p.min_qty, 1)
        self.open = ok
        self.min_qty = int(p.min_qty)
        self.short = self.dem > self.stock


def _lane_upper_bound(net: _Net) -> np.ndarray:
    """(N, N) most any plan could save on each lane, fixed cost aside."""
    deficit = np.maximum(net.dem - net.stock, 0)
    ub = np.zeros((net.N, net.N), np.int64)
    for i in range(net.N):
        src = net.movable[i]
        if not src.any():
            continue
        q = np.minimum(src[None, :], deficit)  # (N, S) to each j
        if net.lane_cap is not None:
            q = np.minimum(q, net.lane_cap[i][:, None])
        margin = np.maximum(net.price[None, :] - net.unit[i][:, None], 0)
        ub[i] = (q * margin).sum(axis=1)
    return ub


def _active_skus(net: _Net, lane_open: np.ndarray) -> np.ndarray:
    """SKUs that may need a transfer: some node short, some node with movable stock above the minimum,
    and an open lane between them cheaper than the shortfall (numpy, no flow built)."""
    has_src = (net.movable >= max(net.min_qty, 1)).any(axis=0)
    has_short = net.short.any(axis=0)
    cand = np.flatnonzero(has_src & has_short)
    if len(cand) == 0 or not lane_open.any():
        return cand
    # cheapest open lane from a source to a short node must cost less than the shortfall
    big = np.iinfo(np.int64).max // 4
    cost = np.where(lane_open, net.unit, big)
    keep = np.zeros(len(cand), dtype=bool)
    for a in range(0, len(cand), CHUNK):
        ks = cand[a:a + CHUNK]
        src = net.movable[:, ks] >= max(net.min_qty, 1)  # (N, K)
        sh = net.short[:, ks]
        # min over (i, j) of cost[i, j] where src[i] and sh[j]
        best_to_j = np.where(src[:, None, :], cost[:, :, None], big).min(axis=0)  # (N_j, K)
        best = np.where(sh, best_to_j, big).min(axis=0)
        keep[a:a + len(ks)] = best < net.price[ks]
    return cand[keep]


def _solve_flows(net: _Net, skus: IntArray, lane_open: BoolArray, closed_arcs: IntArray) -> Rows:
    """Min-cost flows of `skus` (batched, CHUNK per SimpleMinCostFlow). Returns rows (s, i, j, q), q > 0."""
    N = net.N
    out_s: list[IntArray] = []
    out_i: list[IntArray] = []
    out_j: list[IntArray] = []
    out_q: list[IntArray] = []
    m = max(net.min_qty, 1)
    for a in range(0, len(skus), CHUNK):
        ks = np.asarray(skus[a:a + CHUNK], dtype=np.int64)
        K = len(ks)
        stock, dem, mov = net.stock[:, ks], net.dem[:, ks], net.movable[:, ks]
        price = net.price[ks]
        # candidate lanes (i, j, k): movable at i, short at j, lane open, cheaper than the shortfall
        mask = (mov > 0)[:, None, :] & net.short[:, ks][None, :, :] & lane_open[:, :, None]
        mask &= net.unit[:, :, None] < price[None, None, :]
        li, lj, lk = np.nonzero(mask)
        cap = mov[li, lk]
        if net.lane_cap is not None:
            cap = np.minimum(cap, net.lane_cap[li, lj])
        ok = cap >= m
        if len(closed_arcs):
            keys = (ks[lk] * N + li) * N + lj
            ok &= ~_in_sorted(keys, closed_arcs)
        li, lj, lk, cap = li[ok], lj[ok], lk[ok], cap[ok]
        if len(li) == 0:
            continue
        # only SKUs with a lane get their base arcs
        used = np.zeros(K, dtype=bool)
        used[lk] = True
        stock = np.where(used[None, :], stock, 0)
        dem = np.where(used[None, :], dem, 0)
        mov = np.where(used[None, :], mov, 0)
        base = np.arange(K, dtype=np.int64) * (3 * N)  # node ids: source i, demand N+j, movable 2N+i
        T = 3 * N * K
        node_i = np.arange(N, dtype=np.int64)[:, None]
        si, sk = np.nonzero(stock > 0)
        di, dk = np.nonzero(dem > 0)
        mi, mk = np.nonzero(mov > 0)
        src_node = base[sk] + si
        tails = [src_node, src_node, base[dk] + N + di, base[mk] + mi, base[lk] + 2 * N + li]
        heads = [base[sk] + N + si, np.full(len(si), T, np.int64), np.full(len(di), T, np.int64),
                 base[mk] + 2 * N + mi, base[lk] + N + lj]
        caps = [stock[si, sk], stock[si, sk], dem[di, dk], mov[mi, mk], cap]
        costs = [np.zeros(len(si), np.int64), np.zeros(len(si), np.int64), -price[dk],
                 np.zeros(len(mi), np.int64), net.unit[li, lj]]
        n_base = sum(len(t) for t in tails[:-1])
        f = min_cost_flow.SimpleMinCostFlow()
        f.add_arcs_with_capacity_and_unit_cost(np.concatenate(tails), np.concatenate(heads),
                                               np.concatenate(caps), np.concatenate(costs))
        supplies = np.zeros(T + 1, dtype=np.int64)
        supplies[(base[None, :] + node_i).ravel()] = stock.ravel()
        supplies[T] = -int(stock.sum())
        f.set_nodes_supplies(np.arange(T + 1, dtype=np.int64), supplies)
        if f.solve() != f.OPTIMAL:
            raise RuntimeError("min cost flow failed")
        q = f.flows(np.arange(n_base, n_base + len(li), dtype=np.int64))
        pos = q > 0
        out_s.append(ks[lk[pos]]); out_i.append(li[pos]); out_j.append(lj[pos]); out_q.append(q[pos])
        del f
    if not out_s:
        e = np.zeros(0, np.int64)
        return e, e, e, e
    return (np.concatenate(out_s), np.concatenate(out_i), np.concatenate(out_j),
            np.concatenate(out_q).astype(np.int64))


def _in_sorted(keys: IntArray, sorted_arr: IntArray) -> BoolArray:
    pos = np.minimum(np.searchsorted(sorted_arr, keys), len(sorted_arr) - 1)
    found: BoolArray = sorted_arr[pos] == keys
    return found


def _reroute_small(net: _Net, s: IntArray, i: IntArray, j: IntArray, q: IntArray, drop: BoolArray,
                   lane_open: BoolArray, closed_arcs: IntArray) -> Rows:
    """Drop the rows in `drop` and, one by one, give each one's destination the units it loses from the source
    where that pays most (an existing transfer of the SKU into it grows, or a new one of at least the minimum
    opens): a greedy stand-in for re-solving the SKU with the arc closed."""
    N, m = net.N, max(net.min_qty, 1)
    keep = ~drop
    s_all, j_all = s, j
    s, i, j, q = s[keep], i[keep], j[keep], q[keep].copy()
    after = _after(net, s, i, j, q)
    out = np.zeros_like(net.stock)
    np.add.at(out, (i, s), q)
    drop_s, drop_j = s_all[drop], j_all[drop]
    row_of = {k: r for r, k in enumerate(((s * N + i) * N + j).tolist())}
    added: dict[int, int] = {}  # key -> qty of new rows
    lanes = np.arange(N, dtype=np.int64)
    for ss, b in zip(drop_s.tolist(), drop_j.tolist()):
        deficit = int(net.dem[b, ss] - after[b, ss])
        if deficit <= 0:
            continue
        price = int(net.price[ss])
        spare = net.movable[:, ss] - out[:, ss]
        keys = (ss * N + lanes) * N + b
        exists = np.array([k in row_of or k in added for k in keys.tolist()])
        k = np.minimum(spare, deficit)
        k = np.where(exists, k, np.maximum(k, m))
        ok = lane_open[:, b] & (spare >= k) & (k > 0) & (net.unit[:, b] < price)
        if net.lane_cap is not None:
            cur = np.array([q[row_of[x]] if x in row_of else added.get(x, 0) for x in keys.tolist()])
            ok &= net.lane_cap[:, b] >= k + cur
        if len(closed_arcs):
            ok &= ~_in_sorted(keys, closed_arcs)
        if not ok.any():
            continue
        dem_src, aft_src = net.dem[:, ss], after[:, ss]
        src_loss = np.maximum(dem_src - (aft_src - k), 0) - np.maximum(dem_src - aft_src, 0)
        val = price * (np.minimum(k, deficit) - src_loss) - net.unit[:, b] * k
        val = np.where(ok, val, -1)
        a = int(np.argmax(val))
        if val[a] <= 0:
            continue
        kk, key = int(k[a]), int(keys[a])
        after[a, ss] -= kk
        after[b, ss] += kk
        out[a, ss] += kk
        if key in row_of:
            q[row_of[key]] += kk
        else:
            added[key] = added.get(key, 0) + kk
    if added:
        keys = np.fromiter(added.keys(), np.int64, len(added))
        s = np.concatenate([s, keys // (N * N)])
        i = np.concatenate([i, (keys // N) % N])
        j = np.concatenate([j, keys % N])
        q = np.concatenate([q, np.fromiter(added.values(), np.int64, len(added))])
    return s, i, j, q


def _after(net: _Net, s: IntArray, i: IntArray, j: IntArray, q: IntArray) -> IntArray:
    after = net.stock.copy()
    np.add.at(after, (i, s), -q)
    np.add.at(after, (j, s), q)
    return after


def _removal_value(net: _Net, after: IntArray, s: IntArray, i: IntArray, j: IntArray, q: IntArray) -> IntArray:
    """Per row: transfer + shortfall cost of its SKU without this row minus with it (> 0: it pays), no fixed cost."""
    dj, di = net.dem[j, s], net.dem[i, s]
    aj, ai = after[j, s], after[i, s]
    short_j = np.maximum(dj - (aj - q), 0) - np.maximum(dj - aj, 0)  # units short again at j
    short_i = np.maximum(di - ai, 0) - np.maximum(di - (ai + q), 0)  # units i no longer lacks
    value: IntArray = net.price[s] * (short_j - short_i) - net.unit[i, j] * q
    return value


def _shortfall_total(net: _Net, after: IntArray) -> int:
    return int((np.maximum(net.dem - after, 0).sum(axis=0) * net.price).sum())


def _raise_small(net: _Net, s: IntArray, i: IntArray, j: IntArray, q: IntArray) -> tuple[IntArray, BoolArray]:
    """Rows below the minimum: raise to it where the source can spare the units and it pays (vs dropping);
    returns new q and the mask of rows that must go (arc closed, SKU re-solved)."""
    m = net.min_qty
    small = np.flatnonzero(q < m)
    drop = np.zeros(len(q), dtype=bool)
    if len(small) == 0:
        return q, drop
    q = q.copy()
    after = _after(net, s, i, j, q)
    out = np.zeros_like(net.stock)
    np.add.at(out, (i, s), q)
    for r in small.tolist():  # few rows; sequential because raises share the source's spare units
        ss, a, b, qq = int(s[r]), int(i[r]), int(j[r]), int(q[r])
        extra = m - qq
        spare = int(net.movable[a, ss]) - int(out[a, ss])
        cap_ok = net.lane_cap is None or int(net.lane_cap[a, b]) >= m
        price, c = int(net.price[ss]), int(net.unit[a, b])
        da, db, aa, ab = int(net.dem[a, ss]), int(net.dem[b, ss]), int(after[a, ss]), int(after[b, ss])
        # value change of raising (units taken from a, given to b) and of dropping the row
        d_raise = c * extra + price * (max(da - (aa - extra), 0) - max(da - aa, 0)
                                       - (max(db - ab, 0) - max(db - (ab + extra), 0)))
        d_drop = -c * qq + price * (max(db - (ab - qq), 0) - max(db - ab, 0)
                                    - (max(da - aa, 0) - max(da - (aa + qq), 0)))
        if spare >= extra and cap_ok and d_raise <= d_drop:
            q[r] = m
            after[a, ss] -= extra
            after[b, ss] += extra
            out[a, ss] += extra
        else:
            drop[r] = True
    return q, drop


def _lane_margin(net: _Net, i: IntArray, j: IntArray, value: IntArray) -> FloatArray:
    # float64 with weights (the stubs say int; astype copies nothing)
    return np.bincount(i * net.N + j, weights=value, minlength=net.N * net.N).astype(float, copy=False).reshape(
        net.N, net.N)


def solve_rebalance(p: RebalanceProblem, progress: Callable[[int, int], None] | None = None,
                    skip_balanced: bool = True) -> RebalancePlan:
    t0 = time.perf_counter()
    net = _Net(p)
    N, S = net.N, net.S
    before = _shortfall_total(net, net.stock)
    stats: dict[str, int] = {"skus": S}
    lane_open = net.open.copy()
    if p.fixed_cost is not None:
        lane_open &= _lane_upper_bound(net) > net.fixed  # a lane whose best case cannot pay never opens
    active = _active_skus(net, lane_open) if skip_balanced else np.arange(S, dtype=np.int64)
    stats["skus_solved"] = int(len(active))
    closed_arcs = np.zeros(0, np.int64)  # keys (s * N + i) * N + j
    s, i, j, q = _solve_flows(net, active, lane_open, closed_arcs)
    if progress:
        progress(S, S)
    after = _after(net, s, i, j, q)
    stats["saving_bound_paise"] = before - _shortfall_total(net, after) - int((net.unit[i, j] * q).sum())
    rounds, resolved = 0, 0
    while True:
        q, drop = _raise_small(net, s, i, j, q)
        if drop.any() and rounds >= RESOLVE_SMALL_ROUNDS:
            closed_arcs = np.union1d(closed_arcs, (s[drop] * N + i[drop]) * N + j[drop])
            s, i, j, q = _reroute_small(net, s, i, j, q, drop, lane_open, closed_arcs)
            drop = q < net.min_qty  # none: rerouted rows meet the minimum
        after = _after(net, s, i, j, q)
        val = _removal_value(net, after, s, i, j, q)
        lane_margin = _lane_margin(net, i[~drop], j[~drop], val[~drop])
        used = np.zeros((N, N), dtype=bool)
        used[i[~drop], j[~drop]] = True
        losing = used & (lane_margin < net.fixed)
        if not drop.any() and not losing.any():
            break
        if rounds == MAX_ROUNDS:  # out of rounds: drop what still loses
            keep = ~drop & ~losing[i, j]
            s, i, j, q = s[keep], i[keep], j[keep], q[keep]
            drop_more = True
            while drop_more:  # removing rows can make another lane lose
                after = _after(net, s, i, j, q)
                val = _removal_value(net, after, s, i, j, q)
                lane_margin = _lane_margin(net, i, j, val)
                bad = (lane_margin[i, j] < net.fixed[i, j]) | (val <= 0)
                drop_more = bool(bad.any())
                s, i, j, q = s[~bad], i[~bad], j[~bad], q[~bad]
            break
        rounds += 1
        lane_open &= ~losing
        if drop.any():
            closed_arcs = np.union1d(closed_arcs, (s[drop] * N + i[drop]) * N + j[drop])
        redo = np.unique(np.concatenate([s[drop], s[losing[i, j]]]))
        resolved += len(redo)
        keep = ~np.isin(s, redo)
        ns, ni, nj, nq = _solve_flows(net, redo, lane_open, closed_arcs)
        s, i, j, q = (np.concatenate([s[keep], ns]), np.concatenate([i[keep], ni]),
                      np.concatenate([j[keep], nj]), np.concatenate([q[keep], nq]))
    stats.update(rounds=rounds, skus_resolved=int(resolved))
    order = np.lexsort((j, i, s))
    s, i, j, q = s[order], i[order], j[order], q[order]
    if p.budget_paise is not None and len(s):
        s, i, j, q = _budget(net, p.budget_paise, s, i, j, q)
    after = _after(net, s, i, j, q)
    # a transfer that avoids less shortfall than its own unit cost loses money even on a lane that is
    # open anyway: dropping it can only help (the lane's fixed cost stays with the others)
    while len(s):
        margin = _removal_value(net, after, s, i, j, q)
        if (margin > 0).all():
            break
        worst = int(np.argmin(margin))
        s, i, j, q = (np.delete(a, worst) for a in (s, i, j, q))
        after = _after(net, s, i, j, q)
    # each lane's fixed cost is shared over its transfers in proportion to what each avoids net of its
    # unit cost (its margin), the remainder on the lane's first transfer: a transfer's saving is then
    # its margin x (1 - fixed / lane margin), > 0 for every transfer of a lane that pays
    unit_part = net.unit[i, j] * q
    lane = i * N + j
    margin = np.maximum(_removal_value(net, after, s, i, j, q), 0) if len(s) else np.zeros(0, dtype=np.int64)
    lane_m = np.bincount(lane, weights=margin, minlength=N * N)
    fixed_lane = net.fixed.ravel()
    lane_q = np.bincount(lane, weights=q, minlength=N * N)
    weight = np.where(lane_m[lane] > 0, margin / np.maximum(lane_m[lane], 1e-9), q / np.maximum(lane_q[lane], 1))
    share = np.floor(fixed_lane[lane] * weight).astype(np.int64)
    rem = fixed_lane - np.bincount(lane, weights=share, minlength=N * N).astype(np.int64)
    first = np.ones(len(lane), dtype=bool)
    if len(lane):
        # first row of each lane in (s, i, j) order
        _, idx = np.unique(lane, return_index=True)
        first[:] = False
        first[idx] = True
    share = share + np.where(first, rem[lane], 0)
    cost = unit_part + share
    # each transfer's own justification: the shortfall cost it avoids, all else as planned
    saving = (margin + unit_part - cost).astype(np.int64) if len(s) else np.zeros(0, dtype=np.int64)
    transfers = [PlannedTransfer(p.nodes[a], p.nodes[b], p.skus[k], qq, cc, sv)
                 for k, a, b, qq, cc, sv in zip(s.tolist(), i.tolist(), j.tolist(), q.tolist(), cost.tolist(),
                                                saving.tolist())]
    stats.update(transfers=len(transfers), lanes=int(len(np.unique(lane))))
    return RebalancePlan(transfers, int(before), _shortfall_total(net, after), int(cost.sum()),
                         time.perf_counter() - t0, stats)


def _budget(net: _Net, budget: int, s: IntArray, i: IntArray, j: IntArray, q: IntArray) -> Rows:
    """Whole transfers by net saving per paisa (lane fixed cost shared over its transfers) within the budget."""
    N = net.N
    after = _after(net, s, i, j, q)
    val = _removal_value(net, after, s, i, j, q)
    lane = i * N + j
    n_lane = np.bincount(lane, minlength=N * N)
    fixed = net.fixed[i, j]
    unit_part = net.unit[i, j] * q
    ratio = (val - fixed / n_lane[lane]) / np.maximum(unit_part + fixed / n_lane[lane], 1)
    order = np.lexsort((j, i, s, -ratio))
    opened: set[int] = set()
    spent = 0
    taken: list[int] = []
    for r in order.tolist():
        c = int(unit_part[r]) + (0 if int(lane[r]) in opened else int(fixed[r]))
        if spent + c <= budget:
            taken.append(r)
            spent += c
            opened.add(int(lane[r]))
    kept = np.sort(np.array(taken, dtype=np.int64))
    s, i, j, q = s[kept], i[kept], j[kept], q[kept]
    # a lane whose kept transfers no longer pay its fixed cost goes
    after = _after(net, s, i, j, q)
    val = _removal_value(net, after, s, i, j, q)
    margin = _lane_margin(net, i, j, val)
    ok = margin[i, j] >= net.fixed[i, j]
    return s[ok], i[ok], j[ok], q[ok]

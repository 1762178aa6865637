"""Transfer plan: move stock towards forecast demand at least total cost.

Per SKU, a min-cost flow (OR-Tools SimpleMinCostFlow):

    source i (supply = stock_i) --local, 0--> demand j=i --(cap f_j, -p)--> T
    source i --(cap stock_i - safety_i)--> movable i --(c_ij per unit,
                                     lane cap)--> demand j
    source i --(excess, 0)--> T

where f_j is the forecast demand at j, p the shortfall cost per unit of the
SKU and c_ij the per-unit transfer cost (per-unit-km x km). Its optimum is
the exact minimum of transfer cost + expected shortfall cost when lanes have
no fixed cost and no minimum quantity. Those two, and the budget, are not
flow constraints; they are enforced by repair, which is a heuristic:
- a transfer below the minimum quantity is raised to it when the source can
  spare the units and that pays, else its lane is closed and the SKU
  re-solved;
- a transfer whose fixed lane cost exceeds what it saves is closed the same
  way (one lane per round, worst first, until none is left);
- with a budget, whole transfers are taken in order of net saving per paisa
  of transfer cost until the budget is spent.
Costs are integer paise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

MAX_ROUNDS = 8  # re-solves per SKU after closing losing lanes; then losing transfers are dropped


@dataclass
class RebalanceProblem:
    nodes: list[str]
    skus: list[str]
    stock: np.ndarray  # (N, S) on hand (after reservations)
    demand: np.ndarray  # (N, S) forecast demand for the horizon
    unit_cost: np.ndarray  # (N, N) paise per unit moved i -> j
    shortfall_cost: np.ndarray  # (S,) paise per unit of unmet demand
    safety: np.ndarray | None = None  # (N, S) never moved out
    fixed_cost: np.ndarray | None = None  # (N, N) paise per lane shipment (per SKU moved)
    lane_cap: np.ndarray | None = None  # (N, N) units per SKU, -1 = unlimited
    allowed: np.ndarray | None = None  # (N, N) bool lane exists
    min_qty: int = 1
    budget_paise: int | None = None


@dataclass
class Transfer:
    src: str
    dst: str
    sku: str
    qty: int
    cost_paise: int


@dataclass
class RebalancePlan:
    transfers: list[Transfer]
    shortfall_before_paise: int
    shortfall_after_paise: int
    transfer_cost_paise: int
    seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def saving_paise(self) -> int:
        return self.shortfall_before_paise - self.shortfall_after_paise - self.transfer_cost_paise


def _shortfall(stock_after: np.ndarray, demand: np.ndarray, price: int) -> int:
    return int(np.maximum(demand - stock_after, 0).sum()) * int(price)


def _sku_flow(p: RebalanceProblem, s: int, closed: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    N = len(p.nodes)
    stock = p.stock[:, s].astype(np.int64)
    dem = p.demand[:, s].astype(np.int64)
    safety = np.zeros(N, np.int64) if p.safety is None else p.safety[:, s].astype(np.int64)
    movable = np.maximum(stock - safety, 0)
    price = int(p.shortfall_cost[s])
    # only lanes from nodes with spare units (beyond own demand or not) to nodes short
    short = np.flatnonzero(dem > stock)
    src = np.flatnonzero(movable > 0)
    if len(short) == 0 or len(src) == 0:
        return {}
    # node ids: source i = i, demand j = N + j, movable i = 2N + i, T = 3N
    T = 3 * N
    tails, heads, caps, costs = [], [], [], []

    def arc(t, h, c, k):
        tails.append(t); heads.append(h); caps.append(int(c)); costs.append(int(k))

    total = int(stock.sum())
    for i in range(N):
        if stock[i] > 0:
            arc(i, N + i, stock[i], 0)
            arc(i, T, stock[i], 0)
        if dem[i] > 0:
            arc(N + i, T, dem[i], -price)
        if movable[i] > 0:
            arc(i, 2 * N + i, movable[i], 0)
    # candidate lanes src x short, vectorised (a per-pair Python loop dominated the run time)
    I, J = np.meshgrid(src, short, indexing="ij")
    I, J = I.ravel(), J.ravel()
    ok = I != J
    if closed:
        cl = np.zeros((N, N), dtype=bool)
        ci, cj = zip(*closed)
        cl[list(ci), list(cj)] = True
        ok &= ~cl[I, J]
    if p.allowed is not None:
        ok &= p.allowed[I, J]
    c_all = p.unit_cost[I, J].astype(np.int64)
    ok &= c_all < price  # a lane costing more than the shortfall never pays
    cap_all = movable[I]
    if p.lane_cap is not None:
        lc = p.lane_cap[I, J]
        cap_all = np.where(lc < 0, cap_all, np.minimum(cap_all, lc))
    ok &= cap_all > 0
    # a lane whose best case cannot pay its fixed cost, or cannot carry the minimum, never opens
    gain = np.minimum(cap_all, (dem - stock)[J]) * (price - c_all)
    if p.fixed_cost is not None:
        ok &= gain > p.fixed_cost[I, J]
    ok &= cap_all >= p.min_qty
    I, J, c_all, cap_all = I[ok], J[ok], c_all[ok], cap_all[ok]
    lanes = []
    for i, j, c, k in zip(I.tolist(), J.tolist(), c_all.tolist(), cap_all.tolist()):
        lanes.append((len(tails), i, j))
        arc(2 * N + i, N + j, k, c)
    if not lanes:
        return {}
    f = min_cost_flow.SimpleMinCostFlow()
    f.add_arcs_with_capacity_and_unit_cost(np.array(tails), np.array(heads), np.array(caps), np.array(costs))
    supplies = np.zeros(3 * N + 1, dtype=np.int64)
    supplies[:N] = stock
    supplies[T] = -total
    f.set_nodes_supplies(np.arange(3 * N + 1), supplies)
    if f.solve() != f.OPTIMAL:
        raise RuntimeError(f"min cost flow failed for SKU {p.skus[s]}")
    out = {}
    flows = f.flows(np.array([a for a, _, _ in lanes]))
    for (a, i, j), q in zip(lanes, flows):
        if q > 0:
            out[(i, j)] = int(q)
    return out


def _sku_value(p: RebalanceProblem, s: int, moves: dict[tuple[int, int], int]) -> int:
    """Transfer cost + shortfall cost of this SKU under `moves`."""
    after = p.stock[:, s].astype(np.int64).copy()
    cost = 0
    for (i, j), q in moves.items():
        after[i] -= q
        after[j] += q
        cost += _lane_cost(p, i, j, q)
    return cost + _shortfall(after, p.demand[:, s], p.shortfall_cost[s])


def _lane_cost(p: RebalanceProblem, i: int, j: int, q: int) -> int:
    fixed = 0 if p.fixed_cost is None else int(p.fixed_cost[i, j])
    return int(p.unit_cost[i, j]) * q + fixed


def _solve_sku(p: RebalanceProblem, s: int) -> dict[tuple[int, int], int]:
    closed: set[tuple[int, int]] = set()
    safety = np.zeros(len(p.nodes), np.int64) if p.safety is None else p.safety[:, s]
    moves: dict[tuple[int, int], int] = {}
    for _ in range(MAX_ROUNDS):
        moves = _sku_flow(p, s, closed)
        if not moves:
            return {}
        base = _sku_value(p, s, moves)
        worst, worst_loss = None, 0
        losing: set[tuple[int, int]] = set()
        for (i, j), q in sorted(moves.items()):
            if q < p.min_qty:
                # raise to the minimum when the source can spare it and it pays
                spare = int(p.stock[i, s] - safety[i]) - sum(v for (a, _), v in moves.items() if a == i)
                cap_ok = p.lane_cap is None or p.lane_cap[i, j] < 0 or p.lane_cap[i, j] >= p.min_qty
                raised = {**moves, (i, j): p.min_qty}
                without = {k: v for k, v in moves.items() if k != (i, j)}
                if spare >= p.min_qty - q and cap_ok and _sku_value(p, s, raised) <= _sku_value(p, s, without):
                    moves = raised
                    base = _sku_value(p, s, moves)
                    continue
                loss = 1 << 60  # must go
            else:
                without = {k: v for k, v in moves.items() if k != (i, j)}
                loss = base - _sku_value(p, s, without)  # > 0: the transfer loses money
            if loss > 0:
                losing.add((i, j))
            if loss > worst_loss:
                worst, worst_loss = (i, j), loss
        if worst is None:
            return moves
        # close every losing lane of this round at once (one lane per round re-solved the SKU
        # up to 4N times: 50 x 1,000 took > 90 s); the next round re-checks the rest
        closed |= losing
    # out of rounds: keep the transfers that meet the minimum and pay for themselves on their own
    for key in sorted(moves):
        if key not in moves:
            continue
        without = {k: v for k, v in moves.items() if k != key}
        if moves[key] < p.min_qty or _sku_value(p, s, without) <= _sku_value(p, s, moves):
            moves = without
    return moves


def solve_rebalance(p: RebalanceProblem, progress=None) -> RebalancePlan:
    t0 = time.perf_counter()
    S = len(p.skus)
    per_sku: list[dict] = []
    before = 0
    for s in range(S):
        before += _shortfall(p.stock[:, s], p.demand[:, s], p.shortfall_cost[s])
        per_sku.append(_solve_sku(p, s))
        if progress and (s % 100 == 0 or s == S - 1):
            progress(s + 1, S)
    # candidate transfers with their net saving (removal value)
    items = []
    for s, moves in enumerate(per_sku):
        for (i, j), q in moves.items():
            without = {k: v for k, v in moves.items() if k != (i, j)}
            saving = _sku_value(p, s, without) - _sku_value(p, s, moves)
            items.append((s, i, j, q, _lane_cost(p, i, j, q), saving))
    if p.budget_paise is not None:
        items.sort(key=lambda t: (-(t[5] / max(t[4], 1)), t[0], t[1], t[2]))
        kept, spent = [], 0
        for it in items:
            if spent + it[4] <= p.budget_paise:
                kept.append(it)
                spent += it[4]
        items = kept
    items.sort(key=lambda t: (t[0], t[1], t[2]))
    after = p.stock.astype(np.int64).copy()
    transfers, cost = [], 0
    for s, i, j, q, c, _ in items:
        after[i, s] -= q
        after[j, s] += q
        cost += c
        transfers.append(Transfer(p.nodes[i], p.nodes[j], p.skus[s], int(q), int(c)))
    short_after = sum(_shortfall(after[:, s], p.demand[:, s], p.shortfall_cost[s]) for s in range(S))
    return RebalancePlan(transfers, int(before), int(short_after), int(cost), time.perf_counter() - t0,
                         {"skus": S, "transfers": len(transfers)})

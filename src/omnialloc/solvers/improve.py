"""Local search that improves a plan: better incumbents for the exact methods.

A plan is a matrix of contents per candidate node (plus unfilled units). Moves, each priced
for every target node at once with `Instance.own_node_costs` (one vectorised call):
- move some units of a line (a keep-together group moves whole) from one node to another node
  or, with partial fill, to "unfilled";
- ship unfilled units from a node (partial fill);
- move a whole shipment to a node that does not ship yet.
Each step takes the move that lowers the plan's cost the most (ties: the first node in
candidate order, the first line), until no move helps or the budget is spent. Every plan it
returns is re-priced exactly and checked against every hard constraint, so it is only ever an
incumbent - never a bound, never a proof.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

from .assemble import Sol, best_lane, make_sol, sol_from_ships, violations
from . import costs
from .budget import Budget, OutOfBudget
from .costs import INF, BoolArray, IntArray
from .instance import Instance

# Work units per vectorised pricing of one content per node, per lane (measured ~0.15 us).
_UNITS_PER_LANE_EVAL = 0.2
_UNITS_PER_STEP = 40.0
_UNITS_PER_LANE_PICK = 40.0  # pricing one content at one node (`best_lane`)

Source: TypeAlias = int | tuple[str, int, int]
"""Where a move takes units from: a candidate node, -1 (unfilled), or ("merge", a, c): two shipments."""
Move: TypeAlias = tuple[int, Source, int, IntArray]
"""(delta, source, target, units per line) of one move."""


def _items(inst: Instance) -> list[tuple[IntArray, bool]]:
    """What moves between nodes: each line outside a group (by the unit), each group (whole)."""
    grouped: set[int] = set()
    out = []
    for g in inst.groups:
        vec = np.zeros(inst.n_lines, dtype=np.int64)
        vec[g] = inst.q[g]
        out.append((vec, False))
        grouped.update(int(x) for x in g)
    for l in range(inst.n_lines):
        if l not in grouped:
            vec = np.zeros(inst.n_lines, dtype=np.int64)
            vec[l] = 1
            out.append((vec, True))
    return out


class _State:
    def __init__(self, inst: Instance, sol: Sol) -> None:
        self.inst = inst
        self.Q = np.zeros((inst.n_cand, inst.n_lines), dtype=np.int64)
        for c, _, qty in sol.ships:
            self.Q[c] = qty
        self.U = np.array(sol.unfilled, dtype=np.int64)
        self.cost = np.where(self.Q.sum(axis=1) > 0, self.price(self.Q), 0)

    def price_plus(self, M: IntArray) -> IntArray:
        """(moves, nodes): each node's cost if it also took move M[i] - from the nodes'
        running weight, volume, value, lookahead and stock use plus the move's, without
        re-reading every node's contents (the hot loop of the search)."""
        inst = self.inst
        Q = self.Q
        w = (Q @ inst.w)[None, :] + (M @ inst.w)[:, None]  # (moves, nodes)
        vol = (Q @ inst.vol)[None, :] + (M @ inst.vol)[:, None]
        val = (Q @ inst.v)[None, :] + (M @ inst.v)[:, None]
        look = np.sum(Q * inst.price, axis=1)[None, :] + M @ inst.price.T
        need = (Q @ inst.sku_onehot)[None, :, :] + (M @ inst.sku_onehot)[:, None, :]
        ok = np.all(need <= inst.stock[None, :, :], axis=2) & (val >= inst.minval)
        if inst.groups:
            ok &= inst.group_ok((Q[None, :, :] + M[:, None, :]).reshape(-1, inst.n_lines)).reshape(ok.shape)
        ln = inst.lane_node
        W, V = w[:, ln], vol[:, ln]
        billed = costs.billed_grams(W, V, inst.div)
        total = costs.carrier_charge(costs.slab_count(billed, inst.slab), inst.first, inst.add)
        if inst.is_cod:
            total = total + costs.cod_fee(val[:, ln], inst.cod_fixed, inst.cod_bp)
        total = total + inst.lane_fixed + inst.node_fixed[ln] + look[:, ln]
        total = np.where(ok[:, ln] & (W <= inst.maxw), total, INF)
        padded = np.where(inst.node_lanes >= 0, inst.node_lanes, 0)
        per = np.where(inst.node_lanes >= 0, total[:, padded], INF)
        cheapest: IntArray = per.min(axis=2)
        return cheapest

    def price(self, Q: IntArray) -> IntArray:
        """Each row's cost at its own node (INF where that node cannot ship it); Q may carry
        leading batch axes."""
        inst = self.inst
        best, _ = inst.own_node_costs(Q)
        ok = inst.group_ok(Q.reshape(-1, Q.shape[-1])).reshape(Q.shape[:-1]) & (Q @ inst.v >= inst.minval)
        return np.where(ok, best, INF)

    @property
    def shipments(self) -> int:
        return int(np.count_nonzero(self.Q.sum(axis=1)))

    def split_cost(self, k: int) -> int:
        return int(self.inst.split) * max(k - 1, 0)


def local_search(inst: Instance, sol: Sol, budget: Budget) -> Sol:
    """A plan at least as cheap as `sol` (the budget may stop the search early)."""
    if inst.n_cand == 0:
        return sol
    st = _State(inst, sol)
    items = _items(inst)
    per_eval = _UNITS_PER_LANE_EVAL * len(inst.lane_src)
    try:
        while True:
            budget.charge(_UNITS_PER_STEP)
            move = _best_move(inst, st, items, per_eval, budget)
            if move is None:
                break
            _apply(st, *move)
    except OutOfBudget:
        pass
    cand = _to_sol(inst, st)
    if cand is not None and cand.cost < sol.cost and not violations(inst, cand):
        return cand
    return sol


def _best_move(
    inst: Instance, st: _State, items: list[tuple[IntArray, bool]], per_eval: float, budget: Budget
) -> Move | None:
    """(delta, source, target, units) of the best improving move, or None; source and target
    are candidate nodes, or -1 for "unfilled". All moves out of one source are priced at every
    target in one batched call."""
    k = st.shipments
    empty = st.Q.sum(axis=1) == 0
    best: Move | None = None

    def consider(delta: int, a: Source, b: int, move: IntArray) -> None:
        nonlocal best
        if delta < 0 and (best is None or delta < best[0]):
            best = (delta, a, b, move)

    sources = [int(a) for a in np.flatnonzero(~empty)] + ([-1] if inst.partial and st.U.any() else [])
    for a in sources:
        held = st.U if a < 0 else st.Q[a]
        moves = []
        for vec, by_unit in items:
            if by_unit:
                have = int(held[np.flatnonzero(vec)[0]])
                moves += [vec * d for d in sorted({have, 1})] if have else []
            elif np.array_equal(np.where(vec > 0, held, 0), vec):
                moves.append(vec)
        if not moves:
            continue
        M = np.array(moves)
        if a >= 0:
            rest = st.Q[a][None, :] - M
            gone = rest.sum(axis=1) == 0
            budget.charge(_UNITS_PER_LANE_PICK * len(M))
            lanes = inst.node_lanes[a][inst.node_lanes[a] >= 0]
            a_new = np.where(gone, 0, inst.content_costs(rest, lanes).min(axis=1))
            a_delta = a_new - int(st.cost[a])
            k_a = k - gone.astype(np.int64)
        else:
            a_new = np.zeros(len(M), dtype=np.int64)
            a_delta = -int(inst.pen) * M.sum(axis=1)
            k_a = np.full(len(M), k)
        budget.charge(per_eval * len(M))
        new = st.price_plus(M)  # (moves, nodes)
        k_b = k_a[:, None] + empty[None, :].astype(np.int64)
        ok = (new < INF) & (k_b <= inst.kmax) & (a_new < INF)[:, None]
        if a >= 0:
            ok[:, a] = False
        delta = np.where(ok, new - st.cost[None, :] + a_delta[:, None] + _split(inst, k_b) - st.split_cost(k), INF)
        flat = int(np.argmin(delta))
        i, b = divmod(flat, delta.shape[1])
        if delta[i, b] < INF:
            consider(int(delta[i, b]), a, b, M[i])
        if a >= 0 and inst.partial:
            d_unf = a_delta + int(inst.pen) * M.sum(axis=1) + _split(inst, k_a) - st.split_cost(k)
            d_unf = np.where(a_new < INF, d_unf, INF)
            i = int(np.argmin(d_unf))
            if d_unf[i] < INF:
                consider(int(d_unf[i]), a, -1, M[i])
        if a >= 0:
            # The whole shipment: to a node that does not ship yet, or into another shipment.
            budget.charge(per_eval)
            new = st.price_plus(st.Q[a][None, :])[0]
            into = ~empty & (np.arange(len(empty)) != a)
            delta = np.where(new < INF, new - int(st.cost[a]) - np.where(into, st.cost, 0), INF)
            delta = np.where(into, delta - (st.split_cost(k) - st.split_cost(k - 1)), delta)
            delta[a] = INF
            b = int(np.argmin(delta))
            if delta[b] < INF:
                consider(int(delta[b]), a, b, st.Q[a].copy())
    # Two shipments into one that does not ship yet (a single unit at a time cannot get there
    # when each step alone costs more).
    used = [int(a) for a in np.flatnonzero(~empty)]
    pairs = [(a, c) for i, a in enumerate(used) for c in used[i + 1:]]
    if pairs:
        both = np.array([st.Q[a] + st.Q[c] for a, c in pairs])
        budget.charge(per_eval * len(pairs))
        new = np.where(empty[None, :], st.price_plus(both), INF)
        base = np.array([int(st.cost[a]) + int(st.cost[c]) for a, c in pairs])
        delta = new - base[:, None] - (st.split_cost(k) - st.split_cost(k - 1))
        i, b = divmod(int(np.argmin(delta)), delta.shape[1])
        if delta[i, b] < INF // 2:
            a, c = pairs[i]
            consider(int(delta[i, b]), ("merge", a, c), b, both[i])
    return best


def _split(inst: Instance, k: IntArray) -> IntArray:
    cost: IntArray = int(inst.split) * np.maximum(k - 1, 0)
    return cost


def _apply(st: _State, delta: int, a: Source, b: int, move: IntArray) -> None:
    if isinstance(a, tuple):  # ("merge", a, c): both shipments' contents to b
        _, a, c = a
        st.Q[a] = 0
        st.Q[c] = 0
        st.Q[b] = move
        for n in {a, b, c}:
            st.cost[n] = best_lane(st.inst, n, st.Q[n])[1] if st.Q[n].any() else 0
        return
    if a >= 0:
        st.Q[a] -= move
    else:
        st.U -= move
    if b >= 0:
        st.Q[b] += move
    else:
        st.U += move
    for c in {a, b} - {-1}:
        st.cost[c] = best_lane(st.inst, c, st.Q[c])[1] if st.Q[c].any() else 0


def _to_sol(inst: Instance, st: _State) -> Sol | None:
    _, lane = inst.own_node_costs(st.Q)
    ships = []
    for c in np.flatnonzero(st.Q.sum(axis=1) > 0):
        if lane[c] < 0:
            return None
        ships.append((int(c), int(lane[c]), st.Q[c]))
    return sol_from_ships(inst, ships, st.U)


def starts(inst: Instance, per_kind: int = 4) -> list[Sol]:
    """Different places to start from: one node ships all it can of the order (the nodes that
    cover the most units, and those cheapest per unit by their floor and per-gram rate), and
    `baselines.greedy_fill` completes the rest. Diversity for `local_search`."""
    from .baselines import greedy_fill
    from .bounds import shipment_floor

    if inst.n_cand == 0:
        return []
    cap = np.zeros((inst.n_cand, inst.n_lines), dtype=np.int64)
    left = inst.stock.copy()
    for l in range(inst.n_lines):  # lines sharing a SKU share the node's stock
        sk = int(inst.line_sku[l])
        cap[:, l] = np.minimum(left[:, sk], inst.q[l])
        left[:, sk] -= cap[:, l]
    units = cap.sum(axis=1)
    rate = np.min(inst.add / inst.slab) if len(inst.add) else 0.0
    est = shipment_floor(inst) + cap @ (rate * inst.w) + np.sum(cap * inst.price, axis=1)
    per_unit = np.where(units > 0, est / np.maximum(units, 1), np.inf)
    chosen: list[int] = []
    for order in (np.argsort(-units, kind="stable"), np.argsort(per_unit, kind="stable")):
        for n in order[:per_kind]:
            if units[n] > 0 and int(n) not in chosen:
                chosen.append(int(n))
    plans = []
    for n in chosen:
        Qn = np.zeros_like(cap)
        Qn[n] = cap[n]
        if inst.own_node_costs(Qn)[0][n] < INF:
            plans.append(greedy_fill(inst, Qn))
    if inst.kmax < inst.n_cand:
        # At most K shipments: cover the order with K nodes first (each time the node holding
        # most of what is still uncovered), then fill among those nodes only.
        plans.append(greedy_fill(inst, np.zeros_like(cap), allowed=_cover(inst, cap)))
    out = []
    for res in plans:
        if isinstance(res, str):
            continue
        sol = make_sol(inst, *res)
        if sol is not None and not violations(inst, sol):
            out.append(sol)
    return out


def _cover(inst: Instance, cap: IntArray) -> BoolArray:
    left = inst.q.copy()
    allowed = np.zeros(inst.n_cand, dtype=bool)
    for _ in range(int(inst.kmax)):
        gain = np.where(allowed, -1, np.minimum(cap, left[None, :]).sum(axis=1))
        n = int(np.argmax(gain))
        if gain[n] <= 0:
            break
        allowed[n] = True
        left = np.maximum(left - cap[n], 0)
    return allowed

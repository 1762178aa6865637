"""An `AllocationProblem` compiled to numpy arrays, plus eligibility verdicts.

Compiling does the work every strategy needs once: it decides which nodes
are candidates (not forbidden, capacity left, some order SKU in stock, a
carrier that serves the lane within the hard SLA), records *why* the others
are not (for the explanation and for INFEASIBLE reasons), drops lanes that
another lane at the same node beats on every term, and folds the per-node and
per-lane fixed terms into integer arrays. `content_costs` then prices any
batch of shipment contents at every candidate lane in one vectorised pass,
and `price_one` itemises one shipment's terms for the plan.

Candidates are ordered by (priority, distance, insertion order) and lanes by
(node, insertion order): every argmin in the solvers takes the first minimum,
so equal-cost ties go to the preferred, nearer node and the earlier lane.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, cast

import numpy as np

from . import costs
from .costs import INF, BoolArray, IntArray
from .problem import AllocationProblem

NO_MAX_WEIGHT = np.int64(1) << np.int64(40)
_NO_MAX_WEIGHT = int(NO_MAX_WEIGHT)


@dataclass
class Verdict:
    """Why a node is not a candidate (or None while it is one)."""

    code: str
    text: str


class LaneLists(TypedDict):
    """`Instance.lists`: the per-line, per-node and per-lane arrays as Python lists (ints)."""

    w: list[int]
    vol: list[int]
    v: list[int]
    div: list[int]
    slab: list[int]
    first: list[int]
    add: list[int]
    cod_fixed: list[int]
    cod_bp: list[int]
    handling: list[int]
    lateness: list[int]
    priority: list[int]
    bonus: list[int]
    lane_bonus: list[int]
    price: list[list[int]]  # (Nc, L)
    distance: list[int]
    penalty: list[int]


@dataclass
class Instance:
    problem: AllocationProblem
    # lines
    line_ids: list[str]
    q: IntArray
    w: IntArray
    v: IntArray
    vol: IntArray
    skus: list[str]
    line_sku: IntArray
    sku_onehot: IntArray  # (L, S): lines -> SKU, for shared stock
    groups: list[IntArray]  # keep-together groups (line indices), merged
    # candidate nodes (indices into problem.nodes), preferred first
    cand: IntArray
    node_handling: IntArray
    node_penalty: IntArray
    node_distance: IntArray
    node_priority: IntArray
    node_bonus: IntArray
    node_fixed: IntArray
    stock: IntArray  # (Nc, S)
    cap_line: IntArray  # (Nc, L): units of each line the node could give alone
    price: IntArray  # (Nc, L) lookahead paise per unit
    # lanes (indices into problem.lanes), grouped by candidate node
    lane_src: IntArray
    lane_node: IntArray  # index into cand
    first: IntArray
    add: IntArray
    slab: IntArray
    div: IntArray
    maxw: IntArray
    cod_fixed: IntArray
    cod_bp: IntArray
    lateness: IntArray
    lane_bonus: IntArray
    lane_fixed: IntArray
    node_lanes: IntArray  # (Nc, Jmax) lane indices, -1 padded
    verdicts: dict[int, Verdict] = field(default_factory=dict)
    infeasible_reason: str | None = None
    # order-level terms
    is_cod: bool = False
    split: int = 0
    pen: int = 0
    partial: bool = False
    kmax: int = 1
    minval: int = 0
    has_volume: bool = False
    has_prices: bool = False
    # Per-instance cache of what several strategies ask: "single", "lists", "contents",
    # "relaxation_lanes", "baseline:<name>" (each reader knows its entry's type).
    memo: dict[str, object] = field(default_factory=dict)

    @property
    def n_lines(self) -> int:
        return len(self.line_ids)

    @property
    def n_cand(self) -> int:
        return len(self.cand)

    def node_code(self, c: int) -> str:
        return self.problem.nodes[int(self.cand[c])].code

    # ----------------------------------------------------------------- pricing
    def content_feasible(self, Q: IntArray) -> BoolArray:
        """(C, Nc) bool: can each candidate ship content row Q[c] alone
        (stock incl. SKUs shared by lines, min shipment value, keep-together)?
        Lane limits (max weight) are checked in `content_costs`."""
        need = Q @ self.sku_onehot  # (C, S)
        ok: BoolArray = np.all(need[:, None, :] <= self.stock[None, :, :], axis=2)
        # The checks that cannot fail are skipped (most orders: a third of pricing a small batch): no
        # keep-together group, and no minimum value (contents and unit values are never negative).
        if self.groups:
            ok &= self.group_ok(Q)[:, None]
        if self.minval > 0:
            ok &= (Q @ self.v >= self.minval)[:, None]
        ok &= Q.sum(axis=1)[:, None] > 0
        return ok

    def group_ok(self, Q: IntArray) -> BoolArray:
        """(C,) bool: each keep-together group is all in or all out."""
        ok = np.ones(Q.shape[0], dtype=bool)
        for g in self.groups:
            full = np.all(Q[:, g] == self.q[g], axis=1)
            none = np.all(Q[:, g] == 0, axis=1)
            ok &= full | none
        return ok

    def content_costs(self, Q: IntArray, lanes: IntArray | None = None) -> IntArray:
        """(C, J) total cost of each content on each lane, INF if impossible.
        Same formulas as `price_one`, vectorised over contents and lanes."""
        if lanes is None:
            lanes = np.arange(len(self.lane_src))
        nodes = self.lane_node[lanes]
        W = (Q @ self.w)[:, None]
        if self.has_volume:
            billed = costs.billed_grams(W, (Q @ self.vol)[:, None], self.div[lanes][None, :])
        else:
            billed = W
        slabs = costs.slab_count(billed, self.slab[lanes][None, :])
        total = costs.carrier_charge(slabs, self.first[lanes][None, :], self.add[lanes][None, :])
        if self.is_cod:
            total = total + costs.cod_fee((Q @ self.v)[:, None], self.cod_fixed[lanes][None, :], self.cod_bp[lanes][None, :])
        total = total + (self.node_fixed[nodes] + self.lane_fixed[lanes])[None, :]
        if self.has_prices:
            total = total + (Q @ self.price[nodes].T)
        ok = self.content_feasible(Q)[:, nodes] & (W <= self.maxw[lanes][None, :])
        return np.where(ok, total, INF)

    def single_costs(self) -> tuple[IntArray, IntArray]:
        """(Nc,) cost and lane of shipping the whole order from each node
        (memoised: the enumeration, baselines and explanation all ask)."""
        if "single" not in self.memo:
            cost, lane = self.node_costs(self.q[None, :])
            self.memo["single"] = (cost[0], lane[0])
        return cast("tuple[IntArray, IntArray]", self.memo["single"])

    def price_one(self, j: int, qty: Iterable[int]) -> dict[str, int]:
        """Every cost term of one shipment of `qty` on lane j, as Python ints
        (plans price a handful of shipments; numpy call overhead would
        dominate). Same formulas as `content_costs`, via `costs`."""
        qty = [int(x) for x in qty]
        c = int(self.lane_node[j])
        lists = self.lists()
        W = sum(a * b for a, b in zip(qty, lists["w"]))
        V = sum(a * b for a, b in zip(qty, lists["vol"]))
        val = sum(a * b for a, b in zip(qty, lists["v"]))
        billed = max(W, int(costs.volumetric_grams(V, lists["div"][j])))
        slabs = int(costs.slab_count(billed, lists["slab"][j]))
        charge = int(costs.carrier_charge(slabs, lists["first"][j], lists["add"][j]))
        cod = int(costs.cod_fee(val, lists["cod_fixed"][j], lists["cod_bp"][j])) if self.is_cod else 0
        return {
            "actual_g": W,
            "billed_g": billed,
            "slabs": slabs,
            "value": val,
            "shipping": charge,
            "cod": cod,
            "handling": lists["handling"][c],
            "lateness": lists["lateness"][j],
            "preference": lists["priority"][c] - lists["bonus"][c] - lists["lane_bonus"][j],
            "lookahead": sum(a * b for a, b in zip(qty, lists["price"][c])),
            "distance": lists["distance"][c],
            "penalty": lists["penalty"][c],
        }

    def lists(self) -> LaneLists:
        if "lists" not in self.memo:
            lists: LaneLists = {
                "w": self.w.tolist(), "vol": self.vol.tolist(), "v": self.v.tolist(),
                "div": self.div.tolist(), "slab": self.slab.tolist(), "first": self.first.tolist(),
                "add": self.add.tolist(), "cod_fixed": self.cod_fixed.tolist(), "cod_bp": self.cod_bp.tolist(),
                "handling": self.node_handling.tolist(), "lateness": self.lateness.tolist(),
                "priority": self.node_priority.tolist(), "bonus": self.node_bonus.tolist(),
                "lane_bonus": self.lane_bonus.tolist(), "price": self.price.tolist(),
                "distance": self.node_distance.tolist(), "penalty": self.node_penalty.tolist(),
            }
            self.memo["lists"] = lists
        return cast(LaneLists, self.memo["lists"])

    def own_node_costs(self, Qn: IntArray) -> tuple[IntArray, IntArray]:
        """Cost of content Qn[c] at node c itself, for every candidate c at
        once (greedy heuristics ask "what if node c also took this?"), and the
        lane achieving it. Qn may carry leading batch axes (..., Nc, L): many
        such "what if" matrices priced in one call (the local search)."""
        Qj = Qn[..., self.lane_node, :]  # (..., J, L) each lane sees its node's content
        W = Qj @ self.w
        billed = costs.billed_grams(W, Qj @ self.vol, self.div)
        charge = costs.carrier_charge(costs.slab_count(billed, self.slab), self.first, self.add)
        if self.is_cod:
            charge = charge + costs.cod_fee(Qj @ self.v, self.cod_fixed, self.cod_bp)
        look = np.sum(Qn * self.price, axis=-1)
        total = charge + self.lane_fixed + self.node_fixed[self.lane_node] + look[..., self.lane_node]
        need = Qn @ self.sku_onehot
        node_ok = np.all(need <= self.stock, axis=-1) & (Qn.sum(axis=-1) > 0)
        ok = node_ok[..., self.lane_node] & (W <= self.maxw)
        total = np.where(ok, total, INF)
        padded = np.where(self.node_lanes >= 0, self.node_lanes, 0)
        per = np.where(self.node_lanes >= 0, total[..., padded], INF)  # (..., Nc, Jmax)
        k = np.argmin(per, axis=-1)
        best = np.take_along_axis(per, k[..., None], axis=-1)[..., 0]
        lane = np.take_along_axis(np.broadcast_to(padded, per.shape), k[..., None], axis=-1)[..., 0]
        return best, np.where(best < INF, lane, -1)

    def node_costs(self, Q: IntArray) -> tuple[IntArray, IntArray]:
        """(C, Nc) cheapest cost of each content at each node and the lane
        achieving it (first lane on ties; -1 and INF where impossible)."""
        lc = self.content_costs(Q)
        padded = np.where(self.node_lanes >= 0, self.node_lanes, 0)
        per = lc[:, padded]  # (C, Nc, Jmax)
        per = np.where((self.node_lanes >= 0)[None, :, :], per, INF)
        k = np.argmin(per, axis=2)
        best = per.min(axis=2)  # the value at k: a reduction costs less than take_along_axis on small arrays
        lane = np.where(best < INF, padded[np.arange(self.n_cand)[None, :], k], -1)
        return best, lane


def merge_groups(groups: list[frozenset[str]]) -> list[set[str]]:
    """Keep-together groups that share a line merged into one: each result is a set of lines shipped whole."""
    merged: list[set[str]] = []
    for group in groups:
        g = set(group)
        keep = []
        for m in merged:
            if m & g:
                g |= m
            else:
                keep.append(m)
        merged = keep + [g]
    return merged


def compile_problem(p: AllocationProblem) -> Instance:
    """Validate `p` and compile it; never raises for an unservable order
    (that is recorded in `infeasible_reason` / `verdicts`)."""
    p.validate()
    line_ids = [ln.line_id for ln in p.lines]
    line_pos = {lid: i for i, lid in enumerate(line_ids)}
    skus: list[str] = []
    for ln in p.lines:
        if ln.sku not in skus:
            skus.append(ln.sku)
    sku_pos = {s: i for i, s in enumerate(skus)}
    L, S = len(p.lines), len(skus)
    q = np.array([ln.qty for ln in p.lines], dtype=np.int64)
    w = np.array([ln.unit_weight_g for ln in p.lines], dtype=np.int64)
    v = np.array([ln.unit_value_paise for ln in p.lines], dtype=np.int64)
    vol = np.array([ln.unit_volume_mm3 for ln in p.lines], dtype=np.int64)
    line_sku = np.array([sku_pos[ln.sku] for ln in p.lines], dtype=np.int64)
    onehot = np.zeros((L, S), dtype=np.int64)
    onehot[np.arange(L), line_sku] = 1
    groups = [
        np.array(sorted(line_pos[x] for x in g), dtype=np.int64) for g in merge_groups(p.keep_together)
    ]

    lanes_by_node: dict[str, list[int]] = {}
    for j, lane in enumerate(p.lanes):
        lanes_by_node.setdefault(lane.node, []).append(j)

    promised = p.promised_days
    hard = p.sla_policy == "hard" and promised is not None
    verdicts: dict[int, Verdict] = {}
    usable_lanes: dict[int, list[int]] = {}
    for i, node in enumerate(p.nodes):
        if node.forbidden_reason:
            verdicts[i] = Verdict("forbidden", f"excluded by routing rule: {node.forbidden_reason}")
            continue
        if node.capacity_shipments is not None and node.capacity_shipments <= 0:
            verdicts[i] = Verdict("over_capacity", "no shipment capacity left today")
            continue
        stocked = [k for k, ln in enumerate(p.lines) if node.stock.get(ln.sku, 0) > 0]
        if not stocked:
            verdicts[i] = Verdict("no_stock", "none of the order's SKUs in stock")
            continue
        lightest = min(p.lines[k].unit_weight_g for k in stocked)
        why: list[str] = []
        serviceable: list[int] = []
        for j in lanes_by_node.get(node.code, []):
            lane = p.lanes[j]
            if lane.forbidden_reason:
                why.append(f"{lane.carrier}: excluded by shipping rule: {lane.forbidden_reason}")
            elif p.is_cod and not lane.cod_allowed:
                why.append(f"{lane.carrier}: no COD on this lane")
            elif lane.max_weight_g is not None and lane.max_weight_g < lightest:
                why.append(f"{lane.carrier}: max weight {lane.max_weight_g} g below one unit")
            else:
                serviceable.append(j)
        if not serviceable:
            text = "no carrier serves the destination from here"
            if why:
                text += " (" + "; ".join(why) + ")"
            verdicts[i] = Verdict("no_serviceable_carrier", text)
            continue
        if hard and promised is not None:  # (hard implies a promise; said again for the type checker)
            in_time = [j for j in serviceable if p.lanes[j].sla_days <= promised]
            if not in_time:
                fastest = min(p.lanes[j].sla_days for j in serviceable)
                verdicts[i] = Verdict(
                    "misses_sla", f"fastest carrier takes {fastest} days, promised {promised}"
                )
                continue
            serviceable = in_time
        usable_lanes[i] = serviceable

    order = sorted(usable_lanes, key=lambda i: (p.nodes[i].priority, p.nodes[i].distance_km, i))
    cand = np.array(order, dtype=np.int64)
    Nc = len(cand)
    nodes = [p.nodes[i] for i in order]
    node_handling = np.array([n.handling_cost_paise for n in nodes], dtype=np.int64)
    node_penalty = np.array([n.penalty_paise for n in nodes], dtype=np.int64)
    node_distance = np.array(
        [costs.round_paise(n.distance_km * p.distance_weight_paise_per_km) for n in nodes], dtype=np.int64
    )
    node_priority = np.array([n.priority * p.priority_weight_paise for n in nodes], dtype=np.int64)
    node_bonus = np.array([n.bonus_paise for n in nodes], dtype=np.int64)
    stock = np.array([[n.stock.get(s, 0) for s in skus] for n in nodes], dtype=np.int64).reshape(Nc, S)
    stock = np.maximum(stock, 0)
    cap_line = np.minimum(stock[:, line_sku], q[None, :]) if Nc else np.zeros((0, L), dtype=np.int64)
    price_rows = [[n.unit_prices_paise.get(ln.sku, 0) for ln in p.lines] for n in nodes]
    price = np.array(price_rows, dtype=np.int64).reshape(Nc, L)

    all_rows = [(j, c) for c, i in enumerate(order) for j in usable_lanes[i]]
    per_day = p.lateness_penalty_paise_per_day
    speed = p.speed_paise_per_day  # the value of a day: each shipment pays its days times it
    # One table of lane attributes, built as Python rows and made an array once, after the dominated lanes
    # are dropped (most orders are a handful of nodes and lanes: numpy's per-call cost would be most of
    # the work); columns:
    # first, add, slab, div, maxw, cod_fixed, cod_bp, lateness, bonus, node
    rows = [
        (
            x.first_slab_paise, x.additional_slab_paise, x.slab_g, x.volumetric_divisor,
            _NO_MAX_WEIGHT if x.max_weight_g is None else x.max_weight_g,
            x.cod_fixed_paise, x.cod_percent_bp, _lateness(x.sla_days, promised, per_day) + x.sla_days * speed,
            x.bonus_paise, c,
        )
        for j, c in all_rows
        for x in (p.lanes[j],)
    ]
    keep = _undominated(rows, p.is_cod)
    kept = [r for r, k in zip(rows, keep) if k]
    A = np.array(kept, dtype=np.int64).reshape(len(kept), 10)
    lane_src = np.array([r[0] for r, k in zip(all_rows, keep) if k], dtype=np.int64)
    lane_node = A[:, 9].copy()
    lateness = A[:, 7].copy()
    lane_bonus = A[:, 8].copy()
    # Lanes are grouped by node in candidate order, so each node's lanes are a contiguous run.
    counts = [0] * Nc
    for r in kept:
        counts[r[9]] += 1
    jmax = max(max(counts), 1) if Nc else 1
    runs, start = [], 0
    for n_lanes in counts:
        runs.append(list(range(start, start + n_lanes)) + [-1] * (jmax - n_lanes))
        start += n_lanes
    node_lanes = np.array(runs, dtype=np.int64).reshape(Nc, jmax)

    inst = Instance(
        problem=p,
        line_ids=line_ids,
        q=q,
        w=w,
        v=v,
        vol=vol,
        skus=skus,
        line_sku=line_sku,
        sku_onehot=onehot,
        groups=groups,
        cand=cand,
        node_handling=node_handling,
        node_penalty=node_penalty,
        node_distance=node_distance,
        node_priority=node_priority,
        node_bonus=node_bonus,
        node_fixed=node_handling + node_penalty + node_distance + node_priority - node_bonus,
        stock=stock,
        cap_line=cap_line,
        price=price,
        lane_src=lane_src,
        lane_node=lane_node,
        first=A[:, 0].copy(),
        add=A[:, 1].copy(),
        slab=A[:, 2].copy(),
        div=A[:, 3].copy(),
        maxw=A[:, 4].copy(),
        cod_fixed=A[:, 5].copy(),
        cod_bp=A[:, 6].copy(),
        lateness=lateness,
        lane_bonus=lane_bonus,
        lane_fixed=lateness - lane_bonus,
        node_lanes=node_lanes,
        verdicts=verdicts,
        is_cod=p.is_cod,
        split=p.split_penalty_paise,
        pen=p.unfilled_penalty_paise_per_unit,
        partial=p.allow_partial,
        kmax=p.max_shipments if p.max_shipments is not None else max(Nc, 1),
        minval=p.min_shipment_value_paise,
        has_volume=any(ln.unit_volume_mm3 > 0 for ln in p.lines),
        has_prices=any(x for row in price_rows for x in row),
    )
    inst.infeasible_reason = _basic_infeasibility(inst)
    return inst


def _lateness(sla_days: int, promised: int | None, per_day: int) -> int:
    if promised is None:
        return 0
    return max(0, sla_days - promised) * per_day


def _undominated(rows: Sequence[tuple[int, ...]], is_cod: bool) -> list[bool]:
    """Which lanes to keep (rows of the lane table, grouped by node): a lane goes when another lane at the
    same node is at least as good on every term that can matter for this order (and strictly better on
    one, or equal and added earlier). Fewer lanes -> smaller models, same optimum. Plain Python over each
    node's run of a few lanes: the numpy version's fixed cost per call was a third of compiling an order."""
    n = len(rows)
    keep = [True] * n
    if n <= 1:
        return keep
    cod = 1 if is_cod else 0
    # "Smaller is better" keys: price terms, minus divisor and max weight, lateness less bonus, COD terms
    # (only for a COD order); a lane is compared only with lanes of the same slab size.
    keys = [(r[0], r[1], -r[3], -r[4], r[7] - r[8], r[5] * cod, r[6] * cod) for r in rows]
    start = 0
    while start < n:
        end = start
        while end < n and rows[end][9] == rows[start][9]:
            end += 1
        for b in range(start, end):
            kb, slab = keys[b], rows[b][2]
            for a in range(start, end):
                if a == b or rows[a][2] != slab:
                    continue
                ka = keys[a]
                if (ka[0] <= kb[0] and ka[1] <= kb[1] and ka[2] <= kb[2] and ka[3] <= kb[3] and ka[4] <= kb[4]
                        and ka[5] <= kb[5] and ka[6] <= kb[6] and (a < b or ka != kb)):
                    keep[b] = False
                    break
        start = end
    return keep


def _basic_infeasibility(inst: Instance) -> str | None:
    """The reason no plan can ship anything, judged from eligibility and
    total stock alone; None when that check passes (the solver may still
    find the policy constraints infeasible)."""
    p = inst.problem
    open_nodes = [i for i, n in enumerate(p.nodes) if i not in inst.verdicts or inst.verdicts[i].code not in ("forbidden", "over_capacity")]
    if not p.nodes:
        return "no candidate nodes"
    if not open_nodes:
        return "every candidate node is excluded by routing rules or out of capacity"
    codes = {inst.verdicts[i].code if i in inst.verdicts else "candidate" for i in open_nodes}
    if inst.n_cand == 0:
        if codes == {"no_stock"}:
            return f"no stock for SKU {', '.join(inst.skus)} at any eligible node"
        if "misses_sla" in codes:
            return f"no node can meet the promised {p.promised_days} days"
        if "no_serviceable_carrier" in codes:
            cod = " with COD" if p.is_cod else ""
            return f"no carrier serves the destination{cod}"
        return "no eligible node"
    if p.allow_partial:
        return None
    avail = inst.stock.sum(axis=0)
    need = inst.q @ inst.sku_onehot
    for s, sku in enumerate(inst.skus):
        if avail[s] == 0:
            return f"no stock for SKU {sku} at any eligible node"
        if avail[s] < need[s]:
            return f"only {avail[s]} of {need[s]} units of SKU {sku} in stock at eligible nodes"
    return None

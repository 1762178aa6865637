"""LP (column generation) lower bound plus a reduced-cost partition search,
for orders whose contents DP (`dp.py`) is too big to build in time.

Same relaxation as the DP: a plan is a partition of the order's unit vector
q into blocks, block b costs c(b) = min(cheapest single-node shipment of b
+ split penalty, leaving b unfilled), and a plan costs at least
sum c(b) - split. Dropped: "each node ships once" and "at most K
shipments" (the search below puts K back).

1. LP: min sum c(b) y_b  s.t.  sum b y_b = q,  y >= 0 over every content b,
   solved by column generation (a handful of tiny HiGHS LPs; the full LP
   over ~10^4 columns takes 5-20x longer). Its duals lam give every block a
   reduced cost rc(b) = c(b) - lam.b >= 0, and every plan costs at least
   lam.q - split + (sum of its blocks' rc).
2. So a plan cheaper than the incumbent `ub` only uses blocks with rc(b) <=
   gap = ub - 1 - (lam.q - split) (integral costs), and its blocks' rc sum
   to at most gap. A depth-first search enumerates exactly those partitions
   (branching on the remaining line with fewest fitting blocks, children in
   increasing rc), pruning each branch by the exact cheapest relaxed cover
   of its remainder (a memoised search over remainders).
3. Each partition found is assigned to distinct nodes exactly
   (`enumerate._assign`, as in the enumeration); a cheaper plan lowers the
   incumbent and so the gap. When the search ends, the incumbent is optimal.

Exact whenever it finishes; the deadline stops it between LP rounds and
every few search steps, and then the LP value alone is a valid bound.
The search also enforces "at most K shipments" (with partial fill each
block enters twice, as a shipment and as unfilled units, each with its own
reduced cost), so relaxed partitions that need more parcels are never tried.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import numpy as np

from . import dp
from . import enumerate as enum_mod
from .assemble import Sol
from .budget import Budget
from .costs import INF, BoolArray, FloatArray, IntArray
from .dp import OutOfTime
from .dp import check_deadline as _check
from .highs_quiet import quiet_highs
from .instance import Instance

if TYPE_CHECKING:
    import highspy

# Contents are priced in chunks with deadline checks, so colgen takes orders
# well past the DP's cap (measured: 46k-58k contents proven in 70-80 ms CPU).
MAX_CONTENTS = 100_000
# Search steps (memoised remainders expanded) before giving up: a weak LP
# bound can leave thousands of blocks within the gap.
MAX_EXPANSIONS = 20_000
_COLS_PER_ROUND = 50
_MAX_ROUNDS = 60
# Work units (~us on the reference machine) per LP round, search expansion, visit and leaf.
_UNITS_PER_LP_ROUND = 400.0
_UNITS_PER_EXPANSION = 50.0
_UNITS_PER_VISIT = 25.0
_UNITS_PER_LEAF = 40.0
_UNITS_TO_START = 2500.0  # contents, LP set-up: numpy and HiGHS calls whatever the size

_local = threading.local()


def applicable(inst: Instance) -> bool:
    return inst.n_lines > 0 and int(np.prod(inst.q + 1)) <= MAX_CONTENTS


def _highs() -> highspy.Highs:
    h = getattr(_local, "h", None)
    if h is None:
        h = quiet_highs()
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("threads", 1)
        _local.h = h
    return h


def contents(q: IntArray) -> IntArray:
    """All vectors 0 <= b <= q, row = little-endian mixed-radix code."""
    grids = np.indices([int(x) + 1 for x in q[::-1]]).reshape(len(q), -1)[::-1]
    return grids.T.astype(np.int64)


def lp_duals(
    inst: Instance, Q: IntArray, c: IntArray, deadline: Budget | float | None = None, seed_codes: Sequence[int] = ()
) -> FloatArray:
    """Duals lam of the LP over the finite-cost contents (one row per line).
    Column generation: start from the cheapest blocks per unit plus the
    blocks of known plans (`seed_codes`: usually near the LP optimum, which
    saves rounds) and add the most negative reduced costs until none is
    left (or rounds run out: lam is then still usable, `bound` accounts for
    negative reduced costs)."""
    import highspy

    L = inst.n_lines
    fin = np.flatnonzero(c < INF)
    fin = fin[fin > 0]
    Qf = Q[fin].astype(np.float64)
    cf = c[fin].astype(np.float64)
    inf = highspy.kHighsInf
    h = _highs()
    h.clearModel()
    q = inst.q.astype(np.float64)
    h.addRows(L, q, q, 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
    # One artificial column per line keeps every restricted LP feasible; its
    # cost exceeds any real block, so it leaves the basis once covered.
    big = float(cf.max() if len(cf) else 1.0) * 10.0 + 1e7
    h.addCols(L, np.full(L, big), np.zeros(L), np.full(L, inf), L, np.arange(L, dtype=np.int32),
              np.arange(L, dtype=np.int32), np.ones(L))
    pick = np.argsort(cf / Qf.sum(axis=1), kind="stable")[:_COLS_PER_ROUND]
    pick = np.union1d(pick, np.flatnonzero(np.isin(fin, np.asarray(seed_codes, dtype=np.int64))))
    lam = np.zeros(L)
    for _ in range(_MAX_ROUNDS):
        A = Qf[pick]
        nz = A > 0
        starts = np.concatenate([[0], np.cumsum(nz.sum(axis=1))[:-1]]).astype(np.int32)
        h.addCols(len(pick), cf[pick], np.zeros(len(pick)), np.full(len(pick), inf), int(nz.sum()),
                  starts, np.nonzero(nz)[1].astype(np.int32), A[nz])
        h.run()
        lam = np.asarray(h.getSolution().row_dual, dtype=np.float64)
        rc = cf - Qf @ lam
        neg = np.flatnonzero(rc < -1e-7)
        if len(neg) == 0:
            break
        _check(deadline, _UNITS_PER_LP_ROUND + len(pick) * L * 0.5)
        pick = neg[np.argsort(rc[neg], kind="stable")[:_COLS_PER_ROUND]]
    return lam


@dataclass
class Bound:
    """lam.q - split, lowered for any negative reduced cost (the LP may
    stop early or carry float error), so `value` bounds every plan."""

    value: float
    rc: FloatArray  # reduced cost per content (inf where c is INF, and for the empty content)
    slack: float  # what a block's rc may exceed the gap by, for the same reason


def bound(inst: Instance, Q: IntArray, c: IntArray, lam: FloatArray) -> Bound:
    rc = np.where(c < INF, c - Q @ lam, np.inf)
    rc[0] = np.inf
    finite = rc[np.isfinite(rc)]
    neg = min(0.0, float(finite.min())) if len(finite) else 0.0
    # A plan has at most sum(q) blocks, each at least `neg` below zero.
    slack = -neg * float(inst.q.sum()) + 1e-6
    return Bound(float(lam @ inst.q) - inst.split - slack, rc, slack)


class _Best(TypedDict):
    ub: int  # the incumbent's cost
    sol: Sol | None  # the search's best plan, if cheaper than the caller's


def solve_colgen(inst: Instance, ub: int, deadline: Budget | float | None = None, seeds: Sequence[Sol] = (),
                 max_gap: float | None = None) -> tuple[float, Sol | None, bool, dict[str, float]]:
    """(lower bound, plan cheaper than `ub` or None, proven, stats), like
    `dp.solve_dp`: proven means the returned plan - or, if None, the
    caller's incumbent of cost `ub` - is optimal. `seeds` (known plans)
    only speed up the LP. With `max_gap`, the search is not started when
    the LP bound is further than that fraction of |ub| below ub: the
    partitions within a wide gap are too many to search (measured: a gap
    of 15-60% on partial-fill orders over scarce stock takes seconds, where
    the MIP needs tens of ms), and the bound alone is returned. Without an
    incumbent (ub INF) the search always runs: it finds a plan or proves
    there is none."""
    _check(deadline, _UNITS_TO_START)
    Q = contents(inst.q)
    if isinstance(deadline, Budget) and dp.pricing_units(inst, len(Q), dp.relaxation_lanes(inst)) > deadline.left:
        # Pricing every content alone would spend the share (tens of thousands of contents over
        # a hundred nodes): nothing started, nothing claimed.
        return float("-inf"), None, False, {"contents": len(Q)}
    radix = np.concatenate([[1], np.cumprod(inst.q[:-1] + 1)]).astype(np.int64)
    seed_codes = [int(np.dot(qty, radix)) for s in seeds for _, _, qty in s.ships]
    seed_codes += [int(np.dot(s.unfilled, radix)) for s in seeds if any(s.unfilled)]
    ship, _, unf = dp.block_values(inst, Q, deadline)
    c = np.minimum(np.where(ship < INF, ship + inst.split, INF), unf)
    _check(deadline)
    lam = lp_duals(inst, Q, c, deadline, seed_codes)
    b = bound(inst, Q, c, lam)
    stats: dict[str, float] = {"contents": len(Q), "lp_bound": b.value}
    lb = b.value
    gap = ub - 1 - b.value  # rc budget of a plan costing <= ub - 1 (slack included in b.value)
    S = np.flatnonzero(b.rc <= gap)
    stats["blocks"] = int(len(S))
    if gap < 0 or len(S) == 0:
        return float(ub), None, True, stats
    if max_gap is not None and ub < INF // 2 and ub - b.value > max_gap * max(abs(ub), 1):
        return lb, None, False, stats
    kmax = int(inst.kmax) if inst.kmax < int(inst.q.sum()) else None
    codes, rcs, ships = S, b.rc[S], np.ones(len(S), dtype=bool)
    if kmax is not None and inst.partial:
        # A block either ships (one of the K) or stays unfilled: one entry
        # per kind, each priced on its own (both rc >= the LP's rc).
        lam_b = Q @ lam
        rc_ship = np.where(ship < INF, ship + inst.split - lam_b, np.inf)
        rc_unf = np.where(unf < INF, unf - lam_b, np.inf)
        rc_ship[0] = rc_unf[0] = np.inf
        s1, s2 = np.flatnonzero(rc_ship <= gap), np.flatnonzero(rc_unf <= gap)
        codes = np.concatenate([s1, s2])
        rcs = np.concatenate([rc_ship[s1], rc_unf[s2]])
        ships = np.concatenate([np.ones(len(s1), dtype=bool), np.zeros(len(s2), dtype=bool)])
    search = _Search(Q, codes, rcs, ships, kmax, deadline)
    best: _Best = {"ub": ub, "sol": None}
    seen: set[tuple[int, ...]] = set()

    def leaf(blocks: list[int]) -> None:
        key = tuple(sorted(blocks))
        if key in seen:
            return
        seen.add(key)
        _check(deadline, len(blocks) * len(inst.lane_src) * dp.US_PER_PRICE + _UNITS_PER_LEAF)
        cost_rows, lane_rows = inst.node_costs(Q[blocks])
        found = enum_mod._assign(
            list(range(len(blocks))), cost_rows, unf[blocks], inst.split, inst.kmax, best["ub"], deadline
        )
        if found is None:
            return
        val, choice = found
        best["ub"], best["sol"] = val, enum_mod.sol_from_choice(inst, Q[blocks], lane_rows, choice, val)

    try:
        search.enumerate(inst.q, len(Q) - 1, lambda: best["ub"] - 1 - b.value, leaf)
    except OutOfTime:
        stats["expansions"] = search.expansions
        relaxed = search.best.get((len(Q) - 1, kmax if kmax is not None else -1))
        if relaxed is not None:
            lb = max(lb, b.value + relaxed[0])
        return min(lb, float(best["ub"])), best["sol"], False, stats
    stats["expansions"] = search.expansions
    return float(best["ub"]), best["sol"], True, stats


class _Search:
    """Cheapest relaxed partition of a remainder within an rc budget, over
    the block entries (content code, rc, ships?) sorted by rc, memoised by
    (remainder code, shipments left; -1 = unlimited). `best[key]` is the
    exact minimum when found; `dead[key]` the largest budget already shown
    too small."""

    def __init__(
        self, Q: IntArray, codes: IntArray, rcs: FloatArray, ships: BoolArray, kmax: int | None,
        deadline: Budget | float | None,
    ) -> None:
        order = np.argsort(rcs, kind="stable")
        self.S = codes[order]
        self.B = Q[self.S]
        self.rc = rcs[order]
        self.ship = ships[order]
        self.has = self.B > 0
        self.deadline = deadline
        self.best: dict[tuple[int, int], tuple[float, int]] = {}  # (code, k) -> (rc sum, first entry)
        self.dead: dict[tuple[int, int], float] = {}
        self.expansions = 0
        self.visits = 0
        self.kmax = kmax
        self.q = Q[-1]

    def _solve(self, r: IntArray, code: int, k: int, budget: float, sub: IntArray) -> float | None:
        if code == 0:
            return 0.0
        key = (code, k)
        hit = self.best.get(key)
        if hit is not None:
            return hit[0] if hit[0] <= budget else None
        if self.dead.get(key, -1.0) >= budget:
            return None
        self.expansions += 1
        if self.expansions > MAX_EXPANSIONS:
            raise OutOfTime
        if self.expansions % 32 == 0:
            _check(self.deadline, 32 * _UNITS_PER_EXPANSION)
        fits = self._fits(r, sub, budget, k)
        live = r > 0
        cnt = self.has[fits].sum(axis=0)
        if len(fits) == 0 or np.any(live & (cnt == 0)):
            self.dead[key] = budget
            return None
        # Some block must hold units of each remaining line: branch on the
        # line with the fewest candidates (complete; repeats hit the memo).
        line = int(np.flatnonzero(live)[np.argmin(cnt[live])])
        best_v, best_i, limit = None, -1, budget
        for i in fits[self.has[fits, line]]:
            rci: float = self.rc[i]
            if rci > limit:
                break  # sorted by rc
            rest = self._solve(r - self.B[i], code - int(self.S[i]), self._left(k, i), limit - rci, fits)
            if rest is not None and (best_v is None or rci + rest < best_v):
                best_v, best_i = rci + rest, int(i)
                limit = best_v - 1e-9
        if best_v is None:
            self.dead[key] = budget
            return None
        self.best[key] = (best_v, best_i)
        return best_v

    def _left(self, k: int, i: int) -> int:
        """Shipments left after entry i (-1: unlimited)."""
        return k - 1 if k > 0 and self.ship[i] else k

    def _fits(self, r: IntArray, sub: IntArray, budget: float, k: int) -> IntArray:
        """The entries of `sub` (ascending, so ascending rc) with rc <= budget
        that fit in remainder r (only unfilled ones once no shipment is
        left). Only lines r has lost units of can reject a block, one line
        at a time on a shrinking set (a full (blocks x lines) comparison per
        step cost ~40% of the search)."""
        if k == 0:
            sub = sub[~self.ship[sub]]
        if budget < np.inf:
            sub = sub[: np.searchsorted(sub, np.searchsorted(self.rc, budget, side="right"))]
        for line in np.flatnonzero(r < self.q):
            sub = sub[self.B[sub, line] <= r[line]]
        return sub

    def enumerate(
        self, q: IntArray, code: int, gap: Callable[[], float], leaf: Callable[[list[int]], None]
    ) -> None:
        """Call `leaf(blocks)` for every partition of q whose blocks' rc sum
        to at most gap() (re-read as leaves lower the incumbent), pruning
        every branch whose remainder cannot be covered within the budget
        left (exact, via the memoised `_solve`)."""
        k = self.kmax if self.kmax is not None else -1
        self._enum(q.copy(), code, k, 0.0, np.arange(len(self.S)), [], gap, leaf)

    def _enum(
        self, r: IntArray, code: int, k: int, spent: float, sub: IntArray, prefix: list[int],
        gap: Callable[[], float], leaf: Callable[[list[int]], None],
    ) -> None:
        self.visits += 1
        if self.visits % 16 == 0:
            _check(self.deadline, 16 * _UNITS_PER_VISIT)
        if code == 0:
            leaf(prefix)
            return
        if self._solve(r, code, k, gap() - spent, sub) is None:
            return
        fits = self._fits(r, sub, np.inf, k)
        live = r > 0
        cnt = self.has[fits].sum(axis=0)
        line = int(np.flatnonzero(live)[np.argmin(cnt[live])])
        for i in fits[self.has[fits, line]]:
            if spent + self.rc[i] > gap():
                break  # sorted by rc
            prefix.append(int(self.S[i]))
            self._enum(r - self.B[i], code - int(self.S[i]), self._left(k, i), spent + self.rc[i], fits, prefix, gap, leaf)
            prefix.pop()


"""The MIP model's LP relaxation: a lower bound from its duals, a neighbourhood for a small MIP,
and arc pruning by reduced costs (docs/solver.md, "Bounds").

For orders whose full MIP cannot finish in the budget (many nodes, many lines) the LP is what
makes the exact path strong:

- **Bound.** For any row duals y (sign-corrected: a row with no finite lower side takes no
  positive dual, one with no finite upper side no negative dual), weak duality gives, for every
  point of the model, `c.x >= sum_i min(y_i lo_i, y_i hi_i) + sum_j min(d_j l_j, d_j u_j)` with
  reduced costs `d = c - A'y`. We take y from HiGHS but compute d and the sum ourselves, so the
  bound is valid whatever the LP solver's tolerances (a small margin covers our float sums). The
  model relaxes every plan over its nodes (the COD fee's rounding relaxed too), so, with the
  pruning of `bounds.prune` and `dominance` behind the node set, `min(bound, ub)` bounds every plan.
- **Arc bounds.** A model point that uses arc a (z[a] = 1, z in [0, 1]) costs at least the bound
  + max(d[z[a]], 0). An arc whose bound exceeds ub - 1 cannot be in a plan cheaper than the
  incumbent (costs are whole paise): the MIP is built without it.
- **Support.** The arcs the LP opens, with the incumbent's, make a small MIP (a "relaxation
  induced neighbourhood") that often holds an optimal plan of a 100-node order; its plans are
  only plans, never proofs.

The LP is charged up front by its size (deterministic), and only solved when that fits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np

from .budget import Budget, OutOfBudget
from .highs_quiet import quiet_highs
from .instance import Instance
from .mip import build

# Work units per model nonzero for the LP (dual simplex from scratch): measured 4-7.5 us of CPU
# per nonzero on 100-node orders on the loaded benchmark box, where the baselines run at
# ~1.1 us per unit.
LP_UNITS_PER_NONZERO = 5.0
# Relative margin on the bound for our float sums (terms up to ~1e10, errors ~1e-16 each).
_MARGIN = 1e-9


@dataclass
class Relaxation:
    bound: float  # every model point costs at least this
    arc_bound: dict[tuple[int, int], float]  # ... and every one using the arc at least this
    support: set[tuple[int, int]]  # arcs with z > 0 in the LP optimum
    nodes: np.ndarray  # the model's candidates, shipment cap and ordering pairs
    kmax: int
    pairs: list[tuple[int, int]]
    ub: float  # the incumbent cost the node set was pruned against

    def arcs_below(self, ub: float) -> set[tuple[int, int]]:
        """The arcs that can be in a plan costing at most ub - 1."""
        return {a for a, b in self.arc_bound.items() if b <= ub - 1}


def estimated_units(inst: Instance, nodes: Iterable[int] | np.ndarray) -> float:
    """The LP's charge, from the model's size (the MIP's estimate of its nonzeros)."""
    nodes = np.asarray(nodes, dtype=np.int64)
    if len(nodes) == 0:
        return 0.0
    arcs = (inst.node_lanes[nodes] >= 0).sum(axis=1)
    cols = (inst.cap_line[nodes] > 0).sum(axis=1)
    return LP_UNITS_PER_NONZERO * float(np.sum(arcs * (7 * cols + 10)))


def relax(
    inst: Instance, nodes: Iterable[int] | np.ndarray, kmax: int, pairs: Iterable[tuple[int, int]], ub: float, budget: Budget
) -> Relaxation | None:
    """Solve the LP relaxation of the model over `nodes`; None when it does not fit the budget
    or HiGHS does not reach an optimal basis (nothing is claimed then)."""
    units = estimated_units(inst, nodes)
    if units > budget.left:
        return None  # checked first: a charge that fails still counts against the parents
    try:
        budget.charge(units)
    except OutOfBudget:  # the wall clock
        return None
    b = build(inst, nodes, kmax, pairs, exact_fee=False)
    m = b.model
    n, r = len(m.cost), len(m.r_lo)
    if n == 0:
        return None
    cost, lo, hi = np.array(m.cost), np.array(m.lb), np.array(m.ub)
    rlo, rhi = np.array(m.r_lo), np.array(m.r_hi)
    start = np.array(m.r_start, dtype=np.int64)
    idx, val = np.array(m.r_idx, dtype=np.int64), np.array(m.r_val)
    h = quiet_highs()
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("time_limit", max(budget.wall_left(), 0.001))
    h.passModel(n, r, len(idx), 2, 1, b.offset, cost, lo, hi, rlo, rhi,
                start.astype(np.int32), idx.astype(np.int32), val, np.zeros(n, dtype=np.int32))
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        if status == highspy.HighsModelStatus.kTimeLimit:
            budget.mark_wall()
        return None
    y = np.array(h.getSolution().row_dual, dtype=float)
    zval = np.array(h.getSolution().col_value, dtype=float)[np.array(b.z, dtype=np.int64)] if b.z else np.zeros(0)
    # Sign-correct the duals (an infinite side can take no dual of that sign): any y then gives
    # a valid bound.
    y = np.where((y > 0) & ~np.isfinite(rlo), 0.0, y)
    y = np.where((y < 0) & ~np.isfinite(rhi), 0.0, y)
    rows = np.repeat(np.arange(r), np.diff(start))
    d = cost - np.bincount(idx, weights=val * y[rows], minlength=n)
    row_terms = np.where(y > 0, y * np.where(np.isfinite(rlo), rlo, 0.0), y * np.where(np.isfinite(rhi), rhi, 0.0))
    if np.any((d < 0) & ~np.isfinite(hi)) or np.any((d > 0) & ~np.isfinite(lo)):
        return None  # the bound is -inf
    col_terms = np.where(d > 0, d * lo, np.where(d < 0, d * np.where(np.isfinite(hi), hi, 0.0), 0.0))
    margin = _MARGIN * (float(np.abs(row_terms).sum() + np.abs(col_terms).sum()) + 1.0) + 1e-6
    bound = float(row_terms.sum() + col_terms.sum() + b.offset) - margin
    z = np.array(b.z, dtype=np.int64)
    # z in [0, 1]: its term in the bound is min(d, 0); forced to 1 it is d.
    arc_b = bound - np.minimum(d[z], 0.0) + d[z]
    arc_bound = {b.arcs[k]: float(arc_b[k]) for k in range(len(z))}
    support = {b.arcs[k] for k in range(len(z)) if zval[k] > 1e-6}
    return Relaxation(bound, arc_bound, support, np.asarray(nodes, dtype=np.int64), int(kmax), list(pairs), float(ub))

"""Nightly batch re-optimization of open orders (pure: numpy + HiGHS).

Build a `BatchProblem` (orders with their routing/split policy, nodes, lanes
or a cost matrix), `compile()` it, and call `solve_batch` (one model) or
`solve_decomposed` (independent components, optionally mapped over Dask).
Plans carry the LP bound and gap.
"""

from .decompose import DecomposedPlan, components, solve_decomposed
from .problem import BatchData, BatchProblem
from .solve import BatchPlan, Move, solve_batch

__all__ = ["BatchData", "BatchPlan", "BatchProblem", "DecomposedPlan", "Move", "components",
           "solve_batch", "solve_decomposed"]

"""omnialloc.solvers: the single-order optimization core.

Pure: numpy, OR-Tools/HiGHS and the standard library only; no Flask, no
SQLAlchemy, no other omnialloc package. Build an `AllocationProblem`, call
`solve(problem, strategy)`, get a `Plan`.
"""

from .api import STRATEGIES, solve
from .plan import Alternative, Costs, NodeExplanation, Plan, PlanStatus, Shipment
from .problem import AllocationProblem, Lane, Line, Node, make_lane

__all__ = [
    "STRATEGIES",
    "AllocationProblem",
    "Alternative",
    "Costs",
    "Lane",
    "Line",
    "Node",
    "NodeExplanation",
    "Plan",
    "PlanStatus",
    "Shipment",
    "make_lane",
    "solve",
]

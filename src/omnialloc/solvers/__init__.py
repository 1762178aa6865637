"""omnialloc.solvers: the single-order optimization core.

Pure: numpy, OR-Tools/HiGHS and the standard library only; no Flask, no
SQLAlchemy, no other omnialloc package. Build an `AllocationProblem`, call
`solve(problem, strategy)`, get a `Plan` of `PlannedShipment`s.

The solver's own types are named apart from the domain's: a `CandidateNode` is what the solver
knows of a `domain.Node` for one order, a `PlannedShipment` is a proposal the services turn into a
`domain.Shipment`, and the rebalancer's `PlannedTransfer` becomes a `domain.Transfer`.
"""

from .api import STRATEGIES, solve
from .plan import Alternative, Costs, NodeExplanation, Plan, PlannedShipment, PlanStatus
from .problem import AllocationProblem, CandidateNode, Lane, Line, make_lane

__all__ = [
    "STRATEGIES",
    "AllocationProblem",
    "Alternative",
    "CandidateNode",
    "Costs",
    "Lane",
    "Line",
    "NodeExplanation",
    "Plan",
    "PlanStatus",
    "PlannedShipment",
    "make_lane",
    "solve",
]

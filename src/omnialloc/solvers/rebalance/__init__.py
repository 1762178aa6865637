"""Stock rebalancing between nodes (pure: numpy + OR-Tools min cost flow)."""

from .flow import PlannedTransfer, RebalancePlan, RebalanceProblem, solve_rebalance

__all__ = ["RebalancePlan", "PlannedTransfer", "RebalanceProblem", "solve_rebalance"]

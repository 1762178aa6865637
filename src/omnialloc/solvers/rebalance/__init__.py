"""Stock rebalancing between nodes (pure: numpy + OR-Tools min cost flow)."""

from .flow import RebalancePlan, RebalanceProblem, Transfer, solve_rebalance

__all__ = ["RebalancePlan", "RebalanceProblem", "Transfer", "solve_rebalance"]

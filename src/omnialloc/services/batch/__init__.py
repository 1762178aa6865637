"""Offline optimisation over many orders: the nightly re-optimisation, stock opportunity prices, rebalancing."""

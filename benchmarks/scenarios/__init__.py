"""Seeded benchmark scenarios (see generator.py for every parameter and its source)."""

from .generator import SCENARIOS, NodeSpec, Order, Scenario, SkuSpec, get_scenario, india, jasin_sinha

__all__ = ["SCENARIOS", "NodeSpec", "Order", "Scenario", "SkuSpec", "get_scenario", "india", "jasin_sinha"]

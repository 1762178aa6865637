"""Benchmarks for analysts: seeded scenarios, a strategy runner, plots and results."""

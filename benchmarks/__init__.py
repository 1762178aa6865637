"""Benchmarks: scenario generators, runners, RESULTS.md and plots."""

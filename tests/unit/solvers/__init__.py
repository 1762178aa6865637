"""Specifications of the single-order solver (omnialloc.solvers)."""

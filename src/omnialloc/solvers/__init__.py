"""omnialloc.solvers package."""

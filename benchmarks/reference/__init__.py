"""An independent reference for the single-order solver, written from the documented cost model
(docs/solver.md, "Cost model") and the public problem/plan types only: it imports nothing from
the solver's internals (no `instance`, `costs`, `assemble`, ...), so a mistake in the solver's
arithmetic or search cannot hide in its own reference.

- `model`: eligibility and the price of one shipment, in plain Python integers;
- `exhaustive`: the exact optimum by a memoised search over every node's contents (brute force
  for small orders), optionally with one node forced to ship;
- `plain_mip`: the same optimum from a textbook MIP built directly on highspy (per node x lane
  content variables, no pruning, no bounds of ours), for orders too big for the search;
- `checks`: every claim a plan makes (constraints, cost breakdown, bound, explanation) checked
  against the above;
- `generator`: random orders covering every feature of the problem, driven by hypothesis in the
  tests and by a seeded `random.Random` in the differential benchmark.

It lives in the benchmarks (``benchmarks.reference``, installed as ``omnialloc.bench.reference``) so that
``solver_reference_bench`` runs from an installed wheel; the tests (tests/unit/solvers, tests/api) import
this one copy. Its only import of omnialloc is the public ``omnialloc.solvers`` (problem and plan types),
which tests/unit/bench/test_bench_reference.py checks.
"""

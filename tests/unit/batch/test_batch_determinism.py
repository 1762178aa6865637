"""The same batch gives the same plan on an idle and on a loaded machine (issue 22): the solver
chooses its path and stops by work counts, not by wall time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from omnialloc.solvers.batch import solve_batch, solve_decomposed

from .helpers import random_batch

BUSY = "import time\nend = time.time() + 120\nwhile time.time() < end:\n    pass\n"


def _plan(d, **kw):
    p = solve_batch(d, **kw)
    return sorted((m.order_id, m.node, tuple(m.line_ids), m.carrier) for m in p.shipments), p.objective, p.bound


def _big(seed: int):
    return random_batch(seed, n_orders=400, n_nodes=8, n_skus=12, max_lines=3, fixed=True).compile()


@pytest.mark.parametrize("kw", [{}, {"lp_max_patterns": 0}], ids=["lp-path", "large-path"])
def test_two_runs_one_beside_a_busy_loop_give_the_same_plan(kw):
    d = _big(11)
    idle = _plan(d, **kw)
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(2)]
    try:
        loaded = _plan(d, **kw)
    finally:
        for p in busy:
            p.kill()
            p.wait()
    assert loaded == idle


def test_the_decomposed_solve_is_deterministic_too():
    d = _big(12)
    a = solve_decomposed(d, chunk_orders=100)
    b = solve_decomposed(d, chunk_orders=100)
    key = lambda p: sorted((m.order_id, m.node, tuple(m.line_ids)) for m in p.shipments)  # noqa: E731
    assert key(a) == key(b) and a.objective == b.objective

"""Line splitting in the batch (issue 22): a line of an order whose policy allows it may ship from
several nodes, as real-time allocation may split it.

The reference is a plain HiGHS MIP written here in units, independent of the solver's pieces and
patterns: an integer number of units per (line, node), a binary shipment per (order, node) that any
unit from that node needs, the units left unfilled; stock per (node, SKU), shipments per node, at most
K shipments per order (an order of K = 1 ships each line whole or not at all: it may not split), the
split penalty per shipment beyond the first; a split line may be filled in part, as the pieces allow. Cost-matrix mode (one shipment
costs its (order, node) entry whatever it carries), so the reference stays linear. On lines of up to 3
units (single-unit pieces) and orders of at most 6 units the batch's model is exact: its MIP equals
the reference, and every path's plan is at least it with a bound at most it.
"""

from __future__ import annotations

import contextlib
import io
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnialloc.solvers.batch import solve_batch
from omnialloc.solvers.batch.problem import BatchProblem, line_pieces

with contextlib.redirect_stdout(io.StringIO()):
    import highspy


def instance(seed: int, split: bool = True) -> tuple[BatchProblem, dict[str, int | None]]:
    """A random batch, and each order's `max_shipments` (the compiled data drops a K that cannot bind
    on whole lines; the reference needs the order's own)."""
    rnd = random.Random(seed)
    bp = BatchProblem()
    kmax: dict[str, int | None] = {}
    skus = ["A", "B", "C"]
    N = rnd.randint(2, 4)
    for n in range(N):
        bp.add_node(f"N{n}", {s: rnd.randint(0, 3) for s in skus}, capacity_shipments=rnd.choice([None, 1, 2, 3]))
    for o in range(rnd.randint(1, 4)):
        lines = [(f"L{i}", s, rnd.randint(1, 3), 500, 1000) for i, s in enumerate(rnd.sample(skus, rnd.randint(1, 2)))]
        kmax[f"O{o}"] = rnd.choice([None, None, 2, 1])
        bp.add_order(f"O{o}", lines, unfilled_penalty_paise_per_unit=rnd.choice([3000, 20000]),
                     split_penalty_paise=rnd.choice([0, 0, 1500]), max_shipments=kmax[f"O{o}"],
                     split_lines=split)
        for n in range(N):
            if rnd.random() < 0.85:
                bp.set_cost(f"O{o}", f"N{n}", rnd.randint(2000, 9000))
    return bp, kmax


def reference_optimum(d, kmax: dict[str, int | None]) -> float:
    """The batch's optimum with lines split freely in units, by a plain HiGHS MIP (`kmax`: each
    order's at most K shipments, None for no limit). The split penalty is the order's own: the
    compiled data drops it only for an order that cannot split (one line of one unit, or K = 1)."""
    # the order's own lines (pieces of a split line added back together)
    lines: list[tuple[int, int, int]] = []  # (order, sku, qty)
    seen: dict[tuple[int, str], int] = {}
    for i in range(len(d.line_qty)):
        o = int(d.line_order[i])
        key = (o, d.line_src[i])
        if key not in seen:
            seen[key] = len(lines)
            lines.append((o, int(d.line_sku[i]), 0))
        j = seen[key]
        lines[j] = (lines[j][0], lines[j][1], lines[j][2] + int(d.line_qty[i]))
    cost = d.cand_cost if d.cand_cost is not None else []  # no cost entry at all: nothing can ship
    pairs = sorted({(int(o), int(n)): int(c) for o, n, c in zip(d.cand_order, d.cand_node, cost)}.items())
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    cols: list[tuple[float, float, float]] = []  # (lo, hi, cost)
    y = {}
    for (o, n), c in pairs:
        y[(o, n)] = len(cols)
        cols.append((0, 1, float(c + d.order_split[o])))
    x = {}
    for j, (o, s, q) in enumerate(lines):
        for (oo, n), _ in pairs:
            if oo == o:
                x[(j, n)] = len(cols)
                cols.append((0, q, 0.0))
    u = {}
    for j, (o, _, q) in enumerate(lines):
        u[j] = len(cols)
        cols.append((0, q, float(d.order_pen[o])))
    whole = {}  # an order that may not split ships each line whole or leaves it unfilled whole
    for j, (o, _, q) in enumerate(lines):
        if kmax[d.order_ids[o]] == 1:
            whole[j] = len(cols)
            cols.append((0, 1, 0.0))
    z = {}
    for o in range(d.n_orders):
        if d.order_split[o]:
            z[o] = len(cols)
            cols.append((0, 1, -float(d.order_split[o])))
    for lo, hi, c in cols:
        h.addVar(lo, hi)
    idx = np.arange(len(cols), dtype=np.int32)
    h.changeColsCost(len(cols), idx, np.array([c for *_, c in cols]))
    h.changeColsIntegrality(len(cols), idx, np.full(len(cols), highspy.HighsVarType.kInteger))

    def row(lo, hi, terms):
        h.addRow(lo, hi, len(terms), np.array([t[0] for t in terms], dtype=np.int32),
                 np.array([t[1] for t in terms], dtype=float))

    for j, (o, _, q) in enumerate(lines):
        row(q, q, [(x[(j, n)], 1.0) for (jj, n) in x if jj == j] + [(u[j], 1.0)])
        if j in whole:
            row(0, 0, [(u[j], 1.0), (whole[j], -float(q))])
        for (jj, n), c in x.items():
            if jj == j:  # a unit from n needs o's shipment from n
                row(-inf, 0, [(c, 1.0), (y[(o, n)], -float(q))])
    for n in range(d.n_nodes):
        for s in range(d.stock.shape[1]):
            terms = [(c, 1.0) for (j, nn), c in x.items() if nn == n and lines[j][1] == s]
            if terms:
                row(-inf, float(d.stock[n, s]), terms)
        if d.cap[n] >= 0:
            terms = [(c, 1.0) for (o, nn), c in y.items() if nn == n]
            if terms:
                row(-inf, float(d.cap[n]), terms)
    for o in range(d.n_orders):
        terms = [(c, 1.0) for (oo, _), c in y.items() if oo == o]
        k = kmax[d.order_ids[o]]
        if k is not None and terms:
            row(-inf, float(k), terms)
        if o in z:  # one split penalty back when the order ships at all
            row(-inf, 0, [(z[o], 1.0)] + [(c, -1.0) for c in [cc for (oo, _), cc in y.items() if oo == o]])
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    return h.getInfo().objective_function_value


def _units_by_line(d, plan) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for mv in plan.shipments:
        for lid, q in mv.units.items():
            out[(mv.order_id, lid)] = out.get((mv.order_id, lid), 0) + q
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6))
def test_batch_with_split_lines_equals_a_plain_mip_in_units(seed):
    bp, kmax = instance(seed)
    d = bp.compile()
    opt = reference_optimum(d, kmax)
    mip = solve_batch(d, method="mip", time_limit=30)
    assert mip.objective == round(opt)
    for method in ("auto", "lp"):
        plan = solve_batch(d, method=method, time_limit=30)
        assert plan.objective >= round(opt)
        assert plan.bound is None or plan.bound <= opt + 1e-6
    # what the plan ships adds up to at most each line's units, and a line ships from distinct nodes
    qty = {(d.order_ids[int(d.line_order[i])], d.line_src[i]): 0 for i in range(len(d.line_qty))}
    for i in range(len(d.line_qty)):
        qty[(d.order_ids[int(d.line_order[i])], d.line_src[i])] += int(d.line_qty[i])
    for key, q in _units_by_line(d, mip).items():
        assert 0 < q <= qty[key]
    nodes = [(mv.order_id, mv.node) for mv in mip.shipments]
    assert len(nodes) == len(set(nodes))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6))
def test_splitting_never_costs_more_than_whole_lines(seed):
    whole = solve_batch(instance(seed, split=False)[0].compile(), method="mip", time_limit=30)
    split = solve_batch(instance(seed, split=True)[0].compile(), method="mip", time_limit=30)
    assert split.objective <= whole.objective


def _two_nodes_one_unit_each(**kw) -> BatchProblem:
    bp = BatchProblem()
    bp.add_node("N0", {"A": 1})
    bp.add_node("N1", {"A": 1, "B": 1})
    bp.add_order("O", [("1", "A", 2, 500, 1000), ("2", "B", 1, 500, 1000)], **kw)
    for n in ("N0", "N1"):
        bp.add_lane("O", n, "C1", 4000, 1000)
    return bp


def test_a_line_no_node_can_fill_alone_ships_from_two_nodes():
    plan = solve_batch(_two_nodes_one_unit_each(split_lines=True).compile(), method="auto", time_limit=10)
    assert not plan.unfilled
    assert sorted((mv.node, mv.units) for mv in plan.shipments) == [("N0", {"1": 1}), ("N1", {"1": 1, "2": 1})]
    # lane arithmetic on the shipment's whole content: N1 carries 2 units of 500 g (one 500 g slab + one more)
    assert {mv.node: mv.cost_paise for mv in plan.shipments} == {"N0": 4000, "N1": 5000}


def test_no_split_when_the_policy_forbids_it():
    # the order may not split (at most one shipment), or the line is kept together with another
    for kw in ({"max_shipments": 1}, {"keep_together": [{"1", "2"}]}):
        d = _two_nodes_one_unit_each(split_lines=True, **kw).compile()
        assert d.line_src == d.line_ids == ["1", "2"]
        plan = solve_batch(d, method="mip", time_limit=10)
        assert len(plan.shipments) <= 1
    plan = solve_batch(_two_nodes_one_unit_each().compile(), method="mip", time_limit=10)  # split_lines off
    assert all(len(mv.units) == len(mv.line_ids) for mv in plan.shipments)


def test_line_pieces_allow_every_split_in_two():
    for q in range(1, 40):
        pieces = line_pieces(q)
        assert sum(pieces) == q
        sums = {0}
        for p in pieces:
            sums |= {s + p for s in sums}
        assert sums == set(range(q + 1))
    assert line_pieces(3) == [1, 1, 1]


def test_large_orders_split_only_within_the_full_column_limit():
    bp = BatchProblem()
    bp.add_node("N0", {"A": 9, "B": 9, "C": 9})
    bp.add_order("O", [("1", "A", 3, 100, 100), ("2", "B", 2, 100, 100), ("3", "C", 5, 100, 100)], split_lines=True)
    d = bp.compile()
    # 3 lines + room for 3 more: line 3 (5 units: pieces 1, 2, 2) first; line 1 (3 single units) no longer
    # fits, line 2 (2 units) does
    assert d.line_src == ["1", "2", "2", "3", "3", "3"]
    assert d.line_ids == ["1", "2#0", "2#1", "3#0", "3#1", "3#2"]
    assert d.line_qty.tolist() == [3, 1, 1, 1, 2, 2]

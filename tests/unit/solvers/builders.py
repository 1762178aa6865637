"""Tiny builders for solver tests: explicit numbers, hand-checkable.

Default rate card: first 500 g slab 100 paise, each further 500 g 50 paise,
no COD fee, SLA 2 days, no max weight; nodes have no handling cost. Tests
override only what they are about.
"""

from __future__ import annotations

from omnialloc.solvers import AllocationProblem


def order(**kw) -> AllocationProblem:
    kw.setdefault("order_id", "T-1")
    return AllocationProblem(**kw)


def node(p: AllocationProblem, code: str, stock: dict[str, int], *, distance=10.0, handling=0,
         capacity=None, priority=1, kind="warehouse", **kw):
    return p.add_node(code, distance, handling, capacity, priority, kind, stock, **kw)


def lane(p: AllocationProblem, node_code: str, carrier: str = "C1", *, first=100, add=50, zone="A", sla=2, **kw):
    return p.add_lane(node_code, carrier, zone, first, add, sla_days=sla, **kw)


def node_with_lane(p, code, stock, *, carrier="C1", first=100, add=50, sla=2, lane_kw=None, **node_kw):
    node(p, code, stock, **node_kw)
    lane(p, code, carrier, first=first, add=add, sla=sla, **(lane_kw or {}))

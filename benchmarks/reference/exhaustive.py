"""The exact optimum of a small order by exhaustive search (the brute-force reference).

Nodes are visited in a fixed order; each either ships nothing or ships some contents (any vector
of units per line up to what is still unplaced), priced by `model.shipment_cost` on its cheapest
carrier. Whatever is still unplaced after the last node is left unfilled (only when partial fill
is allowed and it keeps the keep-together groups whole). Every plan appears exactly once in this
search (a node ships at most once), so the minimum is the optimum; the memo over (node, units
still unplaced, shipments so far) only avoids recomputing the same remainder.

Exponential in the number of lines: for orders of a few lines of a few units over a handful of
nodes (the property tests' sizes).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from omnialloc.solvers import AllocationProblem

from .model import groups_whole, keep_together_groups, node_eligible, shipment_cost, shipment_limit, usable_lanes

INF = float("inf")


@dataclass(frozen=True)
class Optimum:
    cost: int
    shipments: tuple[tuple[str, tuple[int, ...]], ...]  # (node code, units per line)
    unfilled: tuple[int, ...]


def _sub_contents(r: tuple[int, ...]):
    return itertools.product(*(range(x + 1) for x in r))


def optimum(p: AllocationProblem, forced: str | None = None, max_states: int = 2_000_000) -> Optimum | None:
    """The cheapest valid plan (None if there is none); with `forced`, the cheapest valid plan in
    which node `forced` ships. Raises ValueError past `max_states` search steps (too big to be a
    brute force)."""
    p.validate()
    lines = p.lines
    q = tuple(ln.qty for ln in lines)
    groups = keep_together_groups(p)
    nodes = [n for n in p.nodes if node_eligible(p, n) and usable_lanes(p, n)]
    if forced is not None and forced not in {n.code for n in nodes}:
        return None
    kmax = shipment_limit(p)
    # Only whether a plan has shipments matters to the split term when K does not bind.
    k_cap = kmax if p.max_shipments is not None else 1
    tables = []
    for n in nodes:
        t = {}
        for c in _sub_contents(q):
            cost = shipment_cost(p, n, c)
            if cost is not None:
                t[c] = cost
        tables.append(t)
    split = p.split_penalty_paise
    pen = p.unfilled_penalty_paise_per_unit
    memo: dict = {}
    steps = [0]

    def best(i: int, r: tuple[int, ...], k: int):
        key = (i, r, k)
        if key in memo:
            return memo[key][0]
        steps[0] += 1
        if steps[0] > max_states:
            raise ValueError("order too big for the exhaustive reference")
        if i == len(nodes):
            if not any(r):
                val = -split if k else INF  # an order always has units: nothing unplaced means k >= 1
            elif p.allow_partial and groups_whole(p, groups, r):
                val = pen * sum(r) + (-split if k else 0)
            else:
                val = INF
            memo[key] = (val, None)
            return val
        choice = None
        val = INF
        if nodes[i].code != forced:
            val = best(i + 1, r, k)
        if k < k_cap or (p.max_shipments is None and k >= 1):
            t = tables[i]
            k2 = min(k + 1, k_cap) if p.max_shipments is None else k + 1
            for c in _sub_contents(r):
                cost = t.get(c)
                if cost is None:
                    continue
                rest = best(i + 1, tuple(a - b for a, b in zip(r, c)), k2)
                if rest + cost + split < val:
                    val, choice = rest + cost + split, c
        memo[key] = (val, choice)
        return val

    total = best(0, q, 0)
    if total == INF:
        return None
    # Walk the choices back.
    ships = []
    r, k = q, 0
    for i, n in enumerate(nodes):
        c = memo[(i, r, k)][1]
        if c is not None:
            ships.append((n.code, c))
            r = tuple(a - b for a, b in zip(r, c))
            k = min(k + 1, k_cap) if p.max_shipments is None else k + 1
    return Optimum(int(total), tuple(ships), r)


def size_ok(p: AllocationProblem, limit: int = 60_000) -> bool:
    """Is the order small enough for `optimum` in well under a second?"""
    pairs = 1
    for ln in p.lines:
        pairs *= (ln.qty + 1) * (ln.qty + 2) // 2
    k = (p.max_shipments or 1) + 1
    return pairs * max(len(p.nodes), 1) * k <= limit

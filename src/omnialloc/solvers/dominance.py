"""Node dominance: when one candidate can take over any shipment of another at no more cost.

Node m dominates node n when, for the order's SKUs, m holds at least n's stock (both capped at
what the order needs), m's lookahead price of every line is no higher, and every lane of n has
a lane at m that is no dearer on every term: node + lane fixed terms, first and additional slab
prices (same slab size), volumetric divisor at least as large, max weight at least as high, and
for a COD order fixed fee and percentage no higher. Then any contents n can ship, m can ship
too (stock, weight limit, minimum value and keep-together depend on the contents only) for no
more.

Ties between identical nodes are broken by candidate order, so "m > n" (m dominates n and n
does not dominate m, or they dominate each other and m comes first) is a strict partial order.
Take, among the plans cheaper than the incumbent, an optimal one whose used nodes have the
smallest total rank in a linear extension of ">": it never uses n while leaving a dominator of
n unused (moving n's shipment there would keep the cost and lower the rank). Hence, together
and at once:
- "n ships only if m ships" for every pair m > n (symmetry breaking among equal nodes is the
  special case of identical nodes);
- a node with at least `kmax` dominators, where every plan cheaper than the incumbent has at
  most `kmax` shipments, can be dropped: one of its dominators is always free.
"""

from __future__ import annotations

import numpy as np

from .instance import Instance


def dominance(inst: Instance, nodes: np.ndarray) -> np.ndarray:
    """(len(nodes), len(nodes)) bool: [a, b] is True when nodes[a] > nodes[b] (see module doc)."""
    nodes = np.asarray(nodes, dtype=np.int64)
    n = len(nodes)
    if n < 2:
        return np.zeros((n, n), dtype=bool)
    need = inst.q @ inst.sku_onehot
    stock = np.minimum(inst.stock[nodes], need[None, :])
    price = inst.price[nodes]
    ge = np.all(stock[:, None, :] >= stock[None, :, :], axis=2)
    ge &= np.all(price[:, None, :] <= price[None, :, :], axis=2)
    # Lane attributes, "smaller is better" (so a lane k covers lane j when all <=).
    J = len(inst.lane_src)
    cod = inst.is_cod
    key = np.stack([
        inst.node_fixed[inst.lane_node] + inst.lane_fixed,
        inst.first, inst.add, inst.slab, -inst.slab, -inst.div, -inst.maxw,
        inst.cod_fixed * cod, inst.cod_bp * cod,
    ], axis=1) if J else np.zeros((0, 9), dtype=np.int64)
    lanes = inst.node_lanes[nodes]  # (n, jmax), -1 padded
    valid = lanes >= 0
    K = key[np.where(valid, lanes, 0)]  # (n, jmax, 9)
    # covers[a, b, jb]: some lane of node a is at least as good as lane jb of node b.
    le = np.all(K[:, None, :, None, :] <= K[None, :, None, :, :], axis=4)  # (a, b, ja, jb)
    le &= valid[:, None, :, None]
    covers = np.any(le, axis=2) | ~valid[None, :, :]
    ge &= np.all(covers, axis=2)
    np.fill_diagonal(ge, False)
    earlier = np.arange(n)[:, None] < np.arange(n)[None, :]
    out: np.ndarray = ge & (~ge.T | earlier)
    return out


def prune_dominated(inst: Instance, nodes: np.ndarray, kmax: int, keep: np.ndarray | None = None,
                    max_pairs: int = 400) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Drop the nodes with >= kmax dominators among `nodes` (never those in `keep`) and list
    "n ships only if m ships" pairs (candidate indices; at most `max_pairs`, each node's
    nearest dominators first) for the rest."""
    nodes = np.asarray(nodes, dtype=np.int64)
    if len(nodes) < 2:
        return nodes, []
    dom = dominance(inst, nodes)
    count = dom.sum(axis=0)
    drop = count >= max(kmax, 1)
    if keep is not None:
        drop &= ~np.isin(nodes, keep)
    left = np.flatnonzero(~drop)
    pairs: list[tuple[int, int]] = []
    sub = dom[np.ix_(left, left)]
    for bi in np.argsort(sub.sum(axis=0), kind="stable"):
        for ai in np.flatnonzero(sub[:, bi])[:2]:
            pairs.append((int(nodes[left[ai]]), int(nodes[left[bi]])))
        if len(pairs) >= max_pairs:
            break
    return nodes[left], pairs

"""The nightly batch problem, in the domain's words, and its compiled arrays.

A `BatchProblem` holds many open orders (each with lines), the fulfilment
nodes (stock per SKU, shipment capacity for the day, an optional fixed cost
per node used in the batch: a carrier pickup charge) and, per (order, node),
either carrier lanes priced with the single-order arithmetic in
`solvers.costs` or one explicit cost per shipment (the analyst's cost
matrix). It is plain data; `compile()` turns it into `BatchData`, the numpy
form every algorithm in this package works on (and which benchmarks build
directly, vectorised).

Plan semantics (the model every solver here optimises, and the brute force
in the tests enumerates): each order line goes whole to one node or stays
unfilled (a line of an order added with `split_lines=True` is modelled as its
pieces, `line_pieces`, each of which goes whole to one node or stays unfilled:
the line may then ship from several nodes, as real-time allocation may split it); all lines of an order at one node form one shipment; a shipment
costs the node's handling plus the cheapest lane's slabbed charge (plus the
COD fee for COD orders) on its content, or, with a cost matrix, exactly the
matrix entry for (order, node) whatever the content; each unfilled unit
costs the order's unfilled penalty; each node that ships anything pays its
fixed cost once. Stock per (node, SKU) and shipments per node are limits.

What the batch may not do to a customer (`add_order` keywords): an order
marked `must_fill` (already confirmed to its buyer) is never left with an
unfilled line: its unfilled penalty is `KEEP_PENALTY_PAISE` per unit, far
above any shipment, and every plan is checked for it. An order's
`incumbent` (the shipments it holds now, as (node, line ids)) is always a
column, so keeping it is always possible. `priority` (higher first): the
batch never gives a lower-priority order stock that a higher-priority one
needs (see `priority.py`).

Per-order policy (what routing and split rules decide for real-time
allocation, `add_order` keywords; neutral by default): nodes the order may
not use (no lanes there); a preference cost per (order, node), signed, added
to every shipment from that node (and a carrier bonus per lane, subtracted);
a split penalty per shipment beyond the first (an order that ships nothing
pays none); at most K shipments; keep-together groups of lines (each group
whole in one shipment, or unfilled whole); a minimum value per shipment.

Cost-matrix file format (`read_cost_matrix_csv`): a CSV with header
`order_id,node,cost_paise`, one row per allowed (order, node) pair; a pair
that is absent means the node may not serve that order.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypedDict

import numpy as np
import numpy.typing as npt

from ..instance import merge_groups

UNLIMITED = -1
#: unfilled penalty per unit of an order that must stay filled: no shipment costs this much
KEEP_PENALTY_PAISE = 10**10

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
#: an order's incumbent shipments: (node index, line bitmask) each
Incumbent = list[tuple[int, int]]

# "Not given" for BatchData's per-order policy fields: __post_init__ puts the neutral value in their place.
_UNSET_INT: IntArray = np.empty(0, dtype=np.int64)
_UNSET_BOOL: BoolArray = np.empty(0, dtype=np.bool_)
_UNSET_INCUMBENT: list[Incumbent | None] = []
_UNSET_STR: list[str] = []


class BatchStats(TypedDict, total=False):
    """What a batch solve did (`BatchPlan.stats`): counts, the steps' totals (paise) and seconds."""

    orders: int
    patterns: int
    restricted_orders: int
    t_patterns: float
    t_lp: float
    lp_status: str
    lp_rows: int
    lp_unfinished: str
    t_sequential: float
    sequential_total: int
    t_lp_guided: float
    lp_guided_total: int
    improved_orders: int
    whole_mip_bound: float
    t_improve: float
    wall_limit_hit: bool
    fixed_mip: str
    reduced_mip: str
    reduced_mip_patterns: int
    reduced_mip_keep: int
    incumbent_improved_total: int
    fractional_orders: int
    remainder_orders: int
    remainder: str
    remainder_mip: str
    dive_rounds: int
    dive_left: int
    # open_nodes.py
    open_set_threshold: float
    opened_nodes: int
    closed_nodes: int
    # large.py
    lagrange1_bound: int
    lagrange1_iterations: int
    t_lagrange1: float
    priced_total: int
    regions: int
    region_orders: list[int]
    t_regions: float
    regions_improved: int
    region_total: int
    lagrange2_bound: int
    lagrange2_iterations: int
    t_lagrange2: float


class Prices(TypedDict):
    """The LP's opportunity prices (`BatchPlan.prices`): per stock row (node, sku) and per capacity node."""

    stock_rows: IntArray  # (R, 2)
    stock_dual: FloatArray
    cap_nodes: IntArray
    cap_dual: FloatArray


class LaneArrays(NamedTuple):
    """A lane-mode batch's per cand row carrier terms (`BatchData.lane_arrays`)."""

    first: IntArray
    add: IntArray
    slab: IntArray
    div: IntArray
    cod_fixed: IntArray
    cod_bp: IntArray


def _int(name: str, value: object, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


@dataclass
class BatchData:
    """Compiled arrays. Lines are flat, grouped by order (line_order sorted);
    `cand_*` lists the allowed (order, node) pairs: with lanes, one row per
    (order, node, lane); with a cost matrix, one row per pair and `cand_cost`."""

    order_ids: list[str]
    node_codes: list[str]
    skus: list[str]
    line_ids: list[str]
    line_order: IntArray
    line_sku: IntArray
    line_qty: IntArray
    line_w: IntArray
    line_v: IntArray
    line_vol: IntArray
    order_cod: BoolArray
    order_pen: IntArray  # unfilled penalty per unit
    stock: IntArray  # (N, S)
    cap: IntArray  # (N,) shipments, UNLIMITED = -1
    fixed: IntArray  # (N,) fixed cost if the node ships anything
    handling: IntArray  # (N,) per shipment
    cand_order: IntArray
    cand_node: IntArray
    cand_cost: IntArray | None = None  # cost-matrix mode
    lane_first: IntArray | None = None
    lane_add: IntArray | None = None
    lane_slab: IntArray | None = None
    lane_div: IntArray | None = None
    lane_cod_fixed: IntArray | None = None
    lane_cod_bp: IntArray | None = None
    lane_carrier: list[str] | None = None
    meta: dict[str, object] = field(default_factory=dict)
    # per-order policy (not given: neutral; filled in by __post_init__)
    #: split penalty per shipment beyond the first
    order_split: IntArray = field(default_factory=lambda: _UNSET_INT)
    #: at most this many shipments, -1 no limit
    order_kmax: IntArray = field(default_factory=lambda: _UNSET_INT)
    #: minimum value per shipment
    order_minval: IntArray = field(default_factory=lambda: _UNSET_INT)
    #: (O, G) keep-together line bitmasks, 0-padded
    order_groups: IntArray = field(default_factory=lambda: _UNSET_INT)
    #: per cand row: preference cost minus carrier bonus
    cand_extra: IntArray = field(default_factory=lambda: _UNSET_INT)
    #: bool: already confirmed, never left unfilled
    order_keep: BoolArray = field(default_factory=lambda: _UNSET_BOOL)
    #: int: higher is served first
    order_prio: IntArray = field(default_factory=lambda: _UNSET_INT)
    #: per order: the shipments it holds now as (node index, line mask), or None
    incumbent: list[Incumbent | None] = field(default_factory=lambda: _UNSET_INCUMBENT)
    #: per line: the order's own line id it is a piece of (`line_pieces`); not given: the line ids themselves
    line_src: list[str] = field(default_factory=lambda: _UNSET_STR)

    def __post_init__(self) -> None:
        O = len(self.order_ids)
        if self.order_split is _UNSET_INT:
            self.order_split = np.zeros(O, dtype=np.int64)
        if self.order_kmax is _UNSET_INT:
            self.order_kmax = np.full(O, UNLIMITED, dtype=np.int64)
        if self.order_minval is _UNSET_INT:
            self.order_minval = np.zeros(O, dtype=np.int64)
        if self.order_groups is _UNSET_INT:
            self.order_groups = np.zeros((O, 0), dtype=np.int64)
        if self.cand_extra is _UNSET_INT:
            self.cand_extra = np.zeros(len(self.cand_order), dtype=np.int64)
        if self.order_keep is _UNSET_BOOL:
            self.order_keep = np.zeros(O, dtype=bool)
        if self.order_prio is _UNSET_INT:
            self.order_prio = np.zeros(O, dtype=np.int64)
        if self.incumbent is _UNSET_INCUMBENT:
            self.incumbent = [None] * O
        if self.line_src is _UNSET_STR:
            self.line_src = list(self.line_ids)

    def line_penalty(self) -> IntArray:
        """Unfilled cost of each whole line (int64 paise): the order's penalty x qty, or the keep penalty."""
        per_unit = np.where(self.order_keep, KEEP_PENALTY_PAISE, self.order_pen)
        return per_unit[self.line_order] * self.line_qty

    @property
    def n_orders(self) -> int:
        return len(self.order_ids)

    @property
    def n_nodes(self) -> int:
        return len(self.node_codes)

    @property
    def matrix_mode(self) -> bool:
        return self.cand_cost is not None

    def lane_arrays(self) -> LaneArrays:
        """The lane columns of a batch priced by lanes; ValueError for a cost-matrix batch (`matrix_mode`)."""
        if (self.lane_first is None or self.lane_add is None or self.lane_slab is None or self.lane_div is None
                or self.lane_cod_fixed is None or self.lane_cod_bp is None):
            raise ValueError("a batch priced by a cost matrix has no lanes")
        return LaneArrays(self.lane_first, self.lane_add, self.lane_slab, self.lane_div, self.lane_cod_fixed,
                          self.lane_cod_bp)

    def order_line_start(self) -> IntArray:
        """start[o]..start[o+1] are the line indices of order o."""
        counts = np.bincount(self.line_order, minlength=self.n_orders)
        start = np.zeros(self.n_orders + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        return start

    def subset(self, orders: npt.ArrayLike, stock: IntArray | None = None,
               cap: IntArray | None = None) -> BatchData:
        """The sub-problem over `orders` (sorted indices), optionally with
        other stock/capacity (what is left for it)."""
        orders = np.asarray(orders, dtype=np.int64)
        remap = -np.ones(self.n_orders, dtype=np.int64)
        remap[orders] = np.arange(len(orders))
        lmask = remap[self.line_order] >= 0
        cmask = remap[self.cand_order] >= 0

        def pick(a: IntArray | None, m: BoolArray) -> IntArray | None:
            return None if a is None else a[m]

        return BatchData(
            order_ids=[self.order_ids[o] for o in orders],
            node_codes=self.node_codes,
            skus=self.skus,
            line_ids=[lid for lid, m in zip(self.line_ids, lmask) if m],
            line_src=[lid for lid, m in zip(self.line_src, lmask) if m],
            line_order=remap[self.line_order[lmask]],
            line_sku=self.line_sku[lmask],
            line_qty=self.line_qty[lmask],
            line_w=self.line_w[lmask],
            line_v=self.line_v[lmask],
            line_vol=self.line_vol[lmask],
            order_cod=self.order_cod[orders],
            order_pen=self.order_pen[orders],
            stock=self.stock if stock is None else stock,
            cap=self.cap if cap is None else cap,
            fixed=self.fixed,
            handling=self.handling,
            cand_order=remap[self.cand_order[cmask]],
            cand_node=self.cand_node[cmask],
            cand_cost=pick(self.cand_cost, cmask),
            lane_first=pick(self.lane_first, cmask),
            lane_add=pick(self.lane_add, cmask),
            lane_slab=pick(self.lane_slab, cmask),
            lane_div=pick(self.lane_div, cmask),
            lane_cod_fixed=pick(self.lane_cod_fixed, cmask),
            lane_cod_bp=pick(self.lane_cod_bp, cmask),
            lane_carrier=None if self.lane_carrier is None else [c for c, m in zip(self.lane_carrier, cmask) if m],
            order_split=self.order_split[orders],
            order_kmax=self.order_kmax[orders],
            order_minval=self.order_minval[orders],
            order_groups=self.order_groups[orders],
            cand_extra=self.cand_extra[cmask],
            order_keep=self.order_keep[orders],
            order_prio=self.order_prio[orders],
            incumbent=[self.incumbent[o] for o in orders.tolist()],
        )


#: a line of up to this many units splits into single units (every split across nodes is a plan)
UNIT_PIECES_MAX = 3
#: orders of up to this many lines get every subset of their lines as a column (`patterns.py`); a
#: split line's pieces count as lines, so lines are split only while the order stays within it
MAX_LINES_FULL = 6


def line_pieces(qty: int) -> list[int]:
    """The pieces a splittable line of `qty` units is modelled as (each piece ships whole from one node):
    single units up to `UNIT_PIECES_MAX` (every split is possible), else powers of two and the rest
    (1, 2, 4, ..., r): every split in two parts is possible, and a split in three or more parts when
    the pieces allow it. The model (and its bound) is over these pieces."""
    if qty <= UNIT_PIECES_MAX:
        return [1] * qty
    out: list[int] = []
    k = 1
    while qty - sum(out) > k:
        out.append(k)
        k *= 2
    out.append(qty - sum(out))
    return out


#: a compiled order line: (line id, sku, qty, unit weight g, unit value paise, unit volume mm3)
_Line = tuple[str, str, int, int, int, int]
#: an `add_lane` call: (order, node, carrier, first slab, additional slab, slab g, divisor, COD fixed,
#: COD basis points, bonus)
_LaneRow = tuple[str, str, str, int, int, int, int, int, int, int]


class _Node(TypedDict):
    stock: dict[str, int]
    cap: int
    fixed: int
    handling: int


class _Order(TypedDict):
    lines: list[_Line]
    src: list[str]
    cod: bool
    pen: int
    forbidden: set[str]
    node_cost: dict[str, int]
    split: int
    kmax: int
    groups: list[int]
    minval: int
    keep: bool
    prio: int
    incumbent: list[tuple[str, list[str]]]


class _Policy(TypedDict):
    order_split: IntArray
    order_kmax: IntArray
    order_minval: IntArray
    order_groups: IntArray
    order_keep: BoolArray
    order_prio: IntArray
    incumbent: list[Incumbent | None]


class _Common(_Policy):
    """`BatchData`'s fields that do not depend on lanes or a cost matrix."""

    order_ids: list[str]
    node_codes: list[str]
    skus: list[str]
    line_ids: list[str]
    line_src: list[str]
    line_order: IntArray
    line_sku: IntArray
    line_qty: IntArray
    line_w: IntArray
    line_v: IntArray
    line_vol: IntArray
    order_cod: BoolArray
    order_pen: IntArray
    stock: IntArray
    cap: IntArray
    fixed: IntArray
    handling: IntArray


def _split(lines: list[_Line], grouped: set[str]) -> tuple[list[_Line], list[str]]:
    """Lines with the splittable lines (not in `grouped`, more than one unit) replaced by their pieces,
    ids `<line id>#<k>`, the largest lines first while the order keeps at most `MAX_LINES_FULL` lines
    (a larger order would lose most of its columns); and per returned line the order's line id."""
    room = MAX_LINES_FULL - len(lines)
    split: set[str] = set()
    for lid, _, qty, *_ in sorted(lines, key=lambda ln: -ln[2]):
        if lid not in grouped and qty > 1 and len(line_pieces(qty)) - 1 <= room:
            split.add(lid)
            room -= len(line_pieces(qty)) - 1
    out: list[_Line] = []
    src: list[str] = []
    for lid, sku, qty, w, v, vol in lines:
        parts = line_pieces(qty) if lid in split else [qty]
        for k, q in enumerate(parts):
            out.append((lid if len(parts) == 1 else f"{lid}#{k}", sku, q, w, v, vol))
            src.append(lid)
    if len({ln[0] for ln in out}) != len(out):
        raise ValueError(f"line ids clash with the pieces of split lines: {sorted(ln[0] for ln in lines)}")
    return out, src


class BatchProblem:
    """Build a batch with `add_node`, `add_order`, then `add_lane` or
    `set_cost` per (order, node) (one style per problem), and `compile()`."""

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {}
        self._orders: dict[str, _Order] = {}
        self._lanes: list[_LaneRow] = []
        self._costs: dict[tuple[str, str], int] = {}

    def add_node(self, code: str, stock: dict[str, int], capacity_shipments: int | None = None,
                 fixed_cost_paise: int = 0, handling_cost_paise: int = 0) -> None:
        if not code or code in self._nodes:
            raise ValueError(f"node code {code!r} is empty or already used")
        self._nodes[code] = {
            "stock": {s: _int(f"stock[{s}]", q) for s, q in stock.items()},
            "cap": UNLIMITED if capacity_shipments is None else _int("capacity_shipments", capacity_shipments),
            "fixed": _int("fixed_cost_paise", fixed_cost_paise),
            "handling": _int("handling_cost_paise", handling_cost_paise),
        }

    def add_order(self, order_id: str, lines: Sequence[Sequence[object]], payment_mode: str = "PREPAID",
                  unfilled_penalty_paise_per_unit: int = 50_000, *, forbidden_nodes: Iterable[object] = (),
                  node_cost_paise: dict[str, int] | None = None, split_penalty_paise: int = 0,
                  max_shipments: int | None = None, keep_together: list[set[str]] | None = None,
                  min_shipment_value_paise: int = 0, must_fill: bool = False, priority: int = 0,
                  incumbent: list[tuple[str, list[str]]] | None = None, split_lines: bool = False) -> None:
        """`lines`: (line_id, sku, qty, unit_weight_g, unit_value_paise[, unit_volume_mm3]).

        Policy (the single-order `AllocationProblem`'s terms): `forbidden_nodes` may not ship
        it; `node_cost_paise[node]` (signed) is added to every shipment from that node;
        `split_penalty_paise` per shipment beyond the first; `max_shipments` (1 = no split);
        `keep_together`: groups of line ids that ship whole in one shipment or not at all;
        `min_shipment_value_paise`: every shipment's value at least this.

        `must_fill`: every line must stay filled (an order already confirmed); `priority`: higher is
        served first; `incumbent`: the shipments the order holds now, [(node, [line ids])].

        `split_lines`: a line may ship from several nodes, as real-time allocation may split it
        (`line_pieces`, while the order stays within `MAX_LINES_FULL` lines); ignored when the order
        may not split (`max_shipments=1`) and for lines of a keep-together group (it ships whole)."""
        if not order_id or order_id in self._orders:
            raise ValueError(f"order id {order_id!r} is empty or already used")
        if payment_mode not in ("PREPAID", "COD"):
            raise ValueError(f"payment_mode must be PREPAID or COD, got {payment_mode!r}")
        if not lines:
            raise ValueError(f"order {order_id} has no lines")
        clean: list[_Line] = []
        for ln in lines:
            lid, sku, qty, w, v, *rest = ln
            vol = rest[0] if rest else 0
            clean.append((str(lid), str(sku), _int("qty", qty, 1), _int("unit_weight_g", w),
                          _int("unit_value_paise", v), _int("unit_volume_mm3", vol)))
        if len({c[0] for c in clean}) != len(clean):
            raise ValueError(f"order {order_id} has duplicate line ids")
        pos = {c[0]: i for i, c in enumerate(clean)}
        groups: list[int] = []
        for g in merge_groups([frozenset(str(x) for x in g) for g in (keep_together or [])]):
            unknown = g - set(pos)
            if unknown:
                raise ValueError(f"keep_together of order {order_id} refers to unknown lines {sorted(unknown)}")
            if len(g) >= 2:
                groups.append(sum(1 << pos[x] for x in g))
        if split_lines and max_shipments != 1:
            grouped: set[str] = set().union(*[{clean[i][0] for i in range(len(clean)) if g >> i & 1} for g in groups])
            clean, src = _split(clean, grouped)
            pieces: dict[str, list[int]] = {}
            for i, lid in enumerate(src):
                pieces.setdefault(lid, []).append(i)
            groups = [sum(1 << p for lid in g_ids for p in pieces[lid])
                      for g_ids in ([lid for lid in pos if g >> pos[lid] & 1] for g in groups)]
        else:
            src = [c[0] for c in clean]
        node_cost: dict[str, int] = {}
        for n, c in (node_cost_paise or {}).items():
            node_cost[str(n)] = _int(f"node_cost_paise[{n}]", c, minimum=-(1 << 40))
        self._orders[order_id] = {
            "lines": clean,
            "src": src,
            "cod": payment_mode == "COD",
            "pen": _int("unfilled_penalty_paise_per_unit", unfilled_penalty_paise_per_unit),
            "forbidden": {str(n) for n in forbidden_nodes},
            "node_cost": node_cost,
            "split": _int("split_penalty_paise", split_penalty_paise),
            "kmax": UNLIMITED if max_shipments is None else _int("max_shipments", max_shipments, 1),
            "groups": groups,
            "minval": _int("min_shipment_value_paise", min_shipment_value_paise),
            "keep": bool(must_fill),
            "prio": _int("priority", priority, minimum=-(1 << 40)),
            "incumbent": [(str(n), [str(x) for x in ids]) for n, ids in (incumbent or [])],
        }
        for n, ids in self._orders[order_id]["incumbent"]:
            if not ids or set(ids) - set(pos):
                raise ValueError(f"incumbent shipment of order {order_id} at {n} has unknown or no lines")

    def add_lane(self, order_id: str, node: str, carrier: str, first_slab_paise: int,
                 additional_slab_paise: int, slab_g: int = 500, volumetric_divisor: int = 5000,
                 cod_fixed_paise: int = 0, cod_percent_bp: int = 0, bonus_paise: int = 0) -> None:
        """`bonus_paise`: a shipping rule's carrier bonus, subtracted from a shipment on this lane."""
        if self._costs:
            raise ValueError("a problem uses lanes or a cost matrix, not both")
        self._lanes.append((order_id, node, carrier, _int("first_slab_paise", first_slab_paise),
                            _int("additional_slab_paise", additional_slab_paise), _int("slab_g", slab_g, 1),
                            _int("volumetric_divisor", volumetric_divisor, 1),
                            _int("cod_fixed_paise", cod_fixed_paise), _int("cod_percent_bp", cod_percent_bp),
                            _int("bonus_paise", bonus_paise)))

    def set_cost(self, order_id: str, node: str, cost_paise: int) -> None:
        """Explicit cost of one shipment of (any part of) `order_id` from `node`."""
        if self._lanes:
            raise ValueError("a problem uses lanes or a cost matrix, not both")
        self._costs[(order_id, node)] = _int("cost_paise", cost_paise)

    def read_cost_matrix_csv(self, path: str | os.PathLike[str]) -> None:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                self.set_cost(row["order_id"], row["node"], int(row["cost_paise"]))

    def compile(self) -> BatchData:
        order_ids = list(self._orders)
        node_codes = list(self._nodes)
        opos = {o: i for i, o in enumerate(order_ids)}
        npos = {n: i for i, n in enumerate(node_codes)}
        skus = sorted({s for n in self._nodes.values() for s in n["stock"]}
                      | {ln[1] for o in self._orders.values() for ln in o["lines"]})
        spos = {s: i for i, s in enumerate(skus)}
        rows = [(i, ln) for i, o in enumerate(order_ids) for ln in self._orders[o]["lines"]]
        stock = np.zeros((len(node_codes), len(skus)), dtype=np.int64)
        for n, node in self._nodes.items():
            for s, q in node["stock"].items():
                stock[npos[n], spos[s]] = q

        def unknown(o: str, n: str) -> None:
            if o not in opos:
                raise ValueError(f"unknown order {o!r}")
            if n not in npos:
                raise ValueError(f"unknown node {n!r}")

        for o in order_ids:
            for n in self._orders[o]["forbidden"] | set(self._orders[o]["node_cost"]):
                unknown(o, n)

        def allowed(o: str, n: str) -> bool:
            return n not in self._orders[o]["forbidden"]

        def extra(o: str, n: str) -> int:
            return self._orders[o]["node_cost"].get(n, 0)

        def policy() -> _Policy:
            """Per-order arrays; a split penalty or K that cannot matter (one line, K >= lines) is dropped."""
            kmax, split = [], []
            for o in order_ids:
                x = self._orders[o]
                L = len(x["lines"])
                k = x["kmax"] if 0 <= x["kmax"] < L else UNLIMITED
                kmax.append(k)
                split.append(0 if L == 1 or k == 1 else x["split"])
            G = max((len(self._orders[o]["groups"]) for o in order_ids), default=0)
            groups = np.zeros((len(order_ids), G), dtype=np.int64)
            for i, o in enumerate(order_ids):
                for j, m in enumerate(self._orders[o]["groups"]):
                    groups[i, j] = m
            return _Policy(order_split=np.array(split, dtype=np.int64), order_kmax=np.array(kmax, dtype=np.int64),
                           order_minval=np.array([self._orders[o]["minval"] for o in order_ids], dtype=np.int64),
                           order_groups=groups,
                           order_keep=np.array([self._orders[o]["keep"] for o in order_ids], dtype=bool),
                           order_prio=np.array([self._orders[o]["prio"] for o in order_ids], dtype=np.int64),
                           incumbent=[incumbent(o) for o in order_ids])

        def incumbent(o: str) -> Incumbent | None:
            x = self._orders[o]
            if not x["incumbent"]:
                return None
            out: Incumbent = []
            for n, ids in x["incumbent"]:
                unknown(o, n)
                held = set(ids)
                out.append((npos[n], sum(1 << i for i, lid in enumerate(x["src"]) if lid in held)))
            return out

        common = _Common(
            order_ids=order_ids,
            node_codes=node_codes,
            skus=skus,
            line_ids=[ln[0] for _, ln in rows],
            line_src=[src for o in order_ids for src in self._orders[o]["src"]],
            line_order=np.array([i for i, _ in rows], dtype=np.int64),
            line_sku=np.array([spos[ln[1]] for _, ln in rows], dtype=np.int64),
            line_qty=np.array([ln[2] for _, ln in rows], dtype=np.int64),
            line_w=np.array([ln[3] for _, ln in rows], dtype=np.int64),
            line_v=np.array([ln[4] for _, ln in rows], dtype=np.int64),
            line_vol=np.array([ln[5] for _, ln in rows], dtype=np.int64),
            order_cod=np.array([self._orders[o]["cod"] for o in order_ids], dtype=bool),
            order_pen=np.array([self._orders[o]["pen"] for o in order_ids], dtype=np.int64),
            stock=stock,
            **policy(),
            cap=np.array([self._nodes[n]["cap"] for n in node_codes], dtype=np.int64),
            fixed=np.array([self._nodes[n]["fixed"] for n in node_codes], dtype=np.int64),
            handling=np.array([self._nodes[n]["handling"] for n in node_codes], dtype=np.int64),
        )
        if self._costs:
            keys = sorted(self._costs, key=lambda k: (opos.get(k[0], -1), npos.get(k[1], -1)))
            for o, n in keys:
                unknown(o, n)
            keys = [k for k in keys if allowed(*k)]
            return BatchData(
                **common,
                cand_order=np.array([opos[o] for o, _ in keys], dtype=np.int64),
                cand_node=np.array([npos[n] for _, n in keys], dtype=np.int64),
                cand_cost=np.array([self._costs[k] for k in keys], dtype=np.int64),
                cand_extra=np.array([extra(*k) for k in keys], dtype=np.int64),
            )
        for lane in self._lanes:
            unknown(lane[0], lane[1])
        lanes = sorted((r for r in self._lanes if allowed(r[0], r[1])), key=lambda r: (opos[r[0]], npos[r[1]]))

        def col(k: int) -> IntArray:
            return np.array([r[k] for r in lanes], dtype=np.int64)

        return BatchData(
            **common,
            cand_order=np.array([opos[r[0]] for r in lanes], dtype=np.int64),
            cand_node=np.array([npos[r[1]] for r in lanes], dtype=np.int64),
            lane_carrier=[r[2] for r in lanes],
            lane_first=col(3), lane_add=col(4), lane_slab=col(5), lane_div=col(6),
            lane_cod_fixed=col(7), lane_cod_bp=col(8),
            cand_extra=np.array([extra(r[0], r[1]) - r[9] for r in lanes], dtype=np.int64),
        )

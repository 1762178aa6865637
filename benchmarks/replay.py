"""What-if replay: re-run the store's order history under another strategy or other weights, read-only.

`omnialloc bench replay --since 2026-10-01 --strategy nearest` reads, in one
read-only unit of work, the orders created since the date (oldest first),
their shipments, the inventory, the inventory changes recorded since the date
(receipts, damage, transfers, restocked returns: `adjusted` events; stock
imports: `imported` events with their per-position before/after rows in
`inventory_import_changes`) and the network. It then:

1. rebuilds the available-to-promise stock as it was at the date: today's
   ATP (on_hand - reserved - safety stock, signed), plus every unit the
   replayed orders' live shipments hold or have consumed, minus every
   recorded change since the date (a receipt since then was not there yet; a
   damage write-off since then still was; an import's change of on_hand minus
   its change of safety stock, per position, including the positions a
   snapshot import zeroed);
2. replays orders and changes merged in time order on that private copy:
   an order is allocated with the chosen strategy (and weights) through the
   service layer's own problem builder (`services.allocation.planning.build_problem`),
   its plan taken from the copy; an adjustment or import adds its deltas to
   the copy at its time;
3. compares with what actually happened (the live shipments' money: carrier
   charge + COD fee + handling, the same terms on both sides, so preference
   weights such as a split penalty steer the replay but are not counted as
   money spent).
Nothing is written to the database.

Other weights (`Weights`): the split penalty (the live setting unless given),
a distance weight per km and a node-priority weight - the solver's preference
terms the live allocator leaves at zero.

Known approximations: stock imports made before per-position changes were
recorded (migration 0010; their event has no `changes` count) cannot be undone
and are counted in the summary as `imports_not_undone`; orders cancelled or on
hold now are replayed too (their lines without cancelled units), since they
were allocatable when they arrived.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from omnialloc.services.allocation.allocator import DEAD, destination
from omnialloc.services.network.cache import network
from omnialloc.services.allocation.planning import Candidates, build_problem
from omnialloc.solvers import PlanStatus, solve

MONEY_TERMS = ("shipping", "cod", "handling")


@dataclass(frozen=True)
class Weights:
    """Preference weights for the replay (integer paise, >= 0); None = the live setting."""

    split_penalty_paise: int | None = None
    distance_weight_paise_per_km: int = 0
    priority_weight_paise: int = 0

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None and f.name == "split_penalty_paise":
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{f.name} must be a non-negative integer (paise), got {v!r}")

    def describe(self) -> str:
        parts = [f"{f.name}={getattr(self, f.name)}" for f in dataclasses.fields(self) if getattr(self, f.name)]
        return ", ".join(parts) or "live weights"


@dataclass
class ReplayRow:
    order_id: str
    actual_paise: int
    actual_shipments: int
    replay_paise: int | None
    replay_shipments: int
    replay_status: str


@dataclass(frozen=True)
class StockChange:
    at: dt.datetime
    node: str
    sku: str
    delta: int


@dataclass(frozen=True)
class StockImport:
    """One stock import's change of ATP per position (on_hand change minus safety stock change)."""

    at: dt.datetime
    import_id: str
    keys: list[tuple[str, str]]
    deltas: list[int]


def _moves(change: StockChange | StockImport):
    if isinstance(change, StockImport):
        return zip(change.keys, change.deltas)
    return (((change.node, change.sku), change.delta),)


class StockLedger:
    """Available-to-promise per (node, SKU) as it was at the replay's start, moved forward in time.

    Start = today's ATP + what the replayed orders' live shipments hold or consumed - every
    recorded change since the start. `advance_to(t)` then re-applies the changes made up to
    `t`, oldest first (an import's deltas all at once, at its time). Positions are signed, today's
    too (a position can be below zero at the start: units a receipt since then brought in were
    then taken by orders placed before the start; safety stock an import raised since then may
    exceed today's free stock), so undoing is exact arithmetic; the solver is shown max(0, .)."""

    def __init__(self, positions, held: dict[tuple[str, str], int], changes: list[StockChange | StockImport]):
        self.atp: dict[tuple[str, str], int] = defaultdict(int)
        for p in positions:
            self.atp[(p.node, p.sku)] = p.on_hand - p.reserved - p.safety_stock
        for key, q in held.items():
            self.atp[key] += q
        for c in changes:
            for key, d in _moves(c):
                self.atp[key] -= d
        self._changes = sorted(changes, key=lambda c: c.at)  # stable: same-time changes keep event order
        self._next = 0

    def advance_to(self, t: dt.datetime) -> None:
        while self._next < len(self._changes) and self._changes[self._next].at <= t:
            for key, d in _moves(self._changes[self._next]):
                self.atp[key] += d
            self._next += 1


def _money(breakdown: dict) -> int:
    return sum(int(breakdown.get(t, 0)) for t in MONEY_TERMS)


def _history(uow, since: dt.datetime, limit: int | None) -> list:
    history = []
    after = None
    while True:
        page = uow.orders.list(created_from=since, after=after, limit=500, newest_first=False)
        history.extend(page.items)
        after = page.next_key
        if not after or (limit and len(history) >= limit):
            break
    return history[:limit] if limit else history


def _stock_changes(uow, since: dt.datetime) -> tuple[list[StockChange | StockImport], int]:
    """Recorded per-position changes since the date, oldest first: adjustments, and imports with
    their rows in inventory_import_changes; and how many imports since then have no recorded
    changes (made before migration 0010, or older than the last `inventory prune-history`), so cannot
    be undone."""
    from omnialloc.store.tables.events import events
    from omnialloc.store.tables.stock_imports import inventory_import_changes as ch

    rows = uow.conn.execute(
        sa.select(events.c.type, events.c.at, events.c.entity_id, events.c.payload)
        .where(events.c.entity == "inventory", events.c.at >= since)
        .order_by(events.c.at, events.c.id)
    ).all()
    from omnialloc.services.inventory.import_history import horizon

    pruned_before = horizon(uow)
    changes: list[StockChange | StockImport] = []
    not_undone = 0
    keys: dict[tuple[str, str], tuple[str, str]] = {}  # one key tuple per position across imports
    for type_, at, entity_id, payload in rows:
        payload = payload or {}
        if type_ == "adjusted" and {"node", "sku", "delta"} <= payload.keys():
            changes.append(StockChange(at, payload["node"], payload["sku"], int(payload["delta"])))
        elif type_ == "imported" and ("changes" not in payload
                                       or (payload["changes"] and pruned_before is not None
                                           and at < pruned_before)):
            not_undone += 1   # no change rows (before migration 0010), or pruned since
        elif type_ == "imported" and payload["changes"]:
            delta = (ch.c.on_hand_after - ch.c.on_hand_before) - (ch.c.safety_after - ch.c.safety_before)
            moved = uow.conn.execute(sa.select(ch.c.node, ch.c.sku, delta)
                                     .where(ch.c.import_id == entity_id, delta != 0))
            imp = StockImport(at, entity_id, [], [])
            for node, sku, d in moved:
                k = (node, sku)
                imp.keys.append(keys.setdefault(k, k))
                imp.deltas.append(int(d))
            changes.append(imp)
    return changes, not_undone


def replay(ctx, since: dt.datetime, strategy: str, *, limit: int | None = None,
           weights: Weights | None = None) -> tuple[list[ReplayRow], dict]:
    weights = weights or Weights()
    settings = ctx.settings
    if weights.split_penalty_paise is not None:
        settings = settings.replace(split_penalty_paise=weights.split_penalty_paise)

    with ctx.uow(readonly=True) as uow:
        net = network(uow, fresh=True)
        history = _history(uow, since, limit)
        shipments = {o.id: uow.shipments.for_order(o.id) for o in history}
        positions = uow.inventory.list()
        skus = uow.skus.get_many(sorted({ln.sku for o in history for ln in o.lines}))
        changes, imports = _stock_changes(uow, since)

    held: dict[tuple[str, str], int] = defaultdict(int)
    for o in history:
        for s in shipments[o.id]:
            if s.status not in DEAD:
                for ln in s.lines:
                    held[(s.node, ln.sku)] += ln.qty   # held (reserved) or consumed (shipped) by this order
    ledger = StockLedger(positions, held, changes)

    rows: list[ReplayRow] = []
    for o in history:
        if o.created_at is not None:
            ledger.advance_to(o.created_at)
        row = _replay_order(o, shipments[o.id], ledger.atp, skus, net, settings, weights, strategy)
        if row is not None:
            rows.append(row)

    both = [r for r in rows if r.replay_paise is not None and r.actual_shipments > 0]
    summary = {
        "orders": len(rows),
        "compared": len(both),
        "actual_paise": sum(r.actual_paise for r in both),
        "replay_paise": sum(r.replay_paise for r in both),
        "actual_split": sum(r.actual_shipments > 1 for r in both),
        "replay_split": sum(r.replay_shipments > 1 for r in both),
        "replay_unplaced": sum(r.replay_paise is None for r in rows),
        "actual_unplaced": sum(r.actual_shipments == 0 for r in rows),
        "stock_changes_replayed": sum(isinstance(c, StockChange) for c in changes),
        "imports_replayed": sum(isinstance(c, StockImport) for c in changes),
        "import_positions_replayed": sum(len(c.keys) for c in changes if isinstance(c, StockImport)),
        "imports_not_undone": imports,
        "weights": weights.describe(),
    }
    return rows, summary


def _replay_order(o, live_shipments, atp, skus, net, settings, weights: Weights, strategy: str) -> ReplayRow | None:
    """One order on the private stock copy (taken from it); None if nothing is left to place."""
    live = [s for s in live_shipments if s.status not in DEAD]
    actual = sum(_money(s.cost_breakdown) if s.cost_breakdown else s.cost_paise for s in live)
    remaining = {ln.line_no: ln.qty - ln.cancelled_qty for ln in o.lines if ln.qty - ln.cancelled_qty > 0}
    if not remaining:
        return None
    try:
        dest = destination(o)
    except Exception as exc:  # noqa: BLE001 - an address the live system could not place either
        return ReplayRow(o.id, actual, len(live), None, 0, f"INFEASIBLE: {exc}")
    view = {k: max(0, v) for k, v in atp.items()}
    cand = Candidates(nodes=list(net.nodes), locations=net.locations, atp=view, capacity_left={})
    problem = build_problem(o, remaining, skus, dest, cand, net, settings)
    problem.distance_weight_paise_per_km = weights.distance_weight_paise_per_km
    problem.priority_weight_paise = weights.priority_weight_paise
    plan = solve(problem, strategy=strategy, time_limit_ms=settings.solver_time_limit_ms, explain_plan=False)
    if plan.status == PlanStatus.INFEASIBLE or not plan.shipments:
        return ReplayRow(o.id, actual, len(live), None, 0, plan.status.value)
    for sh in plan.shipments:
        for lid, q in sh.lines.items():
            atp[(sh.node, o.line(int(lid)).sku)] -= q
    money = sum(_money(sh.costs.to_dict()) for sh in plan.shipments)
    return ReplayRow(o.id, actual, len(live), money, len(plan.shipments), plan.status.value)

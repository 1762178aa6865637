"""What-if replay: re-run the store's order history under another strategy, read-only.

`omnialloc bench replay --since 2026-10-01 --strategy nearest` reads, in one
read-only unit of work, the orders created since the date (oldest first),
their shipments, the inventory and the network; rebuilds the stock as it was
before those orders (today's available-to-promise plus every unit the
replayed orders' live shipments hold or have consumed); then allocates the
orders one by one with the chosen strategy on that private copy, using the
service layer's own problem builder (`services.planning.build_problem`), and
compares with what actually happened (the live shipments' recorded cost).
Nothing is written to the database.

Known approximation: stock movements after the date that are not those
orders' shipments (receipts, manual adjustments, returns restocked) are not
undone, so the "as it was" stock is today's plus the replayed orders' units.
Orders that are cancelled or on hold now are replayed too (their lines
without cancelled units), since they were allocatable when they arrived.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from omnialloc.solvers import PlanStatus, solve


@dataclass
class ReplayRow:
    order_id: str
    actual_paise: int
    actual_shipments: int
    replay_paise: int | None
    replay_shipments: int
    replay_status: str


def replay(ctx, since: dt.datetime, strategy: str, *, limit: int | None = None) -> tuple[list[ReplayRow], dict]:
    from omnialloc.services.allocation import DEAD, destination
    from omnialloc.services.network import network
    from omnialloc.services.planning import Candidates, build_problem

    with ctx.uow(readonly=True) as uow:
        net = network(uow, fresh=True)
        history = []
        cursor = None
        while True:
            page = uow.orders.list(created_from=since, cursor=cursor, limit=500, newest_first=False)
            history.extend(page.items)
            cursor = page.next_cursor
            if not cursor or (limit and len(history) >= limit):
                break
        if limit:
            history = history[:limit]
        shipments = {o.id: uow.shipments.for_order(o.id) for o in history}
        positions = uow.inventory.list()
        skus = uow.skus.get_many(sorted({ln.sku for o in history for ln in o.lines}))

    atp: dict[tuple[str, str], int] = defaultdict(int)
    for p in positions:
        atp[(p.node, p.sku)] = max(0, p.on_hand - p.reserved - p.safety_stock)
    for o in history:
        for s in shipments[o.id]:
            if s.status not in DEAD:
                for ln in s.lines:
                    atp[(s.node, ln.sku)] += ln.qty   # held (reserved) or consumed (shipped) by this order

    rows: list[ReplayRow] = []
    for o in history:
        live = [s for s in shipments[o.id] if s.status not in DEAD]
        actual = sum(s.cost_paise for s in live)
        remaining = {ln.line_no: ln.qty - ln.cancelled_qty for ln in o.lines if ln.qty - ln.cancelled_qty > 0}
        if not remaining:
            continue
        try:
            dest = destination(o)
        except Exception as exc:  # an address the live system could not place either
            rows.append(ReplayRow(o.id, actual, len(live), None, 0, f"INFEASIBLE: {exc}"))
            continue
        cand = Candidates(nodes=list(net.nodes), locations=net.locations, atp=dict(atp), capacity_left={})
        problem = build_problem(o, remaining, skus, dest, cand, net, ctx.settings)
        plan = solve(problem, strategy=strategy, time_limit_ms=ctx.settings.solver_time_limit_ms, explain_plan=False)
        if plan.status == PlanStatus.INFEASIBLE or not plan.shipments:
            rows.append(ReplayRow(o.id, actual, len(live), None, 0, plan.status.value))
            continue
        for sh in plan.shipments:
            for lid, q in sh.lines.items():
                atp[(sh.node, o.line(int(lid)).sku)] -= q
        rows.append(ReplayRow(o.id, actual, len(live), sum(s.costs.total for s in plan.shipments),
                              len(plan.shipments), plan.status.value))

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
    }
    return rows, summary

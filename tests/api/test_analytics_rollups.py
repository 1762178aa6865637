"""The analytics page's daily rollups (issue 28) stay exact while orders change after their day.

Random orders (seeded) are written straight into the tables over the last ten days and a few before:
lines, shipments in every status with cost terms, deliveries against a deliver-by, a promised-by or promised
days, returns, messages. The service's figures (read from the rollups it builds) must equal the figures this
test computes from the raw rows with its own plain SQL, for several ranges and channels. Then orders of past
days change the way the store's writers and hand-made fixes change them (deliveries, rejections, a cancelled
order and line, a shipment and a return added late, a return rejected, messages failed or deleted, an order
moved to another day and channel, an order deleted), through plain UPDATE / INSERT / DELETE statements that
no repository sees: the figures must still equal the test's, so the triggers marked every changed day and
the refresh rebuilt it.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

DEAD = ("REJECTED", "CANCELLED")
DELIVERED = ("DELIVERED", "COLLECTED")
STATUSES = ("ALLOCATED", "ACCEPTED", "SHIPPED", "DELIVERED", "DELIVERED", "COLLECTED", "REJECTED", "CANCELLED")
REASONS = ("size_fit", "damaged", "changed_mind")
WATCHED = ("orders", "order_lines", "shipments", "shipment_lines", "returns", "return_lines", "notifications")


def _utc(v):
    if v is None:
        return None
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    return v if v.tzinfo else v.replace(tzinfo=UTC)


def _json(v):
    return v if isinstance(v, dict) else json.loads(v)


class World:
    """Random orders written with Core inserts (the tables' types convert the values for each backend)."""

    def __init__(self, uow_factory, seed: int):
        from omnialloc.store.tables.notifications import notifications
        from omnialloc.store.tables.orders import order_lines, orders
        from omnialloc.store.tables.returns import return_lines, returns
        from omnialloc.store.tables.shipments import shipment_lines, shipments

        self.t = {"orders": orders, "lines": order_lines, "shipments": shipments, "slines": shipment_lines,
                  "returns": returns, "rlines": return_lines, "notes": notifications}
        self.uow_factory = uow_factory
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self.n = 0
        with uow_factory(readonly=True) as uow:
            c = uow.conn
            self.nodes = list(c.scalars(sa.text("SELECT code FROM nodes ORDER BY code")))[:4]
            self.skus = list(c.scalars(sa.text("SELECT code FROM skus ORDER BY code")))[:5]
            self.carrier = c.scalar(sa.text("SELECT code FROM carriers ORDER BY code"))
            self.channels = list(c.scalars(sa.text("SELECT code FROM channels ORDER BY code")))[:3]

    def at(self, days_ago: int) -> datetime:
        day = datetime.combine(self.now.date() - timedelta(days=days_ago), time(), UTC)
        return day + timedelta(seconds=self.rng.uniform(0, 86_399))

    def shipment(self, oid: str, created: datetime, status: str | None = None) -> tuple[dict, list[dict]]:
        rng = self.rng
        self.n += 1
        sid = f"shp_r{self.n:06d}"
        status = status or rng.choice(STATUSES)
        cost = {"shipping": rng.randint(4000, 9000), "handling": 1500, "cod": rng.choice((0, 3000))}
        delivered = created + timedelta(hours=rng.uniform(2, 200)) if status in DELIVERED else None
        row = {"id": sid, "order_id": oid, "node": rng.choice(self.nodes), "carrier": self.carrier, "status": status,
               "weight_g": 500, "billed_weight_g": 500, "cost_paise": sum(cost.values()) + rng.randint(0, 9),
               "cost_breakdown": cost, "created_at": created, "updated_at": created, "version": 1,
               "delivered_at": delivered if rng.random() < 0.95 else None,
               "deliver_by": created + timedelta(hours=rng.uniform(24, 120)) if rng.random() < 0.5 else None}
        lines = [{"shipment_id": sid, "line_no": k + 1, "sku": self.skus[k], "qty": rng.randint(0, 3)}
                 for k in range(rng.randint(1, 2))]
        return row, lines

    def write(self, key: str, rows: list[dict]) -> None:
        if rows:
            with self.uow_factory() as uow:
                uow.conn.execute(self.t[key].insert(), rows)
                uow.commit()

    def make_orders(self, count: int) -> list[str]:
        rng = self.rng
        rows = defaultdict(list)
        ids = []
        for i in range(count):
            self.n += 1
            oid = f"ord_r{self.n:06d}"
            ids.append(oid)
            created = self.at(rng.choice((0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14)))
            status = rng.choice(("ALLOCATED", "SHIPPED", "DELIVERED", "BACKORDERED", "CANCELLED"))
            rows["orders"].append({
                "id": oid, "channel": rng.choice(self.channels), "external_id": f"roll-{oid}", "status": status,
                "payment_mode": "PREPAID", "currency": "INR", "value_paise": rng.randint(10_000, 500_000),
                "priority": 0, "tags": [], "promised_days": rng.choice((None, 2, 3, 5)), "delivery_mode": "ship",
                "ship_name": "R", "ship_line1": "1 Road", "ship_city": "Chennai", "ship_state": "TN",
                "ship_pin": "600002", "created_at": created, "updated_at": created, "version": 1,
                "promised_by": created + timedelta(days=rng.uniform(1, 6)) if rng.random() < 0.3 else None})
            for k in range(rng.randint(1, 3)):
                q = rng.randint(1, 4)
                rows["lines"].append({"order_id": oid, "line_no": k + 1, "sku": self.skus[k], "qty": q,
                                      "unit_price_paise": 9900, "cancelled_qty": rng.choice((0, 0, 0, q))})
            if status != "BACKORDERED":
                for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
                    s, sl = self.shipment(oid, created)
                    rows["shipments"].append(s)
                    rows["slines"] += sl
            if rng.random() < 0.2:
                rows["returns"].append(self.ret(oid, created, rows["rlines"]))
            for k in range(rng.randint(0, 3)):
                rows["notes"].append(self.note(oid if rng.random() < 0.9 else None, created))
        for key in ("orders", "lines", "shipments", "slines", "returns", "rlines", "notes"):
            self.write(key, rows[key])
        return ids

    def ret(self, oid: str, created: datetime, rlines: list, status: str | None = None) -> dict:
        self.n += 1
        rid = f"ret_r{self.n:06d}"
        for k in range(self.rng.randint(1, 2)):
            rlines.append({"return_id": rid, "line_no": k + 1, "sku": self.skus[k], "qty": self.rng.randint(1, 2),
                           "unit_price_paise": 9900, "reason": self.rng.choice(REASONS)})
        return {"id": rid, "order_id": oid, "channel": self.channels[0], "origin": "customer",
                "status": status or self.rng.choice(("REQUESTED", "RECEIVED", "REJECTED", "CANCELLED")),
                "resolution": "refund", "exchange_policy": "after_pickup", "requested_by": "test",
                "created_at": created, "updated_at": created, "version": 1}

    def note(self, oid: str | None, created: datetime) -> dict:
        self.n += 1
        return {"id": f"ntf_r{self.n:06d}", "idempotency_key": f"roll-{self.n}", "order_id": oid, "entity": "order",
                "entity_id": oid or "none", "kind": self.rng.choice(("order_confirmed", "order_shipped")),
                "channel": self.rng.choice(("email", "sms")), "recipient": "x@example.com", "context": {},
                "status": self.rng.choice(("sent", "sent", "failed", "pending", "skipped")), "attempts": 1,
                "next_attempt_at": created, "created_at": created, "updated_at": created}


def expected(uow_factory, first: date, last: date, channel: str | None) -> dict:
    """The page's figures from the raw rows: plain SQL for the facts of each order and shipment, the range,
    days and ratios here."""
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last + timedelta(days=1), time(), UTC)
    with uow_factory(readonly=True) as uow:
        c = uow.conn
        orders = {r["id"]: r for r in c.execute(sa.text(
            "SELECT o.id, o.channel, o.status, o.value_paise, o.created_at, "
            "  (SELECT COALESCE(SUM(l.qty - l.cancelled_qty), 0) FROM order_lines l WHERE l.order_id = o.id) AS ordered, "
            "  (SELECT COUNT(*) FROM shipments s WHERE s.order_id = o.id) AS shipments, "
            "  (SELECT COUNT(*) FROM shipments s WHERE s.order_id = o.id "
            "     AND s.status NOT IN ('REJECTED', 'CANCELLED')) AS live, "
            "  (SELECT COUNT(*) FROM shipments s WHERE s.order_id = o.id AND s.status = 'REJECTED') AS rejected "
            "FROM orders o")).mappings()
            if start <= _utc(r["created_at"]) < end and (channel is None or r["channel"] == channel)}
        ships = [r for r in c.execute(sa.text(
            "SELECT s.order_id, s.node, s.status, s.cost_paise, s.cost_breakdown, s.delivered_at, s.deliver_by, "
            "  o.promised_by, o.promised_days, o.created_at, "
            "  (SELECT COALESCE(SUM(sl.qty), 0) FROM shipment_lines sl WHERE sl.shipment_id = s.id) AS units "
            "FROM shipments s JOIN orders o ON o.id = s.order_id")).mappings() if r["order_id"] in orders]
        returned = [r for r in c.execute(sa.text(
            "SELECT r.order_id, rl.reason, SUM(rl.qty) AS units FROM return_lines rl JOIN returns r ON r.id = rl.return_id "
            "WHERE r.status NOT IN ('REJECTED', 'CANCELLED') GROUP BY r.order_id, rl.reason")).mappings()
            if r["order_id"] in orders]
        notes = [r for r in c.execute(sa.text(
            "SELECT order_id, kind, channel, status, COUNT(*) AS n FROM notifications WHERE order_id IS NOT NULL "
            "GROUP BY order_id, kind, channel, status")).mappings() if r["order_id"] in orders]

    per_day = defaultdict(lambda: [0, 0, 0])
    for o in orders.values():
        d = per_day[_utc(o["created_at"]).date().isoformat()]
        d[0] += 1
        d[1] += o["value_paise"]
        d[2] += o["status"] == "CANCELLED"
    histogram = Counter((o["live"], o["rejected"]) for o in orders.values() if o["shipments"])
    nodes: dict = defaultdict(lambda: dict.fromkeys(("shipments", "live", "rejected", "shipping", "handling", "cod",
                                                     "total"), 0))
    placed = delivered_units = 0
    on_time = defaultdict(lambda: [0, 0])
    for s in ships:
        n = nodes[s["node"]]
        n["shipments"] += 1
        n["rejected"] += s["status"] == "REJECTED"
        if s["status"] not in DEAD:
            n["live"] += 1
            b = _json(s["cost_breakdown"])
            for t in ("shipping", "handling", "cod"):
                n[t] += b[t]
            n["total"] += s["cost_paise"]
            placed += s["units"]
        if s["status"] in DELIVERED:
            delivered_units += s["units"]
            got = _utc(s["delivered_at"])
            if got is None:
                continue
            deadline = _utc(s["deliver_by"]) or _utc(s["promised_by"])
            if deadline is not None:
                hit = got <= deadline
            elif s["promised_days"] is not None:
                hit = (got - _utc(s["created_at"])).total_seconds() / 86400 <= s["promised_days"]
            else:
                continue
            day = on_time[got.date().isoformat()]
            day[0] += 1
            day[1] += hit
    reasons = Counter()
    for r in returned:
        reasons[r["reason"]] += int(r["units"])
    by_kind = defaultdict(lambda: {"sent": 0, "failed": 0, "other": 0})
    for r in notes:
        by_kind[f"{r['kind']} ({r['channel']})"][
            r["status"] if r["status"] in ("sent", "failed") else "other"] += r["n"]
    return {
        "orders_per_day": {d: tuple(v) for d, v in per_day.items()},
        "units": {"ordered": sum(o["ordered"] for o in orders.values()), "placed": placed,
                  "delivered": delivered_units},
        "backorders": sum(o["status"] == "BACKORDERED" for o in orders.values()),
        "histogram": dict(histogram),
        "nodes": {k: dict(v) for k, v in nodes.items()},
        "on_time": {d: tuple(v) for d, v in on_time.items()},
        "returns": dict(reasons),
        "by_kind": {k: dict(v) for k, v in by_kind.items()},
    }


def assert_figures(k: dict, want: dict) -> None:
    assert {d["day"]: (d["orders"], d["value_paise"], d["cancelled"]) for d in k["orders_per_day"] if d["orders"]} \
        == want["orders_per_day"]
    assert k["units"] == want["units"]
    assert k["fill_rate"] == (want["units"]["placed"] / want["units"]["ordered"] if want["units"]["ordered"] else None)
    assert k["backorders"] == want["backorders"]
    hist = want["histogram"]
    live = sum(n for (a, _), n in hist.items() if a > 0)
    split = sum(n for (a, _), n in hist.items() if a > 1)
    assert (k["orders_split"], k["orders_shipped_from_one_node"]) == (split, live - split)
    hops = Counter()
    for (_, r), n in hist.items():
        hops[str(r) if r < 3 else "3+"] += n
    assert {h["hops"]: h["orders"] for h in k["hops"]} == dict(hops)
    nodes = want["nodes"]
    assert {r["node"]: {c: r[c] for c in ("shipments", "live", "rejected", "shipping", "handling", "cod", "total")}
            for r in k["cost_per_node"]} == nodes
    cost = {t: sum(n[t] for n in nodes.values()) for t in ("shipping", "handling", "cod", "total")}
    assert k["cost"] == cost
    assert k["cost_per_order_paise"] == (round(cost["total"] / live) if live else None)
    assert {d["day"]: (d["delivered"], d["on_time"]) for d in k["on_time_per_day"]} == want["on_time"]
    assert {r["reason"]: r["units"] for r in k["returns_by_reason"]} == want["returns"]
    assert {b["kind"]: {s: b[s] for s in ("sent", "failed", "other")} for b in k["notifications"]["by_kind"]} \
        == want["by_kind"]


def past_changes(world: World, ids: list[str]) -> list[tuple[str, object]]:
    """Facts of orders of past days changed after their day, by statements no repository makes: (what, a
    function of the connection). Each is applied alone and checked, so a change a trigger misses shows."""
    rng, t = world.rng, world.t
    S, O, N, R = t["shipments"], t["orders"], t["notes"], t["returns"]
    with world.uow_factory(readonly=True) as uow:
        past = [r[0] for r in uow.conn.execute(sa.select(O.c.id, O.c.created_at).where(O.c.id.in_(ids))).all()
                if r[1].date() < world.now.date()]
        with_live = set(uow.conn.scalars(sa.select(S.c.order_id).where(S.c.status.not_in(DEAD))))
    rng.shuffle(past)
    picks = iter(past)
    shipped = iter([o for o in past if o in with_live][::-1])  # (from the other end: not one picks gives)

    def deliver(c):
        for oid in [next(shipped) for _ in range(3)]:
            c.execute(S.update().where(S.c.order_id == oid, S.c.status.not_in(DEAD))
                      .values(status="DELIVERED", delivered_at=world.now - timedelta(hours=rng.uniform(0, 30))))

    def reject(c):
        c.execute(S.update().where(S.c.order_id == next(shipped)).values(status="REJECTED"))

    def promise(c):
        oid = next(picks)
        c.execute(O.update().where(O.c.id == oid).values(promised_days=1, promised_by=None))
        c.execute(S.update().where(S.c.order_id == oid).values(deliver_by=None, delivered_at=world.now))

    def cancel(c):
        oid = next(picks)
        c.execute(O.update().where(O.c.id == oid).values(status="CANCELLED", value_paise=1))

    def cancel_line(c):
        c.execute(t["lines"].update().where(t["lines"].c.order_id == next(picks)).values(cancelled_qty=t["lines"].c.qty))

    def reallocate(c):
        oid = next(picks)
        created = c.scalar(sa.select(O.c.created_at).where(O.c.id == oid))
        s, sl = world.shipment(oid, created + timedelta(days=1), status="DELIVERED")
        c.execute(S.insert(), [s])
        c.execute(t["slines"].insert(), sl)

    def ship_line(c):
        sid = c.scalar(sa.select(S.c.id).where(S.c.order_id.in_(past), S.c.status.not_in(DEAD)).limit(1))
        c.execute(t["slines"].update().where(t["slines"].c.shipment_id == sid).values(qty=t["slines"].c.qty + 7))

    def move_shipment(c):
        sid = c.scalar(sa.select(S.c.id).where(S.c.order_id.in_(past), S.c.status.not_in(DEAD)).limit(1))
        c.execute(S.update().where(S.c.id == sid).values(node=world.nodes[-1], cost_paise=S.c.cost_paise + 1000,
                                                         cost_breakdown={"shipping": 1, "handling": 2, "cod": 3}))

    def returned(c):
        rlines: list = []
        c.execute(R.insert(), [world.ret(next(picks), world.now, rlines, status="REQUESTED")])
        c.execute(t["rlines"].insert(), rlines)

    def return_rejected(c):
        c.execute(R.update().where(R.c.id == c.scalar(sa.select(R.c.id).where(R.c.status == "REQUESTED").limit(1)))
                  .values(status="REJECTED"))

    def reason(c):
        rl = t["rlines"]
        rid = c.scalar(sa.select(R.c.id).where(R.c.order_id.in_(past), R.c.status.not_in(DEAD)).limit(1))
        c.execute(rl.update().where(rl.c.return_id == rid).values(reason="defective", qty=rl.c.qty + 1))

    def messages(c):
        mine = N.c.order_id.in_(past)
        c.execute(N.update().where(mine, N.c.status.in_(("pending", "sent"))).values(status="failed"))
        c.execute(N.delete().where(N.c.id.in_(sa.select(N.c.id).where(mine, N.c.status == "failed").limit(3)
                                              .scalar_subquery())))

    def message_added(c):
        c.execute(N.insert(), [world.note(next(picks), world.now)])

    def redate(c):  # moved to another day and channel (a fix of a mis-dated import)
        oid = next(picks)
        created = c.scalar(sa.select(O.c.created_at).where(O.c.id == oid))
        c.execute(O.update().where(O.c.id == oid).values(created_at=created - timedelta(days=2),
                                                         channel=world.channels[-1]))

    def delete(c):  # deleted, with its facts
        oid = next(picks)
        c.execute(N.delete().where(N.c.order_id == oid))
        c.execute(t["slines"].delete().where(t["slines"].c.shipment_id.in_(sa.select(S.c.id).where(S.c.order_id == oid))))
        c.execute(t["rlines"].delete().where(t["rlines"].c.return_id.in_(sa.select(R.c.id).where(R.c.order_id == oid))))
        for table in ("returns", "shipments", "lines"):
            c.execute(t[table].delete().where(t[table].c.order_id == oid))
        c.execute(O.delete().where(O.c.id == oid))

    return [(f.__name__, f) for f in (deliver, reject, promise, cancel, cancel_line, reallocate, ship_line,
                                      move_shipment, returned, return_rejected, reason, messages, message_added,
                                      redate, delete)]


@pytest.mark.parametrize("seed", [1, 2])
def test_rollup_figures_equal_plain_sql_before_and_after_past_orders_change(app, keys, uow_factory, seed):
    from omnialloc.api.deps import ctx
    from omnialloc.services.access import principal_for_token
    from omnialloc.services.analytics import kpis

    world = World(uow_factory, seed)
    ids = world.make_orders(120)
    today = world.now.date()
    ranges = [(today - timedelta(days=6), today, None), (today - timedelta(days=20), today, None),
              (today - timedelta(days=9), today - timedelta(days=2), world.channels[0]),
              (today - timedelta(days=3), today - timedelta(days=3), None),
              (today - timedelta(days=20), today, world.channels[-1])]
    with app.app_context():
        with uow_factory(readonly=True) as uow:
            p = principal_for_token(uow, keys["analyst"])
        before = []
        for first, last, channel in ranges:
            k = kpis.kpis(ctx(), p, first, last, channel)
            want = expected(uow_factory, first, last, channel)
            assert_figures(k, want)
            before.append(want)
        assert sum(n for n, _, _ in before[1]["orders_per_day"].values()) == 120  # (all made 0-14 days back)
        with uow_factory(readonly=True) as uow:  # the rollups of every day read are built, and read as they are
            assert uow.analytics.stale_days(today - timedelta(days=20), today) == []
            assert uow.conn.scalar(sa.text("SELECT COUNT(*) FROM analytics_day_orders")) > 0

        for what, change in past_changes(world, ids):
            with uow_factory() as uow:
                change(uow.conn)
                uow.commit()
            with uow_factory(readonly=True) as uow:
                stale = uow.analytics.stale_days(today - timedelta(days=30), today)
            assert stale and any(d < today for d in stale), what
            for first, last, channel in ranges:
                assert_figures(kpis.kpis(ctx(), p, first, last, channel), expected(uow_factory, first, last, channel))
        assert expected(uow_factory, *ranges[1][:2], None) != before[1]  # the changes changed the figures

def test_every_watched_table_has_its_stale_day_triggers(uow_factory):
    """A SQLite batch-mode table rebuild drops a table's triggers: a later migration that rebuilds one of these
    must re-create them, or the rollups would silently go stale."""
    with uow_factory(readonly=True) as uow:
        c = uow.conn
        if c.dialect.name == "postgresql":
            found = Counter(c.scalars(sa.text(
                "SELECT event_object_table FROM information_schema.triggers WHERE trigger_name LIKE 'trg_analytics_stale_%' "
                "AND trigger_schema = current_schema()")))
            # information_schema lists one row per event (INSERT, DELETE, UPDATE)
            assert found == dict.fromkeys(WATCHED, 3)
        else:
            found = Counter(c.scalars(sa.text(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'trg_analytics_stale_%'")))
            assert found == dict.fromkeys(WATCHED, 3)


def test_the_timer_refresh_rebuilds_what_changed_and_the_page_then_only_reads(app, keys, uow_factory):
    from omnialloc.api.deps import ctx
    from omnialloc.services.access import principal_for_token
    from omnialloc.services.analytics import kpis

    world = World(uow_factory, 3)
    world.make_orders(40)
    today = world.now.date()
    with app.app_context():
        with uow_factory(readonly=True) as uow:
            p = principal_for_token(uow, keys["analyst"])
            stale = uow.analytics.stale_days(today - timedelta(days=30), today)
        assert len(stale) > kpis.REFRESH_DAYS  # more than one batch
        assert kpis.refresh(ctx(), today - timedelta(days=30), today) == len(stale)
        with uow_factory(readonly=True) as uow:
            assert uow.analytics.stale_days(today - timedelta(days=30), today) == []
        assert kpis.refresh(ctx(), today - timedelta(days=30), today) == 0
        first = today - timedelta(days=20)
        assert_figures(kpis.kpis(ctx(), p, first, today, None), expected(uow_factory, first, today, None))

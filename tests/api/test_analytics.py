"""The analytics KPIs (issue 28) equal the same figures computed here from the raw rows.

Orders are made through the API (delivered, rejected and re-allocated, split, backordered, cancelled,
returned), a few facts are then set by hand (delivery times against the promise, a failed message);
the test reads the raw rows with its own SQL (plain SELECTs of the tables) and computes every figure in
Python; the service's answer must match, with and without a channel filter, and so must the CSV.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.api.conftest import auth, order_body, signed_tracking
from tests.api.test_console import logged_in

SKU, SCARCE = "SKU-0024", "SKU-0023"
DEAD = ("REJECTED", "CANCELLED")


def _walk(client, admin, order, i, delivered=True):
    for s in order["shipments"]:
        if s["status"] in DEAD:
            continue
        for step, body in (("accept", None), ("pack", {"weight_g": 600, "length_mm": 250, "width_mm": 200,
                                                        "height_mm": 100}), ("ship", {"awb": f"AWB-AN-{s['id'].replace('_', '-')}"})):
            r = client.post(f"/shipments/{s['id']}/{step}", json=body, headers=admin)
            assert r.status_code == 200, (step, r.get_json())
        if delivered:
            r = signed_tracking(client, s["carrier"], [{"awb": f"AWB-AN-{s['id'].replace('_', '-')}", "status": "delivered",
                                                        "at": datetime.now(UTC).isoformat()}])
            assert r.get_json()["applied"] == 1, r.get_json()


@pytest.fixture
def world(client, keys, uow_factory):
    """A small store: 9 orders over two channels with every kind of fact the KPIs count."""
    admin = auth(keys["admin"])

    def capture(ext, channel="web", lines=None, **kw):
        r = client.post("/orders", json=order_body(ext, channel=channel, lines=lines or [{"sku": SKU, "qty": 1}],
                                                   promised_days=3, **kw), headers=admin)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    made = {}
    for i in range(3):  # delivered
        made[f"d{i}"] = o = capture(f"an-d{i}", lines=[{"sku": SKU, "qty": 1 + i}])
        _walk(client, admin, o, i)
    # rejected at its first node, hops, then delivered
    o = capture("an-hop")
    first = o["shipments"][0]
    assert client.post(f"/shipments/{first['id']}/reject", json={"reason": "shelf empty"},
                       headers=admin).status_code == 200
    o = client.get(f"/orders/{o['id']}", headers=admin).get_json()
    _walk(client, admin, o, 9)
    made["hop"] = o
    with uow_factory() as uow:  # none of SCARCE left to promise anywhere, whatever the time of day
        uow.conn.execute(sa.text("UPDATE inventory SET on_hand = reserved WHERE sku = :s"), {"s": SCARCE})
        uow.commit()
    made["back"] = capture("an-back", lines=[{"sku": SCARCE, "qty": 1}])      # backordered
    assert made["back"]["status"] == "BACKORDERED"
    made["cancel"] = c = capture("an-cancel")
    assert client.post(f"/orders/{c['id']}/cancel", json={"reason": "customer"}, headers=admin).status_code == 200
    made["amz"] = capture("an-amz", channel="amazon", lines=[{"sku": SKU, "qty": 2}, {"sku": "SKU-0001", "qty": 1}])
    _walk(client, admin, made["amz"], 7)
    made["split"] = capture("an-split", lines=[{"sku": SKU, "qty": 230}])  # more than CHN-FC1 holds (217)
    r = client.post(f"/orders/{made['d2']['id']}/returns", headers=admin,
                    json={"lines": [{"line_no": 1, "qty": 2, "reason": "size_fit"}], "resolution": "refund"})
    assert r.status_code == 201, r.get_json()
    r = client.post(f"/orders/{made['d1']['id']}/returns", headers=admin,
                    json={"lines": [{"line_no": 1, "qty": 1, "reason": "damaged"}], "resolution": "refund"})
    assert r.status_code == 201, r.get_json()
    with uow_factory() as uow:  # by hand: one delivery late against its promise, one on a deliver-by, a failed message
        c = uow.conn
        late = datetime.now(UTC) + timedelta(days=5)
        c.execute(sa.text("UPDATE shipments SET delivered_at = :t WHERE order_id = :o AND status = 'DELIVERED'"),
                  {"t": late.replace(tzinfo=None) if c.dialect.name == "sqlite" else late, "o": made["d0"]["id"]})
        by = datetime.now(UTC) - timedelta(hours=1)
        c.execute(sa.text("UPDATE shipments SET deliver_by = :t WHERE order_id = :o AND status = 'DELIVERED'"),
                  {"t": by.replace(tzinfo=None) if c.dialect.name == "sqlite" else by, "o": made["d1"]["id"]})
        c.execute(sa.text("UPDATE notifications SET status = 'failed' WHERE id IN "
                          "(SELECT id FROM notifications WHERE order_id = :o ORDER BY id LIMIT 1)"),
                  {"o": made["d2"]["id"]})
        uow.commit()
    return made


def _as_utc(v):
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    return v if v is None or v.tzinfo else v.replace(tzinfo=UTC)


def expected(uow_factory, first: date, last: date, channel: str | None) -> dict:
    """Every KPI from raw rows: plain SELECTs, the arithmetic here."""
    start = datetime.combine(first, datetime.min.time(), UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    with uow_factory(readonly=True) as uow:
        c = uow.conn
        orders = [r for r in c.execute(sa.text(
            "SELECT id, channel, status, value_paise, created_at, promised_days, promised_by FROM orders")).mappings()
            if start <= _as_utc(r["created_at"]) < end and (channel is None or r["channel"] == channel)]
        ids = {o["id"] for o in orders}
        lines = [r for r in c.execute(sa.text("SELECT order_id, qty, cancelled_qty FROM order_lines")).mappings()
                 if r["order_id"] in ids]
        ships = [r for r in c.execute(sa.text(
            "SELECT id, order_id, node, status, cost_paise, cost_breakdown, delivered_at, deliver_by FROM shipments"))
            .mappings() if r["order_id"] in ids]
        slines = list(c.execute(sa.text("SELECT shipment_id, qty FROM shipment_lines")).mappings())
        rets = {r["id"]: r for r in c.execute(sa.text("SELECT id, order_id, status FROM returns")).mappings()}
        rlines = list(c.execute(sa.text("SELECT return_id, reason, qty FROM return_lines")).mappings())
        notes = [r for r in c.execute(sa.text("SELECT order_id, kind, channel, status FROM notifications")).mappings()
                 if r["order_id"] in ids]
    import json

    by_ship = {s["id"]: s for s in ships}
    order_of = {o["id"]: o for o in orders}
    placed = sum(l["qty"] for l in slines if l["shipment_id"] in by_ship
                 and by_ship[l["shipment_id"]]["status"] not in DEAD)
    delivered_units = sum(l["qty"] for l in slines if l["shipment_id"] in by_ship
                          and by_ship[l["shipment_id"]]["status"] in ("DELIVERED", "COLLECTED"))
    ordered = sum(l["qty"] - l["cancelled_qty"] for l in lines)
    live = Counter(s["order_id"] for s in ships if s["status"] not in DEAD)
    rejected = Counter(s["order_id"] for s in ships if s["status"] == "REJECTED")
    with_ship = {s["order_id"] for s in ships}
    cost = defaultdict(int)
    for s in ships:
        if s["status"] not in DEAD:
            b = s["cost_breakdown"] if isinstance(s["cost_breakdown"], dict) else json.loads(s["cost_breakdown"])
            for t in ("shipping", "handling", "cod"):
                cost[t] += b.get(t, 0)
            cost["total"] += s["cost_paise"]
    on_time = []
    for s in ships:
        if s["status"] in ("DELIVERED", "COLLECTED") and s["delivered_at"] is not None:
            o = order_of[s["order_id"]]
            deadline = _as_utc(s["deliver_by"]) or _as_utc(o["promised_by"])
            got = _as_utc(s["delivered_at"])
            if deadline is not None:
                on_time.append(got <= deadline)
            elif o["promised_days"] is not None:
                on_time.append((got - _as_utc(o["created_at"])).total_seconds() / 86400 <= o["promised_days"])
    returned = Counter()
    for l in rlines:
        r = rets[l["return_id"]]
        if r["order_id"] in ids and r["status"] not in ("REJECTED", "CANCELLED"):
            returned[l["reason"]] += l["qty"]
    failed = sum(1 for n in notes if n["status"] == "failed")
    sent = sum(1 for n in notes if n["status"] == "sent")
    return {
        "orders": len(orders), "value_paise": sum(o["value_paise"] for o in orders),
        "fill_rate": placed / ordered if ordered else None,
        "backorders": sum(1 for o in orders if o["status"] == "BACKORDERED"),
        "split_rate": (sum(1 for n in live.values() if n > 1) / sum(1 for n in live.values() if n > 0)
                       if live else None),
        "cost": dict(cost) if ships else {"shipping": 0, "handling": 0, "cod": 0, "total": 0},
        "cost_per_order_paise": round(cost["total"] / sum(1 for o in with_ship if live[o] > 0)) if live else None,
        "on_time_rate": sum(on_time) / len(on_time) if on_time else None,
        "delivered_with_promise": len(on_time),
        "rejections": sum(rejected.values()),
        "hops": sorted(Counter(min(rejected[o], 3) for o in with_ship).items()),
        "returns": dict(returned), "delivered_units": delivered_units,
        "notifications_failed": failed, "notifications_sent": sent,
        "per_node": {n: sum(1 for s in ships if s["node"] == n) for n in {s["node"] for s in ships}},
    }


@pytest.mark.parametrize("channel", [None, "web", "amazon"])
def test_kpis_equal_the_figures_computed_from_raw_rows(app, world, keys, uow_factory, channel):
    from omnialloc.api.deps import ctx
    from omnialloc.services.access import principal_for_token
    from omnialloc.services.analytics import kpis

    today = datetime.now(UTC).date()
    first, last = today - timedelta(days=6), today
    with app.app_context():
        with uow_factory(readonly=True) as uow:
            p = principal_for_token(uow, keys["analyst"])
        k = kpis.kpis(ctx(), p, first, last, channel)
    want = expected(uow_factory, first, last, channel)
    assert k["orders"] == want["orders"] > 0
    assert k["value_paise"] == want["value_paise"]
    assert sum(d["orders"] for d in k["orders_per_day"]) == want["orders"]
    assert k["fill_rate"] == pytest.approx(want["fill_rate"])
    assert k["backorders"] == want["backorders"] == sum(b["orders"] for b in k["backorders_by_age"])
    assert k["split_rate"] == pytest.approx(want["split_rate"])
    assert k["cost"] == want["cost"]
    assert k["cost_per_order_paise"] == want["cost_per_order_paise"]
    assert k["on_time_rate"] == pytest.approx(want["on_time_rate"])
    assert k["delivered_with_promise"] == want["delivered_with_promise"]
    assert k["rejections"] == want["rejections"]
    assert [(h["hops"], h["orders"]) for h in k["hops"]] == [(str(a) if a < 3 else "3+", n) for a, n in want["hops"]]
    assert {r["reason"]: r["units"] for r in k["returns_by_reason"]} == want["returns"]
    for r in k["returns_by_reason"]:
        assert r["rate"] == pytest.approx(want["returns"][r["reason"]] / want["delivered_units"])
    assert k["notifications"]["failed"] == want["notifications_failed"]
    assert k["notifications"]["sent"] == want["notifications_sent"]
    assert {n["node"]: n["shipments"] for n in k["cost_per_node"]} == want["per_node"]
    if channel is None:  # the world has each kind of fact at least once
        assert want["backorders"] == 1 and want["rejections"] >= 1 and want["notifications_failed"] == 1
        assert 0 < want["on_time_rate"] < 1 and want["returns"] == {"size_fit": 2, "damaged": 1}
        assert want["split_rate"] > 0


def test_the_page_renders_and_the_on_time_csv_holds_the_same_numbers(app, world, keys, uow_factory):
    c = logged_in(app, keys["analyst"])
    today = datetime.now(UTC).date()
    page = c.get("/console/analytics")
    assert page.status_code == 200 and page.text.count("<svg") == 7 and "Download CSV" in page.text
    r = c.get("/console/analytics/on_time.csv", query_string={"from": str(today - timedelta(days=6)),
                                                              "to": str(today)})
    assert r.status_code == 200 and r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    want = expected(uow_factory, today - timedelta(days=6), today, None)
    assert sum(int(x["delivered"]) for x in rows) == want["delivered_with_promise"]
    assert sum(int(x["on_time"]) for x in rows) == round(want["on_time_rate"] * want["delivered_with_promise"])


def test_bad_ranges_are_words_not_errors(app, keys):
    c = logged_in(app, keys["admin"])
    for q, words in (({"from": "yesterday"}, "a date like"), ({"from": "2026-12-07", "to": "2026-12-01"}, "starts after"),
                     ({"from": "2020-01-01", "to": "2026-01-01"}, "at most 366 days"), ({"channel": "nope"}, "no channel")):
        r = c.get("/console/analytics", query_string=q)
        assert r.status_code == 422 and words in r.text, q
    assert c.get("/console/analytics/nope.csv").status_code == 404
    assert c.get("/console/analytics/on_time.csv", query_string={"from": "x"}).status_code == 422
    assert logged_in(app, keys["channel"]).get("/console/analytics").status_code == 403

"""The work queue's pages and counts (issue 26) on SQLite and PostgreSQL, checked against SQL written here:
true totals per filter, earliest dispatch-by first, breaches counted, pages that cover every shipment once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from omnialloc.domain.errors import NotFound, ValidationFailed
from omnialloc.services.access import Principal
from omnialloc.domain.enums import Role
from omnialloc.services.fulfilment import work_queue
from tests.api.conftest import auth, order_body

NODE = Principal(name="t", role=Role.NODE, node="CHN-FC1")
OTHER = Principal(name="t", role=Role.NODE, node="MUM-FC1")


@pytest.fixture
def ctx(app):
    with app.app_context():
        from omnialloc.api.deps import ctx as make

        return make()


def _orders(client, keys, n: int) -> list[dict]:
    out = []
    for i in range(n):
        r = client.post("/orders", json=order_body(f"wqs-{i}", promised_days=5 if i % 4 else None),
                        headers=auth(keys["admin"]))
        assert r.status_code == 201, r.get_json()
        out.append(r.get_json()["shipments"][0])
    return out


def test_pages_cover_every_open_shipment_once_in_deadline_order_with_true_counts(client, keys, engine, ctx):
    ships = _orders(client, keys, 14)
    for s in ships[:5]:
        assert client.post(f"/shipments/{s['id']}/accept", headers=auth(keys["admin"])).status_code == 200
    late = [s["order_id"] for s in ships[9:12]]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE orders SET promised_days = 2 WHERE id IN (:a, :b, :c)"),
                     dict(zip("abc", late)))
        conn.execute(sa.text("UPDATE shipments SET sla_days = 1 WHERE order_id IN (:a, :b, :c)"), dict(zip("abc", late)))
    # Backdate through the table so each backend stores its own time format.
    from omnialloc.store.tables.orders import orders

    with engine.begin() as conn:
        conn.execute(orders.update().where(orders.c.id.in_(late)).values(created_at=datetime.now(UTC) - timedelta(days=5)))
        has_ship_by = "ship_by" in {c["name"] for c in sa.inspect(conn).get_columns("shipments")}
        if has_ship_by:
            conn.execute(sa.text("UPDATE shipments SET ship_by = NULL"))
        expected = {status: n for status, n in conn.execute(sa.text(
            "SELECT status, count(*) FROM shipments WHERE node = 'CHN-FC1' "
            "AND status IN ('ALLOCATED', 'ACCEPTED', 'PACKED') GROUP BY status")).all()}

    first = work_queue.page(ctx, NODE, "CHN-FC1", per_page=4)
    assert first["total"] == sum(expected.values()) == first["open_total"]
    assert {k: v for k, v in first["counts"].items() if v} == expected
    assert first["pages"] == -(-first["total"] // 4)
    assert first["breached_total"] == 3
    seen = []
    for page_no in range(1, first["pages"] + 1):
        seen += work_queue.page(ctx, NODE, "CHN-FC1", per_page=4, page_no=page_no)["rows"]
    assert len(seen) == len({r["id"] for r in seen}) == first["total"], "every shipment once"
    assert {r["id"] for r in seen[:3]} == {s["id"] for s in ships[9:12]} and all(r["breached"] for r in seen[:3])
    dated = [r["dispatch_by"] for r in seen if r["dispatch_by"] is not None]
    assert dated == sorted(dated), "earliest dispatch-by first"
    assert all(r["dispatch_by"] is None for r in seen[len(dated):]), "orders without a promise last"

    accepted = work_queue.page(ctx, NODE, "CHN-FC1", status="ACCEPTED", per_page=100)
    assert accepted["total"] == expected["ACCEPTED"] == len(accepted["rows"]) == 5
    breached = work_queue.page(ctx, NODE, "CHN-FC1", sla="breached")
    assert breached["total"] == 3
    assert work_queue.page(ctx, NODE, "CHN-FC1", sla="no_promise")["total"] == sum(
        1 for i in range(14) if i % 4 == 0 and i not in (9, 10, 11))
    carrier = seen[0]["carrier"]
    with engine.connect() as conn:
        by_carrier = conn.execute(sa.text(
            "SELECT count(*) FROM shipments WHERE node = 'CHN-FC1' AND carrier = :c "
            "AND status IN ('ALLOCATED', 'ACCEPTED', 'PACKED')"), {"c": carrier}).scalar_one()
    assert work_queue.page(ctx, NODE, "CHN-FC1", carrier=carrier)["total"] == by_carrier
    with pytest.raises(NotFound):
        work_queue.page(ctx, OTHER, "CHN-FC1")
    with pytest.raises(ValidationFailed):
        work_queue.page(ctx, NODE, "CHN-FC1", sla="whenever")


def test_bulk_actions_move_each_shipment_on_its_own_and_say_which_did_not(client, keys, ctx):
    ships = _orders(client, keys, 4)
    ids = [s["id"] for s in ships]
    result = work_queue.bulk(ctx, NODE, "CHN-FC1", "accept", ids[:3])
    assert sorted(result.done) == sorted(ids[:3]) and result.failed == []
    again = work_queue.bulk(ctx, NODE, "CHN-FC1", "accept", ids)
    assert again.done == [ids[3]] and sorted(s for s, _ in again.failed) == sorted(ids[:3])
    packed = work_queue.bulk(ctx, NODE, "CHN-FC1", "pack", ids[:2])
    assert packed.done == [] and all("no default box" in why for _, why in packed.failed)
    assert client.put("/skus/SKU-0001/box", json={"length_mm": 300, "width_mm": 200, "height_mm": 50},
                      headers=auth(keys["admin"])).status_code == 200
    packed = work_queue.bulk(ctx, NODE, "CHN-FC1", "pack", ids[:2])
    assert sorted(packed.done) == sorted(ids[:2])
    view = client.get(f"/nodes/CHN-FC1/shipments/{ids[0]}", headers=auth(keys["admin"])).get_json()
    assert view["status"] == "PACKED" and view["box"] == {"length_mm": 300, "width_mm": 200, "height_mm": 50}
    shipped = work_queue.bulk(ctx, NODE, "CHN-FC1", "ship", ids[:2])
    assert sorted(shipped.done) == sorted(ids[:2])
    with pytest.raises(ValidationFailed):
        work_queue.bulk(ctx, NODE, "CHN-FC1", "reject", ids[2:3])      # no reason
    rejected = work_queue.bulk(ctx, NODE, "CHN-FC1", "reject", ids[2:3], reason="rack empty")
    assert rejected.done == ids[2:3]
    mine = work_queue.bulk(ctx, OTHER, "MUM-FC1", "accept", ids[3:])
    assert mine.done == [] and mine.failed[0][0] == ids[3]

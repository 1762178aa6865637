"""The answer to POST /orders is rendered from what the capture wrote; it must equal a fresh read (GET)."""

from __future__ import annotations

import pytest

from omnialloc.network_files import load_sample_orders

from tests.api.conftest import auth, order_body

DEMO_ORDERS = load_sample_orders()


@pytest.fixture
def admin(keys):
    return auth(keys["admin"])


def _captured_equals_read(client, headers, body: dict) -> dict:
    r = client.post("/orders", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    captured = r.get_json()
    read = client.get(f"/orders/{captured['id']}", headers=headers)
    assert read.status_code == 200
    assert captured == read.get_json()
    return captured


def test_allocated_and_backordered_demo_orders_answer_what_a_read_shows(client, admin):
    statuses = {_captured_equals_read(client, admin, {**body, "external_id": f"answer-{i}"})["status"]
                for i, body in enumerate(DEMO_ORDERS[:40])}
    big = _captured_equals_read(client, admin, order_body("answer-big", lines=[{"sku": "SKU-0001", "qty": 10000}]))
    assert big["status"] == "BACKORDERED" and big["status_reason"]
    assert "ALLOCATED" in statuses


def test_an_order_held_or_tagged_by_validation_rules_answers_what_a_read_shows(client, admin):
    for action in ({"type": "hold", "reason": "call the customer"}, {"type": "add_tag", "tag": "bulk"}):
        r = client.post("/rules", json={"name": f"rule-{action['type']}", "kind": "validation",
                                         "condition": "any(line.qty > 1 for line in lines)", "actions": [action]},
                        headers=admin)
        assert r.status_code == 201, r.get_json()
        rule = r.get_json()
        order = _captured_equals_read(client, admin, order_body(f"answer-{action['type']}",
                                                                lines=[{"sku": "SKU-0001", "qty": 2}]))
        assert any(e["type"] == "rules_applied" for e in order["events"])
        assert client.delete(f"/rules/{rule['id']}", headers=admin).status_code == 204


def test_a_routed_order_answers_what_a_read_shows(client, admin):
    r = client.post("/rules", json={"name": "south", "kind": "routing", "condition": 'ship_to.pin =~ "^56"',
                                    "actions": [{"type": "only_nodes", "nodes": ["CHN-FC1"]}]}, headers=admin)
    assert r.status_code == 201, r.get_json()
    order = _captured_equals_read(client, admin, order_body("answer-routed", pin="560001"))
    assert order["plan"]["plan"]["rules"]


def test_a_pickup_order_answers_what_a_read_shows(client, admin, uow_factory):
    from omnialloc.domain.enums import Capability

    with uow_factory() as uow:
        store = next(n for n in uow.nodes.list() if n.can(Capability.PICKUP_IN_STORE))
    _captured_equals_read(client, admin, order_body("answer-pickup", delivery_mode="pickup", pickup_node=store.code))


def test_a_capture_whose_reservation_loses_a_race_is_captured_then_allocated_apart(client, admin, monkeypatch):
    # The first reservation finds its stock gone (another request took it): the one transaction of capture
    # and allocation rolls back whole, then the order is captured alone and allocated with re-solves.
    from omnialloc.store.repositories.inventory import InventoryRepository

    original, lost = InventoryRepository.reserve_all, []

    def reserve_all(self, wants, keep=None):  # (every reservation of an allocation goes through it)
        if not lost:
            lost.append(min(wants))
            return False
        return original(self, wants, keep)

    monkeypatch.setattr(InventoryRepository, "reserve_all", reserve_all)
    captured = _captured_equals_read(client, admin, {**DEMO_ORDERS[0], "external_id": "answer-race"})
    assert lost and captured["status"] == "ALLOCATED"
    assert [e["type"] for e in captured["events"]].count("captured") == 1
    listed = client.get("/orders", query_string={"limit": 200}, headers=admin).get_json()
    assert [o["id"] for o in listed["items"] if o["external_id"] == "answer-race"] == [captured["id"]]


def test_a_retried_reservation_conflict_starts_again_from_the_order_as_stored(client, admin, monkeypatch,
                                                                               clean_engine):
    # Two lost races: the capture's own transaction, then allocate()'s first attempt on the order the
    # capture left (held, reused for the retry). The allocation writes the order's status before the
    # stock, so a lost race must hand the retry the held order as it was (VALIDATED, no promise), else
    # the retry would take the order for ALLOCATED already and never store the status.
    import sqlalchemy as sa

    from omnialloc.store.repositories.inventory import InventoryRepository

    original, lost = InventoryRepository.reserve_all, []

    def reserve_all(self, wants, keep=None):
        if len(lost) < 2:
            lost.append(min(wants))
            return False
        return original(self, wants, keep)

    monkeypatch.setattr(InventoryRepository, "reserve_all", reserve_all)
    captured = _captured_equals_read(client, admin, {**DEMO_ORDERS[0], "external_id": "answer-race-twice"})
    assert len(lost) == 2 and captured["status"] == "ALLOCATED"
    with clean_engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT status, promised_by IS NOT NULL FROM orders WHERE id = :id"),
                              {"id": captured["id"]}).one()
        moves = conn.execute(sa.text("SELECT from_status, to_status FROM events WHERE entity = 'order' AND "
                                     "entity_id = :id AND type = 'status_changed' ORDER BY id"),
                             {"id": captured["id"]}).all()
    assert tuple(stored) == ("ALLOCATED", True)
    assert [tuple(m) for m in moves][-1] == ("VALIDATED", "ALLOCATED")

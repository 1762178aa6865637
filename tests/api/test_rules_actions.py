"""Every rule action through the API: the rule changes the order or the plan exactly as it says, and deleting
the rule gives back the unconstrained plan.

Each test captures the same order three times: without the rule (the baseline), with it, and after deleting
it. Orders are cancelled in between so every capture sees the same stock (demo network, fresh per test).
"""

from __future__ import annotations

import itertools

import pytest

from tests.api.conftest import auth, order_body

_ids = itertools.count()

CHENNAI, BENGALURU = "600002", "560001"
SOUTH = 'ship_to.state in ["TN", "KL", "KA", "AP", "TS"]'


@pytest.fixture
def admin(keys):
    return auth(keys["admin"])


def capture(client, headers, pin=CHENNAI, lines=None, **extra) -> dict:
    body = order_body(f"rules-{next(_ids)}", pin=pin, lines=lines or [{"sku": "SKU-0001", "qty": 1}], **extra)
    r = client.post("/orders", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def release(client, headers, order: dict) -> None:
    if order["status"] not in ("CANCELLED",):
        r = client.post(f"/orders/{order['id']}/cancel", json={"reason": "test done"}, headers=headers)
        assert r.status_code == 200, r.get_json()


def plan(order: dict) -> list[tuple]:
    return sorted((s["node"], s["carrier"], tuple(sorted((l["sku"], l["qty"]) for l in s["lines"])))
                  for s in order["shipments"] if s["status"] != "CANCELLED")


def add_rule(client, headers, kind, condition, *actions, **extra) -> dict:
    body = {"name": f"rule-{next(_ids)}", "kind": kind, "condition": condition, "actions": list(actions), **extra}
    r = client.post("/rules", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def delete_rule(client, headers, rule: dict) -> None:
    assert client.delete(f"/rules/{rule['id']}", headers=headers).status_code == 204


def with_and_without(client, headers, rule_args: tuple, **order) -> tuple[dict, dict, dict]:
    """(baseline, with the rule, after deleting it), each released again after capture."""
    base = capture(client, headers, **order)
    release(client, headers, base)
    rule = add_rule(client, headers, *rule_args)
    ruled = capture(client, headers, **order)
    release(client, headers, ruled)
    delete_rule(client, headers, rule)
    after = capture(client, headers, **order)
    release(client, headers, after)
    assert after["status"] == base["status"] and plan(after) == plan(base), "deleting the rule restores the plan"
    return base, ruled, after


def fired_at_allocation(order: dict) -> list[dict]:
    return order["plan"]["plan"]["rules"]


def explanation(order: dict) -> dict[str, str]:
    return {e["node"]: e["text"] for e in order["plan"]["plan"]["explanation"]}


def rule_events(order: dict) -> list[dict]:
    return [e for e in order["events"] if e["type"] == "rules_applied"]


# ------------------------------------------------------------------ validation
def test_set_priority_and_add_tag_for_more_than_five_units(client, admin):
    base, ruled, _ = with_and_without(
        client, admin, ("validation", "any(line.qty > 5 for line in lines)",
                        {"type": "set_priority", "priority": 9}, {"type": "add_tag", "tag": "bulk"}),
        lines=[{"sku": "SKU-0001", "qty": 6}])
    assert (base["priority"], base["tags"]) == (0, [])
    assert (ruled["priority"], ruled["tags"]) == (9, ["bulk"])
    [event] = rule_events(ruled)
    assert event["payload"]["fired"][0]["effects"][0]["applied"] == ["priority 9"]


def test_hold_high_value_cod_for_manual_review(client, admin):
    lines = [{"sku": "SKU-0049", "qty": 2}]  # Rs 9,198
    base, ruled, _ = with_and_without(
        client, admin, ("validation", 'order.payment_mode == "COD" and order.value > 500000',
                        {"type": "hold", "reason": "COD above Rs 5,000: call the customer"}),
        lines=lines, payment_mode="COD")
    assert base["status"] == "ALLOCATED"
    assert ruled["status"] == "ON_HOLD" and ruled["shipments"] == []
    assert "call the customer" in ruled["status_reason"]


def test_cancel_with_reason(client, admin):
    base, ruled, _ = with_and_without(client, admin, ("validation", 'ship_to.pin =~ "^60"',
                                                      {"type": "cancel", "reason": "we do not serve 60xxxx"}))
    assert base["status"] == "ALLOCATED"
    assert ruled["status"] == "CANCELLED" and "do not serve" in ruled["status_reason"]
    assert all(l["cancelled_qty"] == l["qty"] for l in ruled["lines"])


@pytest.mark.parametrize("on_cod,status", [("hold", "ON_HOLD"), ("cancel", "CANCELLED")])
def test_require_prepaid_rejects_cod_only(client, admin, on_cod, status):
    _, ruled, _ = with_and_without(client, admin, ("validation", 'ship_to.pin =~ "^60"',
                                                   {"type": "require_prepaid", "on_cod": on_cod}), payment_mode="COD")
    assert ruled["status"] == status and "cash on delivery" in ruled["status_reason"]
    rule = add_rule(client, admin, "validation", 'ship_to.pin =~ "^60"', {"type": "require_prepaid", "on_cod": on_cod})
    prepaid = capture(client, admin)
    assert prepaid["status"] == "ALLOCATED"
    delete_rule(client, admin, rule)


def test_flag_fraud_tags_and_holds(client, admin):
    _, ruled, _ = with_and_without(client, admin, ("validation", "not customer.is_repeat and order.value > 400000",
                                                   {"type": "flag_fraud"}), lines=[{"sku": "SKU-0049", "qty": 1}])
    assert ruled["status"] == "ON_HOLD" and "fraud-review" in ruled["tags"]


# ------------------------------------------------------------------ routing
def test_south_india_ships_from_the_chennai_warehouse(client, admin):
    base, ruled, _ = with_and_without(client, admin, ("routing", SOUTH, {"type": "only_nodes", "nodes": ["CHN-FC1"]}),
                                      pin=BENGALURU)
    assert [s[0] for s in plan(base)] == ["BLR-FC1"]
    assert [s[0] for s in plan(ruled)] == ["CHN-FC1"]
    [fired] = fired_at_allocation(ruled)
    assert "allow CHN-FC1" in fired["effects"][0]["applied"]
    assert "not among the nodes" in explanation(ruled)["BLR-FC1"]


def test_exclude_nodes(client, admin):
    base, ruled, _ = with_and_without(client, admin, ("routing", "true", {"type": "exclude_nodes", "nodes": ["CHN-FC1"],
                                                                          "reason": "stock take"}))
    assert [s[0] for s in plan(base)] == ["CHN-FC1"]
    assert "CHN-FC1" not in [s[0] for s in plan(ruled)]
    assert "stock take" in explanation(ruled)["CHN-FC1"]


def test_prefer_nodes_bonus(client, admin):
    base, ruled, _ = with_and_without(client, admin, ("routing", SOUTH, {"type": "prefer_nodes", "nodes": ["CHN-FC1"],
                                                                         "bonus_paise": 100_000}), pin=BENGALURU)
    assert [s[0] for s in plan(base)] == ["BLR-FC1"] and [s[0] for s in plan(ruled)] == ["CHN-FC1"]


def test_prefer_nodes_in_strict_order(client, admin):
    _, ruled, _ = with_and_without(client, admin, ("routing", SOUTH, {"type": "prefer_nodes_in_order",
                                                                      "nodes": ["HYD-FC1", "CHN-FC1", "BLR-FC1"]}),
                                   pin=BENGALURU)
    assert [s[0] for s in plan(ruled)] == ["HYD-FC1"]


def test_max_distance_excludes_far_nodes(client, admin):
    # SKU-0038 is stocked nowhere within 500 km of Chennai: the baseline ships it from far away.
    base, ruled, _ = with_and_without(client, admin, ("routing", "true", {"type": "max_distance", "km": 500}),
                                      lines=[{"sku": "SKU-0038", "qty": 1}])
    assert base["status"] == "ALLOCATED"
    assert ruled["status"] == "BACKORDERED" and ruled["shipments"] == []


def test_ship_from_store_off(client, admin):
    lines = [{"sku": "SKU-0048", "qty": 1}]
    base, ruled, _ = with_and_without(client, admin, ("routing", "true", {"type": "ship_from_store", "allowed": False}),
                                      lines=lines)
    assert [s[0] for s in plan(base)] == ["CHN-ST1"]
    assert ruled["status"] == "ALLOCATED" and not plan(ruled)[0][0].endswith("-ST1")


# ------------------------------------------------------------------ shipping
@pytest.mark.parametrize("pin,prefix", [(CHENNAI, "^60"), ("781001", "^78")])
def test_pick_the_transporter_by_pin_prefix(client, admin, pin, prefix):
    base, ruled, _ = with_and_without(client, admin, ("shipping", f'ship_to.pin =~ "{prefix}"',
                                                      {"type": "allow_carriers", "carriers": ["XPR"]}), pin=pin)
    assert plan(base)[0][1] != "XPR" and plan(ruled)[0][1] == "XPR"
    add_rule(client, admin, "shipping", f'ship_to.pin =~ "{prefix}"', {"type": "allow_carriers", "carriers": ["XPR"]})
    other = capture(client, admin, pin=BENGALURU)  # a PIN the rule does not match: the rule does not fire
    assert "rules" not in other["plan"]["plan"]


def test_force_carrier(client, admin):
    _, ruled, _ = with_and_without(client, admin, ("shipping", "true", {"type": "force_carrier", "carrier": "ECO"}))
    assert plan(ruled)[0][1] == "ECO"


def test_deny_carrier(client, admin):
    base, ruled, _ = with_and_without(client, admin, ("shipping", "true", {"type": "deny_carriers",
                                                                           "carriers": ["PRP"]}))
    assert plan(base)[0][1] == "PRP" and plan(ruled)[0][1] != "PRP"


def test_prefer_carrier_bonus(client, admin):
    _, ruled, _ = with_and_without(client, admin, ("shipping", "true", {"type": "prefer_carriers", "carriers": ["XPR"],
                                                                        "bonus_paise": 50_000}))
    assert plan(ruled)[0][1] == "XPR"


# ------------------------------------------------------------------ split
# Baseline: SKU-0079 from CHN-FC1 and SKU-0078 from BLR-FC1 (two shipments); BLR-FC1 also holds SKU-0079.
TWO = [{"sku": "SKU-0078", "qty": 1}, {"sku": "SKU-0079", "qty": 1}]


@pytest.mark.parametrize("action", [{"type": "no_split"}, {"type": "max_shipments", "count": 1},
                                    {"type": "keep_together", "skus": ["SKU-0078", "SKU-0079"]},
                                    {"type": "keep_together", "categories": ["home"]},
                                    {"type": "min_shipment_value", "paise": 200_000}])
def test_split_rules_make_one_shipment(client, admin, action):
    base, ruled, _ = with_and_without(client, admin, ("split", "order.line_count >= 2", action), lines=TWO)
    assert len(plan(base)) == 2
    assert ruled["status"] == "ALLOCATED" and len(plan(ruled)) == 1
    assert dict(plan(ruled)[0][2]) == {"SKU-0078": 1, "SKU-0079": 1}


# ------------------------------------------------------------------ conflicts
def test_conflicting_rules_resolved_by_priority_and_explained(client, admin):
    only = add_rule(client, admin, "routing", SOUTH, {"type": "only_nodes", "nodes": ["CHN-FC1", "BLR-FC1"]},
                    priority=10, name="south only")
    never = add_rule(client, admin, "routing", "true", {"type": "exclude_nodes", "nodes": ["BLR-FC1"]},
                     priority=20, name="never bengaluru")
    order = capture(client, admin, pin=BENGALURU)
    assert [s[0] for s in plan(order)] == ["BLR-FC1"]  # the priority-10 rule allowed it
    lost = next(f for f in fired_at_allocation(order) if f["name"] == "never bengaluru")
    assert lost["effects"][0]["overridden_by"] == {"forbid BLR-FC1": f"rule #{only['id']} 'south only'"}
    release(client, admin, order)
    # swap the order: now the exclusion decides
    r = client.post("/rules/reorder", json={"rule_ids": [never["id"], only["id"]]}, headers=admin)
    assert r.status_code == 200
    order = capture(client, admin, pin=BENGALURU)
    assert [s[0] for s in plan(order)] == ["CHN-FC1"]


def test_preferring_several_nodes_never_rewards_splitting_between_them(client, admin):
    # Both preferred nodes hold both SKUs; a per-shipment bonus would pay the plan to split.
    lines = [{"sku": "SKU-0001", "qty": 1}, {"sku": "SKU-0002", "qty": 1}]
    base, ruled, _ = with_and_without(client, admin, ("routing", "true", {"type": "prefer_nodes",
                                                                         "nodes": ["CHN-FC1", "BLR-FC1"],
                                                                         "bonus_paise": 100_000}), lines=lines)
    assert len(plan(base)) == 1
    assert len(plan(ruled)) == 1 and plan(ruled)[0][0] in ("CHN-FC1", "BLR-FC1")

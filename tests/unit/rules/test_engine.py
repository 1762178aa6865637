"""Evaluation: each action does exactly what it says; conflicts go to the lower priority number, and say so."""

import random

import pytest

from omnialloc.rules import InvalidRule, RuleSet

from .builders import CATALOG, facts, rule

COD = facts(payment_mode="COD", lines=(("PHONE-X", 1, 600_000),))


# ------------------------------------------------------------------ validation actions
def test_no_rules_validates():
    out = RuleSet([]).validate(facts())
    assert (out.status, out.priority, out.tags, out.fired) == ("VALIDATED", None, [], [])


def test_set_priority_and_add_tag():
    rs = RuleSet([rule("validation", "any(line.qty > 5 for line in lines)",
                       {"type": "set_priority", "priority": 9}, {"type": "add_tag", "tag": "bulk"})])
    out = rs.validate(facts(lines=(("TSHIRT-M", 6, 100),)))
    assert (out.status, out.priority, out.tags) == ("VALIDATED", 9, ["bulk"])
    assert rs.validate(facts()).priority is None


def test_hold_and_cancel_carry_reason_and_rule():
    out = RuleSet([rule("validation", "order.value > 500000", {"type": "hold", "reason": "big order"},
                        name="big")]).validate(COD)
    assert out.status == "ON_HOLD" and "big order" in out.reason and "'big'" in out.reason
    out = RuleSet([rule("validation", "true", {"type": "cancel", "reason": "blocked"})]).validate(COD)
    assert out.status == "CANCELLED"


def test_require_prepaid_holds_or_cancels_cod_only():
    hold = rule("validation", "true", {"type": "require_prepaid"})
    cancel = rule("validation", "true", {"type": "require_prepaid", "on_cod": "cancel"})
    assert RuleSet([hold]).validate(COD).status == "ON_HOLD"
    assert RuleSet([cancel]).validate(COD).status == "CANCELLED"
    prepaid = RuleSet([cancel]).validate(facts())
    assert prepaid.status == "VALIDATED"
    assert prepaid.fired[0]["effects"][0]["note"] == "order is prepaid: nothing to do"


def test_flag_fraud_tags_and_holds():
    out = RuleSet([rule("validation", "not customer.is_repeat and order.value > 500000",
                        {"type": "flag_fraud"})]).validate(COD)
    assert out.status == "ON_HOLD" and out.tags == ["fraud-review"]


def test_existing_tag_is_not_added_twice():
    out = RuleSet([rule("validation", "true", {"type": "add_tag", "tag": "vip"})]).validate(facts(tags=("vip",)))
    assert out.tags == []


def test_status_conflict_goes_to_lower_priority_number_and_says_who_decided():
    hold = rule("validation", "true", {"type": "hold", "reason": "review"}, priority=10, name="review first")
    cancel = rule("validation", "true", {"type": "cancel", "reason": "no"}, priority=20, name="cancel later")
    out = RuleSet([cancel, hold]).validate(COD)
    assert out.status == "ON_HOLD"
    assert out.decided_by["status"]["name"] == "review first"
    later = next(f for f in out.fired if f["name"] == "cancel later")
    assert later["effects"][0]["overridden_by"] == {"CANCELLED": hold.label}


def test_priority_ties_break_by_rule_id_whatever_the_load_order():
    a = rule("validation", "true", {"type": "set_priority", "priority": 3}, priority=5, id=900001)
    b = rule("validation", "true", {"type": "set_priority", "priority": 7}, priority=5, id=900002)
    for _ in range(5):
        rules = [a, b]
        random.shuffle(rules)
        assert RuleSet(rules).validate(facts()).priority == 3


def test_stop_processing_skips_later_rules_of_the_same_kind():
    first = rule("validation", "true", {"type": "add_tag", "tag": "a"}, priority=1, stop=True)
    second = rule("validation", "true", {"type": "add_tag", "tag": "b"}, priority=2)
    out = RuleSet([first, second]).validate(facts())
    assert out.tags == ["a"] and len(out.fired) == 1


def test_disabled_rules_do_not_run():
    out = RuleSet([rule("validation", "true", {"type": "add_tag", "tag": "a"}, enabled=False)]).validate(facts())
    assert out.fired == []


def test_rule_that_fails_on_a_representative_order_is_refused_when_saved():
    with pytest.raises(InvalidRule) as exc:
        rule("validation", "order.value / (order.line_count - 1) > 5", {"type": "add_tag", "tag": "x"})
    problem = exc.value.problems[0]
    assert problem.column == 13 and "fails on a one-line order" in problem.message


def test_rule_that_fails_at_run_time_is_reported_not_raised():
    # passes the trial run (one and three lines) but divides by zero on a two-line order
    boom = rule("validation", "order.value / (order.line_count - 2) > 5", {"type": "add_tag", "tag": "x"})
    two_lines = facts(lines=(("TSHIRT-M", 1, 100), ("SHOE-9", 1, 100)))
    out = RuleSet([boom]).validate(two_lines)
    assert out.status == "VALIDATED" and out.errors and "could not be evaluated" in out.errors[0]["error"]
    assert "division by zero" in out.errors[0]["error"]


# ------------------------------------------------------------------ routing actions
SOUTH = 'ship_to.state in ["TN", "KL", "KA", "AP", "TS"]'


def test_only_nodes_by_group_forbids_every_other_node_with_the_rule_named():
    r = rule("routing", SOUTH, {"type": "only_nodes", "groups": ["south-fcs"]}, name="south from south")
    out = RuleSet([r]).route(facts(), CATALOG)
    assert set(out.forbidden_nodes) == {"MUM-FC1", "DEL-FC1", "CHN-ST1"}
    assert "'south from south'" in out.forbidden_nodes["MUM-FC1"]
    assert RuleSet([r]).route(facts(state="MH"), CATALOG).forbidden_nodes == {}


def test_exclude_nodes_by_kind():
    out = RuleSet([rule("routing", "true", {"type": "exclude_nodes", "kinds": ["store"], "reason": "no stores"})]
                  ).route(facts(), CATALOG)
    assert list(out.forbidden_nodes) == ["CHN-ST1"] and out.forbidden_nodes["CHN-ST1"].startswith("no stores")


def test_ship_from_store_off():
    out = RuleSet([rule("routing", "true", {"type": "ship_from_store", "allowed": False})]).route(facts(), CATALOG)
    assert list(out.forbidden_nodes) == ["CHN-ST1"]


def test_prefer_nodes_is_a_bonus_and_in_order_is_ranked():
    out = RuleSet([rule("routing", "true", {"type": "prefer_nodes", "nodes": ["BLR-FC1"], "bonus_paise": 5000})]
                  ).route(facts(), CATALOG)
    assert out.node_bonus == {"BLR-FC1": 5000} and out.forbidden_nodes == {}
    out = RuleSet([rule("routing", "true", {"type": "prefer_nodes_in_order", "nodes": ["MUM-FC1", "CHN-FC1"],
                                            "step_paise": 100})]).route(facts(), CATALOG)
    assert out.node_bonus == {"MUM-FC1": 200, "CHN-FC1": 100}


def test_max_distance():
    assert RuleSet([rule("routing", "true", {"type": "max_distance", "km": 500})]).route(facts(), CATALOG
                                                                                          ).max_distance_km == 500.0


def test_higher_priority_only_beats_lower_priority_exclusion_per_node():
    only = rule("routing", "true", {"type": "only_nodes", "nodes": ["CHN-FC1", "BLR-FC1"]}, priority=1, name="only")
    never = rule("routing", "true", {"type": "exclude_nodes", "nodes": ["CHN-FC1"]}, priority=2, name="never")
    out = RuleSet([never, only]).route(facts(), CATALOG)
    assert "CHN-FC1" not in out.forbidden_nodes and "BLR-FC1" not in out.forbidden_nodes
    assert out.decided_by["node:CHN-FC1"]["name"] == "only"
    lost = next(f for f in out.fired if f["name"] == "never")["effects"][0]
    assert lost["applied"] == [] and lost["overridden_by"] == {"forbid CHN-FC1": only.label}
    # swap priorities: the exclusion now decides
    only2 = rule("routing", "true", {"type": "only_nodes", "nodes": ["CHN-FC1", "BLR-FC1"]}, priority=3)
    never2 = rule("routing", "true", {"type": "exclude_nodes", "nodes": ["CHN-FC1"]}, priority=2)
    assert "CHN-FC1" in RuleSet([only2, never2]).route(facts(), CATALOG).forbidden_nodes


# ------------------------------------------------------------------ shipping actions
def test_allow_carriers_forbids_the_rest():
    out = RuleSet([rule("shipping", 'ship_to.pin =~ "^78"', {"type": "allow_carriers", "carriers": ["DELHIVERY"]})]
                  ).route(facts(pin="781001"), CATALOG)
    assert set(out.forbidden_carriers) == {"BLUEDART", "XPRESSBEES"}


def test_force_deny_prefer_carriers():
    out = RuleSet([rule("shipping", "true", {"type": "force_carrier", "carrier": "BLUEDART"})]).route(facts(), CATALOG)
    assert set(out.forbidden_carriers) == {"DELHIVERY", "XPRESSBEES"}
    out = RuleSet([rule("shipping", 'order.payment_mode == "COD"', {"type": "deny_carriers",
                                                                      "carriers": ["XPRESSBEES"]})]).route(COD, CATALOG)
    assert list(out.forbidden_carriers) == ["XPRESSBEES"]
    out = RuleSet([rule("shipping", "true", {"type": "prefer_carriers", "carriers": ["DELHIVERY"],
                                             "bonus_paise": 700})]).route(facts(), CATALOG)
    assert out.carrier_bonus == {"DELHIVERY": 700}


# ------------------------------------------------------------------ split actions
TWO_PHONES = facts(lines=(("PHONE-X", 1, 100), ("CASE-X", 1, 100), ("TSHIRT-M", 1, 100)))


def test_no_split_and_max_shipments_conflict_by_priority():
    a = rule("split", "true", {"type": "max_shipments", "count": 2}, priority=1)
    b = rule("split", "true", {"type": "no_split"}, priority=2)
    assert RuleSet([a, b]).route(facts(), CATALOG).max_shipments == 2
    assert RuleSet([b]).route(facts(), CATALOG).max_shipments == 1


def test_keep_together_by_category_and_sku_merges_overlaps():
    by_cat = rule("split", "true", {"type": "keep_together", "categories": ["electronics"]})
    by_sku = rule("split", "true", {"type": "keep_together", "skus": ["CASE-X", "TSHIRT-M"]})
    assert RuleSet([by_cat]).route(TWO_PHONES, CATALOG).keep_together == [{"1", "2"}]
    assert RuleSet([by_cat, by_sku]).route(TWO_PHONES, CATALOG).keep_together == [{"1", "2", "3"}]


def test_min_shipment_value():
    out = RuleSet([rule("split", "true", {"type": "min_shipment_value", "paise": 20_000})]).route(facts(), CATALOG)
    assert out.min_shipment_value_paise == 20_000


def test_routing_outcome_lists_constraints_for_dry_run():
    out = RuleSet([rule("split", "true", {"type": "no_split"})]).route(facts(), CATALOG)
    c = out.constraints()
    assert c["max_shipments"] == 1 and c["forbidden_nodes"] == {} and out.fired[0]["effects"][0]["applied"]

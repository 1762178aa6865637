"""Order policies and routing-rule inputs, each with a hand-checked answer.

Default rate card (builders): first slab 100 paise, +50 per further 500 g.
"""

from omnialloc.solvers import PlanStatus, solve

from .builders import lane, node, node_with_lane, order


def shipped(plan):
    return {s.node: dict(s.lines) for s in plan.shipments}


# ---------------------------------------------------------------- max weight
def test_a_carrier_is_not_used_above_its_max_weight():
    p = order()
    p.add_line("L1", "A", 1, 1500, 1000)
    node(p, "N1", {"A": 1})
    lane(p, "N1", "CHEAP", first=100, add=50, max_weight_g=1000)
    lane(p, "N1", "HEAVY", first=300, add=100)
    plan = solve(p)
    assert plan.shipments[0].carrier == "HEAVY"
    assert plan.objective_paise == 300 + 2 * 100  # 1500 g = 3 slabs


def test_max_weight_forces_a_line_to_split_across_nodes():
    # 2 x 800 g cannot travel together under a 1000 g limit: one unit from
    # each node, 2 slabs each.
    p = order()
    p.add_line("L1", "A", 2, 800, 1000)
    for code in ("N1", "N2"):
        node_with_lane(p, code, {"A": 2}, lane_kw={"max_weight_g": 1000})
    plan = solve(p)
    assert plan.status == PlanStatus.OPTIMAL
    assert shipped(plan) == {"N1": {"L1": 1}, "N2": {"L1": 1}}
    assert plan.objective_paise == 2 * (100 + 50)


def test_splitting_a_line_is_chosen_when_it_saves_a_slab():
    # L1: 2 x 400 g, L2: 1 x 100 g. N1 has both units of L1 only, N2 has
    # one L1 and the L2. Whole lines: N1 800 g (2 slabs) + N2 100 g = 250.
    # Split L1: N1 400 g + N2 400+100 g, one slab each = 200.
    p = order()
    p.add_line("L1", "A", 2, 400, 1000)
    p.add_line("L2", "B", 1, 100, 1000)
    node_with_lane(p, "N1", {"A": 2})
    node_with_lane(p, "N2", {"A": 1, "B": 1})
    plan = solve(p)
    assert plan.objective_paise == 200
    assert shipped(plan) == {"N1": {"L1": 1}, "N2": {"L1": 1, "L2": 1}}


# ----------------------------------------------------------------------- SLA
def sla_choice(policy, per_day):
    p = order(promised_days=2, sla_policy=policy, lateness_penalty_paise_per_day=per_day)
    p.add_line("L1", "A", 1, 400, 1000)
    node_with_lane(p, "SLOW", {"A": 1}, first=100, sla=5)
    node_with_lane(p, "FAST", {"A": 1}, first=300, sla=2)
    return solve(p)


def test_hard_sla_excludes_carriers_slower_than_the_promise():
    plan = sla_choice("hard", 0)
    assert plan.shipments[0].node == "FAST"
    assert plan.objective_paise == 300


def test_soft_sla_charges_lateness_per_day_late():
    plan = sla_choice("soft", 50)  # SLOW: 100 + 3 days * 50 = 250 < 300
    assert plan.shipments[0].node == "SLOW"
    assert plan.shipments[0].costs.lateness == 150
    assert plan.objective_paise == 250


def test_soft_sla_still_prefers_on_time_when_lateness_costs_more():
    plan = sla_choice("soft", 100)  # SLOW: 100 + 300 = 400 > 300
    assert plan.shipments[0].node == "FAST"


# ------------------------------------------------------------- split policy
def split_world(**kw):
    # N1 has both lines but costly handling; N2 / N3 one line each, free.
    p = order(**kw)
    p.add_line("L1", "A", 1, 400, 10_000)
    p.add_line("L2", "B", 1, 400, 100)
    node_with_lane(p, "N1", {"A": 1, "B": 1}, handling=300)
    node_with_lane(p, "N2", {"A": 1})
    node_with_lane(p, "N3", {"B": 1})
    return p


def test_without_a_split_policy_two_cheap_shipments_beat_one_dear_one():
    plan = solve(split_world())
    assert shipped(plan) == {"N2": {"L1": 1}, "N3": {"L2": 1}}
    assert plan.objective_paise == 200


def test_split_penalty_is_charged_per_shipment_beyond_the_first():
    plan = solve(split_world(split_penalty_paise=150))  # 200 + 150 < 450
    assert plan.objective_paise == 350
    assert sorted(s.costs.split for s in plan.shipments) == [0, 150]


def test_no_split_policy_ships_everything_from_one_node():
    plan = solve(split_world(max_shipments=1))
    assert shipped(plan) == {"N1": {"L1": 1, "L2": 1}}
    assert plan.objective_paise == 300 + 100 + 50  # 800 g: 2 slabs


def test_max_shipments_caps_the_number_of_shipments():
    p = order(max_shipments=2)
    for i, sku in enumerate("ABC"):
        p.add_line(f"L{i + 1}", sku, 1, 400, 1000)
        node_with_lane(p, f"N{i + 1}", {sku: 1})
    plan = solve(p)
    assert plan.status == PlanStatus.INFEASIBLE
    assert "at most 2 shipment" in plan.reason


def test_max_shipments_with_partial_fill_leaves_the_cheapest_line_unfilled():
    p = order(max_shipments=2, allow_partial=True, unfilled_penalty_paise_per_unit=1000)
    for i, sku in enumerate("ABC"):
        p.add_line(f"L{i + 1}", sku, 1, 400, 1000)
        node_with_lane(p, f"N{i + 1}", {sku: 1}, first=100 + 10 * i)
    plan = solve(p)
    assert plan.unfilled == {"L3": 1}  # the dearest node is dropped
    assert plan.objective_paise == 100 + 110 + 1000


def test_keep_together_lines_ship_in_one_shipment():
    plan = solve(split_world(keep_together=[{"L1", "L2"}]))
    assert shipped(plan) == {"N1": {"L1": 1, "L2": 1}}


def test_min_shipment_value_forbids_a_low_value_parcel():
    # Alone, L2 is worth 100 paise < 5000: it must travel with L1.
    plan = solve(split_world(min_shipment_value_paise=5000))
    assert shipped(plan) == {"N1": {"L1": 1, "L2": 1}}
    assert plan.objective_paise == 450


# ---------------------------------------------------- routing-rule inputs
def two_nodes(**n1_kw):
    p = order()
    p.add_line("L1", "A", 1, 400, 1000)
    node_with_lane(p, "N1", {"A": 1}, first=100, **n1_kw)
    node_with_lane(p, "N2", {"A": 1}, first=150)
    return p


def test_a_forbidden_node_is_never_used():
    plan = solve(two_nodes(forbidden_reason="PIN blocked for this seller"))
    assert plan.shipments[0].node == "N2"


def test_a_node_with_no_capacity_left_is_not_used():
    plan = solve(two_nodes(capacity=0))
    assert plan.shipments[0].node == "N2"


def test_preference_bonus_is_subtracted_when_the_node_is_used():
    p = order()
    p.add_line("L1", "A", 1, 400, 1000)
    node_with_lane(p, "N1", {"A": 1}, first=100)
    node_with_lane(p, "N2", {"A": 1}, first=150, bonus_paise=100)
    plan = solve(p)
    assert plan.shipments[0].node == "N2"
    assert plan.shipments[0].costs.preference == -100
    assert plan.objective_paise == 50


def test_lane_bonus_from_a_shipping_rule_prefers_that_carrier():
    p = order()
    p.add_line("L1", "A", 1, 400, 1000)
    node(p, "N1", {"A": 1})
    lane(p, "N1", "C1", first=100)
    lane(p, "N1", "C2", first=120, bonus_paise=30)
    plan = solve(p)
    assert plan.shipments[0].carrier == "C2"
    assert plan.objective_paise == 90


def test_node_penalty_is_added_when_the_node_is_used():
    plan = solve(two_nodes(penalty_paise=80))  # N1: 180 > N2: 150
    assert plan.shipments[0].node == "N2"


def test_lookahead_price_is_charged_per_unit_taken():
    p = order()
    p.add_line("L1", "A", 2, 100, 1000)
    node_with_lane(p, "N1", {"A": 2}, first=100, unit_prices_paise={"A": 40})
    node_with_lane(p, "N2", {"A": 2}, first=150)
    plan = solve(p)  # N1: 100 + 2 * 40 = 180 > 150
    assert plan.shipments[0].node == "N2"


def test_priority_weight_prefers_lower_priority_numbers():
    p = order(priority_weight_paise=30)
    p.add_line("L1", "A", 1, 400, 1000)
    node_with_lane(p, "N1", {"A": 1}, first=100, priority=5)  # 100 + 150
    node_with_lane(p, "N2", {"A": 1}, first=200, priority=1)  # 200 + 30
    plan = solve(p)
    assert plan.shipments[0].node == "N2"
    assert plan.objective_paise == 230


def test_distance_weight_is_rounded_to_paise_once_per_node():
    p = order(distance_weight_paise_per_km=2)
    p.add_line("L1", "A", 1, 400, 1000)
    node_with_lane(p, "FAR", {"A": 1}, first=100, distance=100.0)  # 100 + 200
    node_with_lane(p, "NEAR", {"A": 1}, first=250, distance=10.25)  # 250 + 20.5 -> 21
    plan = solve(p)
    assert plan.shipments[0].node == "NEAR"
    assert plan.shipments[0].costs.distance == 21


def test_handling_cost_is_paid_per_shipment():
    plan = solve(two_nodes(handling=60))  # N1: 160 > N2: 150
    assert plan.shipments[0].node == "N2"


# -------------------------------------------------------------- partial fill
def test_partial_fill_ships_what_is_in_stock_and_pays_for_the_rest():
    p = order(allow_partial=True, unfilled_penalty_paise_per_unit=1000)
    p.add_line("L1", "A", 2, 400, 1000)
    node_with_lane(p, "N1", {"A": 1})
    plan = solve(p)
    assert shipped(plan) == {"N1": {"L1": 1}}
    assert plan.unfilled == {"L1": 1}
    assert plan.objective_paise == 100 + 1000


def test_without_partial_fill_short_stock_is_infeasible():
    p = order()
    p.add_line("L1", "A", 2, 400, 1000)
    node_with_lane(p, "N1", {"A": 1})
    assert solve(p).status == PlanStatus.INFEASIBLE


def test_lines_sharing_a_sku_share_its_stock():
    p = order()
    p.add_line("L1", "A", 1, 400, 1000)
    p.add_line("L2", "A", 1, 400, 1000)
    node_with_lane(p, "N1", {"A": 1})
    node_with_lane(p, "N2", {"A": 1}, first=300)
    plan = solve(p)
    assert sorted(shipped(plan)) == ["N1", "N2"]


def test_cost_terms_of_the_shipments_add_up_to_the_objective():
    plan = solve(split_world(split_penalty_paise=150, allow_partial=True))
    total = sum(s.costs.total for s in plan.shipments) + plan.unfilled_paise
    assert total == plan.objective_paise == plan.to_dict()["costs"]["total"]

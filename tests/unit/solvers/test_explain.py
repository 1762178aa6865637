"""Every candidate node gets a verdict; alternatives show what was given up."""

from omnialloc.solvers import solve

from .builders import lane, node, node_with_lane, order


def explained(plan):
    return {e.node: e for e in plan.explanation}


def world():
    p = order(promised_days=2, sla_policy="hard")
    p.add_line("L1", "A", 1, 400, 1000)
    node_with_lane(p, "USED", {"A": 1}, first=100, distance=50.0)
    node_with_lane(p, "DEAR", {"A": 1}, first=180, distance=5.0)
    node_with_lane(p, "EMPTY", {"B": 9})
    node_with_lane(p, "SLOW", {"A": 1}, sla=4)
    node(p, "NOLANE", {"A": 1})
    node_with_lane(p, "BLOCKED", {"A": 1}, forbidden_reason="seller paused")
    node_with_lane(p, "FULL", {"A": 1}, capacity=0)
    return solve(p)


def test_each_node_gets_its_reason_code():
    codes = {k: e.code for k, e in explained(world()).items()}
    assert codes == {
        "USED": "used",
        "DEAR": "costlier",
        "EMPTY": "no_stock",
        "SLOW": "misses_sla",
        "NOLANE": "no_serviceable_carrier",
        "BLOCKED": "forbidden",
        "FULL": "over_capacity",
    }


def test_forbidden_nodes_carry_the_rules_reason():
    assert "seller paused" in explained(world())["BLOCKED"].text


def test_costlier_nodes_say_by_how_much():
    dear = explained(world())["DEAR"]
    assert dear.extra_cost_paise == 80
    assert dear.exact is True


def test_sla_verdict_names_the_days():
    assert "takes 4 days, promised 2" in explained(world())["SLOW"].text


def test_alternatives_show_best_single_shipment_and_nearest_node():
    alts = {a.name: a for a in world().alternatives}
    assert alts["best_single_shipment"].nodes == ["USED"]
    assert alts["best_single_shipment"].cost_paise == 100
    assert alts["nearest"].nodes == ["DEAR"]
    assert alts["nearest"].cost_paise == 180


def test_explanation_lists_nodes_in_the_order_they_were_added():
    assert [e.node for e in world().explanation] == ["USED", "DEAR", "EMPTY", "SLOW", "NOLANE", "BLOCKED", "FULL"]


def test_carrier_rule_exclusion_is_explained():
    p = order()
    p.add_line("L1", "A", 1, 400, 1000)
    node_with_lane(p, "N1", {"A": 1})
    node(p, "N2", {"A": 1})
    lane(p, "N2", forbidden_reason="carrier C1 paused in 110001")
    text = explained(solve(p))["N2"].text
    assert "carrier C1 paused in 110001" in text


def two_nodes_one_shipment():
    # L1 at N1 only, L2 at N2 only, N3 holds both: with one shipment allowed only N3 can serve.
    p = order(max_shipments=1)
    p.add_line("L1", "A", 1, 400, 1000)
    p.add_line("L2", "B", 1, 400, 1000)
    node_with_lane(p, "N1", {"A": 1}, first=10)
    node_with_lane(p, "N2", {"B": 1}, first=10)
    node_with_lane(p, "N3", {"A": 1, "B": 1}, first=500)
    return p


def test_a_node_no_valid_plan_can_use_is_called_unusable_not_costlier():
    e = explained(solve(two_nodes_one_shipment()))
    assert e["N3"].code == "used"
    for code in ("N1", "N2"):
        assert e[code].code == "unusable"
        assert "no valid plan can use it" in e[code].text
        assert e[code].extra_cost_paise is None


def test_an_exact_amount_is_the_best_plan_forced_to_use_the_node():
    # N1 ships L1 for 100; N2 would ship it for 130, or both lines together for 180 ... but
    # the plan using N2 at its best: L1 from N2 (130) + L2 from N1 (100) = 230 vs chosen 200.
    p = order()
    p.add_line("L1", "A", 1, 400, 1000)
    p.add_line("L2", "B", 1, 400, 1000)
    node_with_lane(p, "N1", {"A": 1, "B": 1}, first=100, add=100)  # both: 800 g, 2 slabs = 200
    node_with_lane(p, "N2", {"A": 1}, first=130)
    plan = solve(p)
    assert plan.objective_paise == 200
    n2 = explained(plan)["N2"]
    assert (n2.code, n2.extra_cost_paise, n2.exact) == ("costlier", 30, True)
    assert n2.text == "best plan using it costs Rs 0.30 more"


def test_a_lower_bound_claim_is_never_negative():
    # A bonus makes N2's own parcel cheap, but using it forces a second parcel: the honest
    # amount is positive and exact; no "at least -Rs" text whatever the numbers.
    p = order(split_penalty_paise=500)
    p.add_line("L1", "A", 1, 400, 1000)
    p.add_line("L2", "B", 1, 400, 1000)
    node_with_lane(p, "N1", {"A": 1, "B": 1}, first=100, add=100)
    node_with_lane(p, "N2", {"A": 1}, first=130, bonus_paise=120)
    for e in solve(p).explanation:
        assert "at least -" not in e.text
        assert e.extra_cost_paise is None or e.code != "costlier" or e.extra_cost_paise >= 0


def test_pricing_past_the_wall_clock_claims_nothing_it_did_not_price():
    # The explanation shares the solve's deadline: a solve that used it up leaves pricing a
    # deadline already past. Nothing raises; no node gets an exact amount it was not priced at.
    import time

    from omnialloc.solvers import explain
    from omnialloc.solvers.budget import Budget
    from omnialloc.solvers.instance import compile_problem

    from benchmarks.reference.generator import random_problem

    inst = compile_problem(random_problem(805, "typical"))
    nodes = list(range(inst.n_cand))
    late = Budget(2000, time.perf_counter() - 1.0)
    res = explain.forced_costs(inst, nodes, late)
    exact = explain.forced_costs(inst, nodes, Budget.unlimited())
    assert res is not None and exact is not None
    for c, (value, is_exact) in res.items():
        if is_exact:
            assert value == exact[c][0]
        else:
            assert value is None or exact[c][0] is None or value <= exact[c][0]

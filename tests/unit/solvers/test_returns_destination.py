"""The return destination on a small, hand-checked network (solvers/returns.py).

Two units of SKU X come back, each worth Rs 100 (10000 paise); a unit that
fills a shortage is worth 10% of that (1000 paise) restocked.

    node  km   accepts  repair  carries X  on hand/target  lanes (freight)        handling
    N1    10   yes      no      yes        50 / 20         C1 300                 0
    N4    50   no       no      yes         0 / 20         C1 100                 0
    N3   100   yes      no      yes        19 / 20         C1 400                 100
    N2   300   yes      no      yes         5 / 20         C1 900, C2 800         100
    R    500   yes      yes     no          -              C1 1200                0

By hand: N3 is short by 1 -> value 1000 -> net 400 + 100 - 1000 = -500.
N2 is short by 15 -> both units fill it -> value 2000 -> best lane C2:
800 + 100 - 2000 = -1100. N1 is nearest but not short; N4 does not accept
returns. So a size/fit return goes to N2 via C2. A damaged one may only go to
R (the one repair-capable node): 1200.
"""

from __future__ import annotations

from omnialloc.solvers.returns import RULE_NEAREST, RULE_REPAIR, RULE_SHORTAGE, ReturnDestinationProblem


def network(*, needs_repair=False, n2_stock=5, n3_stock=19) -> ReturnDestinationProblem:
    p = ReturnDestinationProblem(needs_repair=needs_repair, restock_value_pct=10)
    p.add_item("X", 2, 10_000)
    p.add_node("N1", 10, stock={"X": 50}, target={"X": 20})
    p.add_lane("N1", "C1", 300)
    p.add_node("N4", 50, accepts_returns=False, stock={"X": 0}, target={"X": 20})
    p.add_lane("N4", "C1", 100)
    p.add_node("N3", 100, handling_paise=100, stock={"X": n3_stock}, target={"X": 20})
    p.add_lane("N3", "C1", 400)
    p.add_node("N2", 300, handling_paise=100, stock={"X": n2_stock}, target={"X": 20})
    p.add_lane("N2", "C1", 900, sla_days=4)
    p.add_lane("N2", "C2", 800, sla_days=5)
    p.add_node("R", 500, can_repair=True)
    p.add_lane("R", "C1", 1200)
    return p


def test_a_sellable_return_goes_to_the_short_node_with_the_lowest_net_cost():
    d = network().solve()
    assert (d.status, d.node, d.carrier, d.rule) == ("OPTIMAL", "N2", "C2", RULE_SHORTAGE)
    assert (d.freight_paise, d.handling_paise, d.restock_value_paise, d.objective_paise) == (800, 100, 2000, -1100)
    assert d.sla_days == 5
    assert "short" in d.why and "N2" in d.why and "next best N3" in d.why


def test_the_explanation_lists_the_losers_with_their_reasons():
    d = network().solve()
    by_node = {o.node: o for o in d.options}
    assert d.options[0].node == "N2" and d.options[0].carrier == "C2"
    assert by_node["N4"].reason == "does not accept returns" and not by_node["N4"].eligible
    assert by_node["N1"].reason == "stocks the SKU(s) but is not short of them"
    assert by_node["R"].reason == "does not stock the returned SKU(s)"
    assert by_node["N3"].objective_paise == -500 and by_node["N3"].eligible


def test_restock_value_counts_only_units_that_fill_the_shortage():
    # N2 now short by 1 only: value 1000, net 800 + 100 - 1000 = -100; N3 (-500) wins.
    d = network(n2_stock=19).solve()
    assert (d.node, d.carrier, d.objective_paise, d.restock_value_paise) == ("N3", "C1", -500, 1000)


def test_damaged_items_only_go_to_a_repair_capable_node():
    d = network(needs_repair=True).solve()
    assert (d.node, d.carrier, d.rule, d.objective_paise, d.restock_value_paise) == ("R", "C1", RULE_REPAIR, 1200, 0)
    assert "refurbish or repair" in d.why


def test_without_a_short_node_the_nearest_accepting_node_takes_it():
    d = network(n2_stock=40, n3_stock=40).solve()
    assert (d.node, d.carrier, d.rule) == ("N1", "C1", RULE_NEAREST)
    assert "nearest" in d.why


def test_no_reverse_lane_anywhere_is_infeasible_with_a_reason():
    p = ReturnDestinationProblem()
    p.add_item("X", 1, 100)
    p.add_node("N1", 10, stock={"X": 0}, target={"X": 5})
    d = p.solve()
    assert d.status == "INFEASIBLE" and d.node is None
    assert "reverse carrier" in d.why


def test_the_answer_is_deterministic_on_ties():
    p = ReturnDestinationProblem()
    p.add_item("X", 1, 0)
    for code in ("B", "A"):
        p.add_node(code, 10, stock={"X": 0}, target={"X": 5})
        p.add_lane(code, "Z", 100)
        p.add_lane(code, "Y", 100)
    d = p.solve()
    assert (d.node, d.carrier) == ("A", "Y")

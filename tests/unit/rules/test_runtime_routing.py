"""Turning a routing outcome into the solver adapter's Routing for the units still to place."""

from omnialloc.domain import Address, Order, OrderLine
from omnialloc.rules import RoutingOutcome
from omnialloc.services.rules.runtime import to_routing


def order():
    return Order(id="o1", channel="web", external_id="e1", ship_to=Address("A", "x", "Chennai", "TN", "600002"),
                 lines=[OrderLine(1, "A", 1, 10_000), OrderLine(2, "B", 1, 20_000), OrderLine(3, "C", 2, 5_000)])


def test_constraints_and_bonuses_pass_through_unchanged():
    out = RoutingOutcome(forbidden_nodes={"X": "why"}, node_bonus={"Y": 5}, max_distance_km=300.0,
                         forbidden_carriers={"C1": "why"}, carrier_bonus={"C2": 7}, max_shipments=1,
                         fired=[{"name": "r"}])
    r = to_routing(out, order(), {1: 1, 2: 1, 3: 2})
    assert (r.forbidden_nodes, r.node_bonus, r.max_distance_km, r.forbidden_carriers, r.carrier_bonus,
            r.max_shipments, r.allow_stores, r.only_nodes) == ({"X": "why"}, {"Y": 5}, 300.0, {"C1": "why"},
                                                               {"C2": 7}, 1, True, None)
    assert r.fired == [{"name": "r"}]


def test_keep_together_shrinks_to_lines_still_to_place():
    out = RoutingOutcome(keep_together=[{"1", "2", "3"}, {"1", "2"}])
    assert to_routing(out, order(), {2: 1, 3: 2}).keep_together == [{"2", "3"}]  # line 1 already shipped


def test_minimum_shipment_value_is_capped_at_what_is_left():
    out = RoutingOutcome(min_shipment_value_paise=1_000_000)
    assert to_routing(out, order(), {1: 1, 3: 2}).min_shipment_value_paise == 20_000


def test_rules_that_failed_to_evaluate_are_listed_with_the_fired_ones():
    out = RoutingOutcome(fired=[{"name": "ok"}], errors=[{"name": "bad", "error": "could not be evaluated"}])
    assert [f["name"] for f in to_routing(out, order(), {1: 1}).fired] == ["ok", "bad"]

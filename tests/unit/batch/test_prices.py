"""Opportunity prices: the marginal value of one more unit at a node."""

from omnialloc.solvers.batch.problem import BatchProblem
from omnialloc.solvers.prices import opportunity_prices


def test_last_unit_at_the_cheap_node_is_worth_the_detour_it_saves():
    # Two orders want SKU A; N0 (cost 3000) has 1 unit, N1 (cost 5000) plenty.
    # One more unit at N0 would save 5000 - 3000 = 2000: that is its price.
    bp = BatchProblem()
    bp.add_node("N0", {"A": 1})
    bp.add_node("N1", {"A": 10})
    for o in ("O0", "O1"):
        bp.add_order(o, [("L1", "A", 1, 400, 1000)])
        bp.add_lane(o, "N0", "C", 3000, 1000)
        bp.add_lane(o, "N1", "C", 5000, 1000)
    prices = opportunity_prices(bp.compile())
    assert prices.as_dict() == {("N0", "A"): 2000}


def test_plentiful_stock_has_no_price():
    bp = BatchProblem()
    bp.add_node("N0", {"A": 5})
    bp.add_order("O0", [("L1", "A", 1, 400, 1000)])
    bp.add_lane("O0", "N0", "C", 3000, 1000)
    assert opportunity_prices(bp.compile()).rows == []


def _two_orders_for(units: int) -> BatchProblem:
    """Two one-unit orders of SKU A, one node holding `units` of it, shipping 3,000 against a 20,000 penalty."""
    bp = BatchProblem()
    bp.add_node("N0", {"A": units})
    for o in ("O0", "O1"):
        bp.add_order(o, [("L1", "A", 1, 400, 1000)], unfilled_penalty_paise_per_unit=20_000)
        bp.add_lane(o, "N0", "C", 3000, 1000)
    return bp


def test_scarce_stock_with_no_alternative_is_worth_the_unfilled_penalty():
    assert opportunity_prices(_two_orders_for(1).compile()).as_dict() == {("N0", "A"): 17_000}


def test_a_fractional_stock_row_is_priced_not_rounded_away():
    # A forecast for a tenth of the horizon faces a tenth of the stock: 2 units become 0.2,
    # which rounding would make 0. The LP ships the 0.2 (patterns come from the whole-unit
    # stock) and prices the cell at what a unit saves: the penalty minus the shipping.
    d = _two_orders_for(2).compile()
    prices = opportunity_prices(d, stock=d.stock * 0.1)
    assert prices.as_dict() == {("N0", "A"): 17_000}
    assert abs(prices.lp_value - (0.2 * 3000 + 1.8 * 20_000)) < 1e-6

"""The runner: metrics on a hand-checked scenario, the never-costlier check, the LP bound."""

import numpy as np
import pytest

from benchmarks import clairvoyant, runner
from benchmarks.scenarios import get_scenario
from benchmarks.scenarios.generator import KM_PER_MILE, Order, Scenario
from omnialloc.geo import haversine_km, locate


class FixedOrders(Scenario):
    """A scenario whose orders are given, not drawn."""

    fixed: list = []

    def orders(self):
        yield from self.fixed


def _two_fc_js_scenario():
    """Jasin & Sinha costs, FCs in Chennai and Delhi, one SKU: Chennai has 1 unit, Delhi 5."""
    base = get_scenario("jasin-sinha", 10, 1)
    chn, dl = base.nodes[3], base.nodes[1]
    assert chn.city == "Chennai" and dl.city == "Delhi"
    nodes = [chn, dl]
    stock = np.zeros((2, len(base.skus)), dtype=np.int64)
    stock[0, 0], stock[1, 0] = 1, 5
    sc = FixedOrders("tiny", 1, 3, "jasin_sinha", nodes, base.skus, stock, base.popularity, base.city_pins,
                     base.city_weight, base.network, money_unit="J&S $", money_divisor=1000)
    dest = chn.loc
    sc.fixed = [Order(0, "o0", dest, False, (0,), (1,)), Order(1, "o1", dest, False, (0,), (1,)),
                Order(2, "o2", dest, False, (0,), (5,))]
    return sc, chn, dl


def test_metrics_on_a_hand_checked_scenario():
    sc, chn, dl = _two_fc_js_scenario()
    res = runner.run(sc, ["nearest", "optimal"], strict=True)
    km = haversine_km(dl.loc.lat, dl.loc.lon, chn.loc.lat, chn.loc.lon)
    far_item = 423 + round(0.541 * km / KM_PER_MILE)
    # o0: the Chennai unit (8759 + 423). o1: Delhi. o2: 4 left at Delhi, 1 unfilled.
    penalty = sc.unfilled_penalty(sc.fixed[2])
    expected = [8759 + 423, 8759 + far_item, 8759 + 4 * far_item + penalty]
    for name in ("nearest", "optimal"):
        log = res.logs[name]
        assert log.cost.tolist() == expected
        assert log.shipments.tolist() == [1, 1, 1]
        assert log.unfilled.tolist() == [0, 0, 1]
        assert log.stock[:, 0].tolist() == [0, 0]
    row = {r["strategy"]: r for r in runner.summarize(res)}["optimal"]
    assert row["total_cost"] == pytest.approx(sum(expected) / 1000)
    assert row["fill_rate"] == pytest.approx(1 - 1 / 7)
    assert row["split_rate"] == 0 and row["shipments_per_order"] == 1
    assert row["mean_km"] == pytest.approx((km * 2 + haversine_km(chn.loc.lat, chn.loc.lon, chn.loc.lat, chn.loc.lon)) / 3)
    assert row["vs_optimal_pct"] == 0


def test_optimal_is_never_costlier_than_any_baseline_on_the_same_state():
    sc = get_scenario("india-12", 60, 11)
    res = runner.run(sc, list(runner.ONLINE), strict=True)
    assert res.checks == 4 * 60 and not res.violations


def test_the_check_catches_an_optimal_that_costs_more(monkeypatch):
    sc = get_scenario("india-12", 60, 11)
    real = runner.solve

    def worse(problem, strategy, **kw):
        return real(problem, "max_stock" if strategy == "optimal" else strategy, **kw)

    monkeypatch.setattr(runner, "solve", worse)
    with pytest.raises(runner.NeverCostlierViolation):
        runner.run(sc, ["cost_greedy"], strict=True)


def test_the_lp_bound_is_exact_for_jasin_sinha_single_units_and_below_every_policy():
    sc, _, _ = _two_fc_js_scenario()
    sc.fixed = sc.fixed[:2]
    sc.n_orders = 2
    bound = clairvoyant.lp_bound(sc)
    res = runner.run(sc, ["optimal"], strict=True)
    assert bound["cost"] == pytest.approx(res.logs["optimal"].cost.sum())

    sc2 = get_scenario("india-12", 80, 5)
    b2 = clairvoyant.lp_bound(sc2)
    r2 = runner.run(sc2, list(runner.ONLINE), check=False)
    assert all(b2["cost"] <= log.cost.sum() + 1e-6 for log in r2.logs.values())


def test_unknown_strategy_names_are_refused():
    with pytest.raises(ValueError, match="unknown strategies"):
        runner.parse_strategies("optimal,psychic")
    assert runner.parse_strategies("all")[-1] == runner.CLAIRVOYANT


def test_results_md_section_is_replaced_and_other_sections_kept():
    from benchmarks.run_all import SECTION, replace_section

    text = "# Benchmark results\n\n## Batch\n\nbatch table\n"
    once = replace_section(text, "first")
    assert once.count(SECTION) == 1 and "batch table" in once and "first" in once
    twice = replace_section(once + "\n## Rebalance\n\nrb\n", "second")
    assert "first" not in twice and "second" in twice and "rb" in twice and "batch table" in twice
    assert twice.count(SECTION) == 1
    # Text someone appends after our section (behind the end marker) survives the next rewrite.
    appended = replace_section(text, "first") + "\n### Load re-run\n\nload table\n"
    again = replace_section(appended, "third")
    assert "third" in again and "first" not in again and "load table" in again and "batch table" in again


def test_lookahead_costs_exclude_the_price_term():
    sc = get_scenario("india-12", 40, 3)
    prices = np.full_like(sc.stock0, 5_000)
    res = runner.run(sc, ["optimal", runner.LOOKAHEAD], check=False, prices=prices)
    # A flat price per unit shifts every plan equally, so decisions and costs stay those of optimal.
    assert res.logs[runner.LOOKAHEAD].cost.tolist() == res.logs["optimal"].cost.tolist()


def test_parallel_workers_give_the_same_results_as_one_process():
    sc = get_scenario("india-12", 50, 4)
    names = ["nearest", "max_stock", "optimal"]
    one = runner.run(sc, names, strict=True, workers=1)
    two = runner.run(sc, names, strict=True, workers=2)
    assert list(two.logs) == names and two.checks == one.checks == 2 * 50
    for name in names:
        assert two.logs[name].cost.tolist() == one.logs[name].cost.tolist()
        assert two.logs[name].stock.tolist() == one.logs[name].stock.tolist()


def test_shared_plans_match_solving_each_strategy_alone():
    # Strategies whose stock looks the same to an order share its plan (capped at the line qty);
    # running a strategy alone must give exactly the same per-order costs.
    sc = get_scenario("india-12", 50, 4)
    together = runner.run(sc, ["priority", "cost_greedy", "optimal"], check=True)
    for name in ("priority", "optimal"):
        alone = runner.run(sc, [name], check=False)
        assert alone.logs[name].cost.tolist() == together.logs[name].cost.tolist()


def test_rolling_lookahead_prices_refresh_from_the_strategys_own_stock():
    sc = get_scenario("india-12", 80, 3)
    res = runner.run(sc, [runner.LOOKAHEAD], check=False)
    refreshes = res.logs[runner.LOOKAHEAD].price_refreshes
    assert [r["at_order"] for r in refreshes] == list(range(0, 80, 10))
    assert [r["remaining"] for r in refreshes] == list(range(80, 0, -10))
    assert all(r["lp_status"] == "Optimal" for r in refreshes)


def _same_instance(a, b) -> list[str]:
    """Fields in which two compiled instances differ (node and lane indices are compared by
    what they point at: the template's problem lists more nodes than a per-state problem)."""
    skip = {"problem", "verdicts", "memo", "cand", "lane_src", "groups"}
    diff = [f for f in a.__dataclass_fields__ if f not in skip
            and not (np.array_equal(getattr(a, f), getattr(b, f)) if isinstance(getattr(a, f), np.ndarray)
                     else getattr(a, f) == getattr(b, f))]
    if [a.node_code(c) for c in range(a.n_cand)] != [b.node_code(c) for c in range(b.n_cand)]:
        diff.append("nodes")
    if [a.problem.lanes[j] for j in a.lane_src] != [b.problem.lanes[j] for j in b.lane_src]:
        diff.append("lanes")
    return diff


@pytest.mark.parametrize("name", ["india-100", "jasin-sinha"])
def test_instances_cut_from_the_order_template_equal_compiling_the_problem(name):
    from omnialloc.solvers.instance import compile_problem

    sc = get_scenario(name, 150, 3)
    rng = np.random.default_rng(0)
    cut = 0
    for order in sc.orders():
        ctx = runner.OrderContext(sc, order)
        for share in (0.2, 0.6, 0.95):   # depleted stock: some cells drop to 0-2 units
            stock = sc.stock0.copy()
            mask = rng.random(stock.shape) < share
            stock[mask] = np.minimum(stock[mask], rng.integers(0, 3, size=int(mask.sum())))
            prices = rng.integers(-5, 60, size=stock.shape) * (rng.random(stock.shape) < 0.3)
            for capped, price in ((True, None), (False, prices), (True, prices)):
                sub, ps = ctx.view(stock, capped), None if price is None else price[:, ctx.cols]
                got = runner.instance_for(sc, ctx, sub, ps)
                ref = compile_problem(runner.build_problem(sc, ctx, stock, price) if not capped
                                      else runner._problem(sc, ctx, sub, ps))
                if isinstance(got, runner.Instance):
                    cut += 1
                    assert _same_instance(got, ref) == [], order.order_id
                else:
                    assert ref.n_cand == 0   # only the no-candidate case is built the slow way
    assert cut > 1000


def test_lanes_shared_per_zone_equal_asking_per_node():
    # The runner asks the lane table once per (zone, PIN, COD); that must be what asking per
    # node gives (a lane depends on its origin only through the zone).
    sc = get_scenario("india-100", 300, 5)
    fresh = get_scenario("india-100", 300, 5)
    for order in sc.orders():
        for node in range(len(sc.nodes)):
            assert runner.lane_kwargs(sc, order, node) == fresh.lanes(order, node)


def test_a_forecast_never_draws_the_real_order_stream():
    from benchmarks.lookahead import forecast_sample

    sc = get_scenario("india-12", 60, 3)
    real = {o.order_id for o in sc.orders()}
    sample = forecast_sample(sc, remaining=20, size=50, first_stream=1)
    assert len(sample) == 50 and not real & {o.order_id for o in sample}
    # 50 forecast orders for a horizon of 20: whole samples of it from streams 1, 2 and 3.
    assert [o.order_id.split("-")[3] for o in sample] == ["f1"] * 20 + ["f2"] * 20 + ["f3"] * 10
    with pytest.raises(AssertionError):
        forecast_sample(sc, remaining=20, size=5, first_stream=0)


def test_refreshes_crowd_towards_the_end_when_asked():
    from benchmarks.lookahead import refresh_points

    assert refresh_points(80, 8) == list(range(0, 80, 10))
    late = refresh_points(80, 8, late=0.5)
    assert late[0] == 0 and len(late) == 8
    gaps = np.diff(late + [80])
    assert all(a >= b for a, b in zip(gaps, gaps[1:])) and gaps[0] > gaps[-1]


def test_forecasts_are_whole_samples_of_a_short_horizon_and_a_scaled_window_of_a_long_one():
    from benchmarks.lookahead import RollingPrices

    pricer = RollingPrices(get_scenario("india-12", 40, 3), window=4000, samples_max=8, scaled_window=2000)
    assert pricer.forecast_size(20_000) == 2000   # a tenth of the horizon, stock scaled to a tenth
    assert pricer.forecast_size(1_500) == 4000    # 2.67 samples of the horizon, stock scaled up
    assert pricer.forecast_size(100) == 800       # 8 whole samples

"""The clairvoyant references: the Lagrangian bound is below the true clairvoyant optimum (brute force on
tiny scenarios, for any prices), the clairvoyant plan plays by the online policies' rules and costs at
least the bound."""

import functools
import itertools

import numpy as np
import pytest

from benchmarks import clairvoyant, lagrangian, runner
from benchmarks.runner import OrderContext, _problem
from benchmarks.scenarios import get_scenario
from benchmarks.scenarios.generator import Order, Scenario
from omnialloc.solvers import PlanStatus, solve


class FixedOrders(Scenario):
    """A scenario whose orders are given, not drawn."""

    fixed: list = []

    def orders(self, stream: int = 0):
        yield from self.fixed


def tiny_scenario(seed: int) -> FixedOrders:
    """2-3 nodes of india-12, 2 SKUs with 0-3 units each, 3-4 orders of 1-2 lines and 1-3 units at real
    PINs: small enough to enumerate every joint plan, with courier slabs, COD, splits and part-fills."""
    base = get_scenario("india-12", 30, seed)
    rng = np.random.default_rng(seed)
    nodes = [base.nodes[i] for i in rng.choice(len(base.nodes), size=2 + seed % 2, replace=False)]
    skus = [base.skus[i] for i in rng.choice(len(base.skus), size=2, replace=False)]
    stock = rng.integers(0, 4, size=(len(nodes), 2)).astype(np.int64)
    sc = FixedOrders(f"tiny-{seed}", seed, 3 + seed % 2, "courier", nodes, skus, stock, np.full(2, 0.5),
                     base.city_pins, base.city_weight, base.network)
    locs = [o.loc for o in base.orders()]
    fixed = []
    for i in range(sc.n_orders):
        k = int(rng.integers(1, 3))
        chosen = tuple(int(s) for s in rng.choice(2, size=k, replace=False))
        fixed.append(Order(i, f"o{i}", locs[int(rng.integers(len(locs)))], bool(rng.random() < 0.4), chosen,
                           tuple(int(q) for q in rng.integers(1, 4, size=k))))
    sc.fixed = fixed
    return sc


def clairvoyant_optimum(sc: Scenario) -> int:
    """min over joint plans of the summed cost, every order's plan one the single-order solver allows
    (the online policies' rules) and all of them within the starting stock. Enumerates, order by
    order, every cap x <= remaining stock on the order's cells and prices the order at the solver's
    proven optimum with stock x (which includes every plan using less than x): exact."""
    ctxs = [OrderContext(sc, o) for o in sc.orders()]

    @functools.lru_cache(maxsize=None)
    def cost(i: int, x: bytes) -> int:
        ctx = ctxs[i]
        sub = np.frombuffer(x, dtype=np.int64).reshape(len(sc.nodes), len(ctx.cols))
        plan = solve(_problem(sc, ctx, sub, None), "optimal", time_limit_ms=10_000, explain_plan=False)
        if plan.status == PlanStatus.INFEASIBLE:
            return ctx.penalty * ctx.order.units   # the runner backorders it whole
        assert plan.status == PlanStatus.OPTIMAL
        return plan.objective_paise

    @functools.lru_cache(maxsize=None)
    def best(i: int, rem: bytes) -> int:
        if i == len(ctxs):
            return 0
        stock = np.frombuffer(rem, dtype=np.int64).reshape(sc.stock0.shape)
        ctx = ctxs[i]
        hi = np.minimum(stock[:, ctx.cols], ctx.qty[None, :])
        out = None
        for flat in itertools.product(*[range(int(h) + 1) for h in hi.ravel()]):
            x = np.array(flat, dtype=np.int64).reshape(hi.shape)
            left = stock.copy()
            left[:, ctx.cols] -= x
            c = cost(i, x.tobytes()) + best(i + 1, left.tobytes())
            out = c if out is None else min(out, c)
        return out

    return best(0, sc.stock0.astype(np.int64).tobytes())


def bound_at(sc: Scenario, lam: np.ndarray) -> float:
    """L(lam) itself: one pass, no steps."""
    return lagrangian.lagrangian_bound(sc, lam, max_passes=1).cost


SEEDS = range(8)


@pytest.mark.parametrize("seed", SEEDS)
def test_lagrangian_bound_is_below_the_brute_force_clairvoyant_optimum_for_any_prices(seed):
    sc = tiny_scenario(seed)
    opt = clairvoyant_optimum(sc)
    rng = np.random.default_rng(100 + seed)
    penalty = max(sc.unfilled_penalty(o) for o in sc.fixed)
    for lam in [np.zeros(sc.stock0.shape)] + [rng.uniform(0, 1.5 * penalty, sc.stock0.shape) for _ in range(4)]:
        assert bound_at(sc, lam) <= opt
    lam0, _ = lagrangian.start_prices(sc)
    start = bound_at(sc, lam0)
    improved = lagrangian.lagrangian_bound(sc, lam0, max_passes=30, time_budget_s=30)
    assert start <= improved.cost <= opt
    # no prices give an L above the column-generation master's value
    assert improved.master is None or improved.cost <= improved.master + 1e-6
    assert improved.start_cost == start


def test_the_bound_is_exact_when_stock_is_plentiful():
    # Nothing is scarce: every order gets its own optimum, and L(0) is that sum.
    sc = get_scenario("india-12", 40, 3)
    sc.stock0 = sc.stock0 * 0 + 1_000
    res = runner.run(sc, ["optimal"], check=False)
    assert bound_at(sc, np.zeros(sc.stock0.shape)) == res.logs["optimal"].cost.sum()


def test_price_terms_enter_the_bound_as_the_solver_counts_them():
    sc = get_scenario("india-12", 30, 2)
    lam = np.random.default_rng(0).integers(0, 20_000, sc.stock0.shape)
    total = 0
    for order in sc.orders():
        ctx = OrderContext(sc, order)
        ans = lagrangian.solve_order(sc, ctx, lam)
        plan = solve(runner.build_problem(sc, ctx, sc.stock0, lam), "optimal", explain_plan=False)
        assert plan.costs.lookahead == sum(q * lam[n, s] for n, s, q in ans.use)
        expected = ctx.penalty * order.units if plan.status == PlanStatus.INFEASIBLE else plan.objective_paise
        assert ans.proven and ans.value == expected
        total += ans.value
    assert bound_at(sc, lam) == total - (lam * sc.stock0).sum()


def test_the_lagrangian_bound_beats_the_lp_bound_and_stays_below_every_policy():
    sc = get_scenario("india-12", 80, 5)
    res = runner.run(sc, list(runner.ONLINE), check=False)
    best = min(int(log.cost.sum()) for log in res.logs.values())
    lam0, _ = lagrangian.start_prices(sc)
    lag = lagrangian.lagrangian_bound(sc, lam0, max_passes=20, time_budget_s=60)
    lp = clairvoyant.lp_bound(sc)
    assert lp["cost"] <= lag.cost <= best


def test_workers_give_the_same_bound_as_one_process():
    sc = get_scenario("india-12", 120, 6)
    lam0 = np.random.default_rng(1).uniform(0, 30_000, sc.stock0.shape)
    one = lagrangian.lagrangian_bound(sc, lam0, max_passes=3, workers=1)
    two = lagrangian.lagrangian_bound(sc, lam0, max_passes=3, workers=2)
    assert one.cost == two.cost and one.history[-1]["L"] == two.history[-1]["L"]


def test_clairvoyant_plan_plays_by_the_online_rules_and_costs_at_least_the_bound():
    sc = get_scenario("india-12", 80, 5)
    lam0, _ = lagrangian.start_prices(sc)
    bound = lagrangian.lagrangian_bound(sc, lam0, max_passes=5)
    log, stats = clairvoyant.priced_plan(sc, bound)
    # the runner applied every plan to its own stock (never oversold, every unit shipped or unfilled)
    assert log.stock.min() >= 0 and log.units.sum() == sum(o.units for o in sc.orders())
    assert bound.cost <= log.cost.sum()
    # reusing the bound's plans where they fit gives the same cost as solving every order again
    again = runner.run(sc, [runner.LOOKAHEAD], check=False, prices=bound.lam).logs[runner.LOOKAHEAD]
    assert log.cost.sum() == again.cost.sum() and stats["resolved"] < sc.n_orders


def test_orders_kept_across_a_step_keep_their_exact_optimum():
    # After a step, orders whose prices only rose on units their optimum does not take are not solved
    # again; the best L must still be L evaluated from scratch at its prices.
    sc = get_scenario("india-12", 150, 6)
    lam0, _ = lagrangian.start_prices(sc)
    res = lagrangian.lagrangian_bound(sc, lam0, max_passes=8)
    assert any(h.get("kept", 0) > 0 for h in res.history)
    assert res.cost > res.start_cost and res.cost == bound_at(sc, res.lam)


def test_start_prices_over_several_windows_are_the_mean_of_each_windows_prices():
    from benchmarks.lookahead import scaled_lp_prices

    sc = get_scenario("india-12", 90, 2)
    lam, info = lagrangian.start_prices(sc, window=30, windows=3)
    orders = list(sc.orders())
    each = [scaled_lp_prices(sc, orders[k * 30:(k + 1) * 30], sc.stock0, 30 / 90)[0] for k in range(3)]
    assert np.allclose(lam, np.mean(each, axis=0)) and "3 consecutive windows of 30" in info["method"]
    assert np.array_equal(lagrangian.start_prices(sc, window=30, windows=3, workers=2)[0], lam)
    # L is concave in the prices: at the mean it is at least the mean of the windows' L, up to the
    # rounding to whole paise (half a paisa on every unit taken or in stock)
    rounding = 0.5 * (sc.stock0.sum() + sum(o.units for o in orders))
    assert bound_at(sc, lam) >= np.mean([bound_at(sc, x) for x in each]) - rounding

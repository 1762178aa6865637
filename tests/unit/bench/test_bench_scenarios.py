"""The scenario generator: seeded, reproducible, streamed, and shaped as documented."""

import numpy as np
import pytest

from benchmarks.scenarios import get_scenario
from benchmarks.scenarios.generator import LINE_MIX


@pytest.fixture(scope="module")
def small():
    return get_scenario("india-12", 200, 7)


def test_same_seed_gives_the_same_network_stock_and_orders(small):
    again = get_scenario("india-12", 200, 7)
    assert [n.code for n in again.nodes] == [n.code for n in small.nodes]
    assert np.array_equal(again.stock0, small.stock0)
    assert list(again.orders()) == list(small.orders())


def test_another_seed_gives_other_orders(small):
    other = get_scenario("india-12", 200, 8)
    assert list(other.orders())[:20] != list(small.orders())[:20]


def test_a_shorter_run_sees_a_prefix_of_the_longer_runs_orders(small):
    longer = get_scenario("india-12", 5000, 7)
    assert [(o.loc.pin, o.skus, o.qty, o.cod) for o in list(longer.orders())[:200]] == \
           [(o.loc.pin, o.skus, o.qty, o.cod) for o in small.orders()]


def test_orders_are_generated_lazily():
    sc = get_scenario("india-12", 1_000_000, 7)
    stream = sc.orders()
    first = [next(stream) for _ in range(3)]
    assert [o.index for o in first] == [0, 1, 2]


def test_orders_have_1_to_10_distinct_lines_mostly_one_or_two(small):
    orders = list(small.orders())
    sizes = np.array([len(o.skus) for o in orders])
    assert sizes.min() >= 1 and sizes.max() <= 10
    assert all(len(set(o.skus)) == len(o.skus) for o in orders)
    assert (sizes <= 2).mean() > 0.6
    assert LINE_MIX[:2].sum() == pytest.approx(0.80)


def test_nodes_sit_at_real_pins_and_mix_warehouses_stores_and_vendors(small):
    kinds = [n.kind for n in small.nodes]
    assert kinds.count("warehouse") == 4 and kinds.count("dropship_vendor") == 1
    assert all(len(n.loc.pin) == 6 for n in small.nodes)


def test_every_sku_is_stocked_somewhere_and_stock_scales_with_orders(small):
    assert (small.stock0.sum(axis=0) > 0).all() or small.stock0.sum() > 0
    big = get_scenario("india-12", 2000, 7)
    assert big.stock0.sum() > 5 * small.stock0.sum()


def test_jasin_sinha_has_10_fcs_and_linear_costs():
    sc = get_scenario("jasin-sinha", 50, 3)
    assert len(sc.nodes) == 10 and {n.kind for n in sc.nodes} == {"warehouse"}
    assert all(n.handling_paise == 8759 for n in sc.nodes)
    order = next(sc.orders())
    (lane,) = sc.lanes(order, 0)
    assert lane["first_slab_paise"] == lane["additional_slab_paise"] >= 423 and lane["slab_g"] == 1
    assert not order.cod


def test_unknown_scenario_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown scenario"):
        get_scenario("mars-3", 10, 1)

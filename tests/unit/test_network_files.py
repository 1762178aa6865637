"""The embedded demo network loads, meets its minimums, and bad files are refused with file and line."""

import shutil
from collections import Counter

import pytest

from omnialloc.domain.enums import Capability, NodeKind
from omnialloc.domain.errors import ValidationFailed
from omnialloc.geo import is_known, locate
from omnialloc.logistics import ServiceabilityIndex
from omnialloc.network_files import default_data_dir, load_cities, load_network, load_sample_orders


@pytest.fixture(scope="module")
def network():
    return load_network()


@pytest.fixture(scope="module")
def orders():
    return load_sample_orders()


def test_demo_network_meets_its_minimum_sizes(network):
    kinds = Counter(n.kind for n in network.nodes)
    assert kinds[NodeKind.WAREHOUSE] + kinds[NodeKind.STORE] >= 12
    assert kinds[NodeKind.DROPSHIP_VENDOR] == 2
    assert kinds[NodeKind.RETURN_CENTER] >= 1
    assert len(network.skus) >= 200
    assert len(network.carriers) == 4
    assert len(network.rate_cards) == 4 * 5
    assert {c.code for c in network.channels} >= {"web", "amazon", "pos", "shopify", "woocommerce"}


def test_nodes_cover_the_named_cities(network):
    cities = {n.city for n in network.nodes}
    assert cities >= {"Chennai", "Mumbai", "Delhi", "Bengaluru", "Kolkata", "Hyderabad", "Pune", "Ahmedabad",
                      "Jaipur", "Lucknow", "Guwahati", "Kochi"}


def test_node_coordinates_match_their_pin(network):
    for node in network.nodes:
        loc = locate(node.pin)
        assert (round(loc.lat, 4), round(loc.lon, 4)) == (round(node.lat, 4), round(node.lon, 4)), node.code


def test_return_centre_can_refurbish_and_repair(network):
    (rc,) = [n for n in network.nodes if n.kind == NodeKind.RETURN_CENTER]
    assert rc.capabilities == {Capability.ACCEPT_RETURNS, Capability.REFURBISH, Capability.REPAIR}


def test_every_inventory_row_refers_to_a_known_node_and_sku(network):
    nodes = {n.code for n in network.nodes}
    skus = {s.code for s in network.skus}
    assert all(p.node in nodes and p.sku in skus and p.reserved == 0 for p in network.inventory)


def test_first_sku_is_stocked_at_several_nodes_including_chennai(network):
    at = {p.node for p in network.inventory if p.sku == "SKU-0001" and p.atp > 0}
    assert "CHN-FC1" in at and len(at) >= 4


def test_stock_is_uneven(network):
    nodes_per_sku = Counter(p.sku for p in network.inventory)
    assert min(nodes_per_sku.values()) == 1 and max(nodes_per_sku.values()) >= 8
    assert any(p.on_hand <= 3 for p in network.inventory)


def test_innerwear_is_not_returnable_and_some_skus_are_bulky(network):
    assert all(not s.returnable for s in network.skus if s.category == "innerwear")
    assert any(s.volume_mm3 // 5000 > s.unit_weight_g for s in network.skus)


def test_carriers_differ_in_cod_and_zone_e_coverage(network):
    index = ServiceabilityIndex(network.serviceability)
    assert any(not c.cod_supported for c in network.carriers)
    assert index.serving("781001") != index.serving("600001")     # Guwahati is not served by everyone
    assert index.serving("600001") == sorted(c.code for c in network.carriers)


def test_there_are_at_least_1000_sample_orders(orders):
    assert len(orders) >= 1000


def test_every_sample_order_pin_locates(orders):
    assert all(is_known(o["ship_to"]["pin"]) for o in orders)


def test_sample_orders_refer_to_known_skus_and_channels(network, orders):
    skus = {s.code for s in network.skus}
    channels = {c.code for c in network.channels}
    assert all(o["channel"] in channels and all(line["sku"] in skus for line in o["lines"]) for o in orders)


def test_sample_orders_mix_cod_and_line_counts(orders):
    cod = sum(o["payment_mode"] == "COD" for o in orders) / len(orders)
    lines = Counter(len(o["lines"]) for o in orders)
    assert 0.35 <= cod <= 0.45
    assert lines[1] + lines[2] > len(orders) / 2 and max(lines) <= 10


def test_external_ids_are_unique_per_channel(orders):
    assert len({(o["channel"], o["external_id"]) for o in orders}) == len(orders)


def test_cities_carry_census_populations_and_locatable_pins():
    cities = load_cities()
    assert 50 <= len(cities) <= 100
    assert max(cities, key=lambda c: c.population).city == "Mumbai"
    assert all(is_known(c.pin) for c in cities)


def test_data_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OMNIALLOC_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path


@pytest.fixture
def copy_of_data(tmp_path):
    for f in default_data_dir().glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_inventory_row_with_unknown_sku_is_named_by_file_and_line(copy_of_data):
    with open(copy_of_data / "inventory.csv", "a") as f:
        f.write("CHN-FC1,SKU-9999,5,0\n")
    with pytest.raises(ValidationFailed) as info:
        load_network(copy_of_data)
    lines = sum(1 for _ in open(copy_of_data / "inventory.csv"))
    assert [e.field for e in info.value.field_errors] == [f"inventory.csv:{lines}.sku"]
    assert "SKU-9999 is not in skus.csv" in info.value.detail


def test_duplicate_codes_and_bad_enums_are_all_reported(copy_of_data):
    with open(copy_of_data / "carriers.csv", "a") as f:
        f.write("XPR,Duplicate,surface,30000,true,5000,true\n")
    with open(copy_of_data / "nodes.csv", "a") as f:
        f.write("X-1,Bad,spaceport,,600001,Chennai,Tamil Nadu,13.09,80.29,teleport,10,0,1,true,\n")
    with pytest.raises(ValidationFailed) as info:
        load_network(copy_of_data)
    messages = " | ".join(e.message for e in info.value.field_errors)
    assert "duplicate carrier code XPR" in messages
    assert "kind 'spaceport'" in messages and "capability 'teleport'" in messages


def test_missing_folder_is_refused_with_a_hint(tmp_path):
    with pytest.raises(ValidationFailed, match="OMNIALLOC_DATA_DIR"):
        load_network(tmp_path / "nope")

"""The solver lanes build_problem uses: memoised per (node, origin, destination, COD), never stale."""

from omnialloc.domain.enums import Zone
from omnialloc.domain.logistics import Carrier, RateCard, Serviceability
from omnialloc.geo import locate
from omnialloc.logistics import ServiceabilityIndex
from omnialloc.logistics.lanes import lane_table
from omnialloc.services.allocation.planning import _quoted_lanes, _solver_lanes

CARRIERS = [Carrier("XB", "Xpress Bees"), Carrier("EK", "Ekart", cod_supported=False)]
INDEX = ServiceabilityIndex([Serviceability("XB", "5"), Serviceability("XB", "6"), Serviceability("EK", "5"),
                             Serviceability("EK", "6")])
CHENNAI, BENGALURU, MYSURU = locate("600001"), locate("560001"), locate("570001")


def _cards(first_a: int):
    return [RateCard(c, z, first_a if z == Zone.A else 4000, 2000, 3500, 200)
            for c in ("XB", "EK") for z in (Zone.A, Zone.B, Zone.C, Zone.D, Zone.E)]


def test_a_destination_seen_again_gets_the_same_lanes_as_computing_them_afresh():
    table = lane_table(CARRIERS, _cards(2950), INDEX)
    for cod in (False, True):
        first = _solver_lanes(table, "BLR1", BENGALURU, CHENNAI, cod)
        again = _solver_lanes(table, "BLR1", BENGALURU, CHENNAI, cod)
        assert again is first and list(first) == _quoted_lanes(table, "BLR1", BENGALURU, CHENNAI, cod)
    assert [lane.carrier for lane in _solver_lanes(table, "BLR1", BENGALURU, CHENNAI, True)] == ["XB"]


def test_the_origin_and_node_are_part_of_the_key():
    table = lane_table(CARRIERS, _cards(2950), INDEX)
    local = _solver_lanes(table, "BLR1", BENGALURU, BENGALURU, False)
    other_state = _solver_lanes(table, "BLR1", CHENNAI, BENGALURU, False)  # same node code, node moved
    assert {lane.zone for lane in local} == {"A"} and {lane.zone for lane in other_state} != {"A"}
    assert {lane.node for lane in _solver_lanes(table, "MYS1", BENGALURU, BENGALURU, False)} == {"MYS1"}


def test_changed_rate_cards_give_a_new_table_and_new_lanes():
    before = _solver_lanes(lane_table(CARRIERS, _cards(2950), INDEX), "BLR1", BENGALURU, BENGALURU, False)
    after = _solver_lanes(lane_table(CARRIERS, _cards(3100), INDEX), "BLR1", BENGALURU, BENGALURU, False)
    assert {lane.first_slab_paise for lane in before} == {2950}
    assert {lane.first_slab_paise for lane in after} == {3100}

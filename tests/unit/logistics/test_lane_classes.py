"""Lanes per destination class (issue 24): a PIN seen for the first time takes the lanes of a PIN of its
class already seen (`LaneTable.destination_class`). Those must be exactly the lanes it would get on its own."""

from omnialloc.geo import locate
from omnialloc.geo.pins import is_known
from omnialloc.logistics import LaneTable, ServiceabilityIndex
from omnialloc.logistics.promise_files import load_transit_table
from omnialloc.logistics.transit.model import TransitModel
from omnialloc.network_files import load_cities, load_network


def _destinations():
    """The demo cities' PINs and their numeric neighbours (same prefix, often the same district), and the
    PINs the demo transit table names in PIN-pair rows."""
    pins = set()
    for city in load_cities():
        base = int(city.pin)
        pins.update(str(p) for p in range(base, base + 4) if is_known(str(p)))
    return [locate(p) for p in sorted(pins)]


def test_lanes_shared_by_destination_class_equal_each_pins_own():
    net = load_network()
    transit = TransitModel(net.carriers, load_transit_table(None, net.carriers))
    index = ServiceabilityIndex(net.serviceability)
    shared = LaneTable(net.carriers, net.rate_cards, index, transit, express_freight_pct=160)
    dests = _destinations()
    pin_rows = {pin for row in transit.table.rows if row.level.value == "pin" for pin in (row.origin, row.destination)}
    dests += [locate(p) for p in sorted(pin_rows)]
    origins = [locate(n.pin) for n in net.nodes]
    classes, asked = set(), 0
    for dest in dests:
        fresh = LaneTable(net.carriers, net.rate_cards, index, transit, express_freight_pct=160)  # this PIN only
        for origin in origins:
            classes.add((origin, shared.destination_class(origin, dest)))
            asked += 1
            for cod in (False, True):
                for express in (False, True):
                    own = fresh.lanes(origin, dest, cod=cod, express=express)
                    assert shared.lanes(origin, dest, cod=cod, express=express) == own, \
                        (origin.pin, dest.pin, cod, express)
                    klass = shared.destination_class(origin, dest)
                    assert list(shared.lanes_in_class(origin, dest, klass, cod=cod, express=express)) == own
            assert shared.lanes(origin, dest, cod=False, reverse=True) == \
                fresh.lanes(origin, dest, cod=False, reverse=True), (origin.pin, dest.pin)
    assert len(classes) < asked * 0.8  # the classes are shared, or this test checks nothing
    for pin in pin_rows:  # a PIN the table names is its own class
        assert shared.destination_class(origins[0], locate(pin))[0] == "pin"


def test_without_a_transit_model_classes_still_give_each_pins_own_lanes():
    net = load_network()
    index = ServiceabilityIndex(net.serviceability)
    shared = LaneTable(net.carriers, net.rate_cards, index)
    origins = [locate(n.pin) for n in net.nodes[:5]]
    for dest in _destinations()[:120]:
        fresh = LaneTable(net.carriers, net.rate_cards, index)
        for origin in origins:
            assert shared.lanes(origin, dest, cod=True) == fresh.lanes(origin, dest, cod=True)

"""Template variables built from domain objects."""

from omnialloc.domain import Address, Order, OrderLine, PaymentMode, Shipment, ShipmentLine
from omnialloc.notify.context import build, finish, tracking_url


def _order(**kw):
    return Order(id="ord_1", channel="web", external_id="A-1", lines=[OrderLine(1, "SKU-1", 2, 50_000),
                                                                      OrderLine(2, "SKU-2", 1, 10_000)],
                 ship_to=Address(name="Asha Rao", line1="1", city="Chennai", state="TN", pin="600002"), **kw)


def test_order_facts():
    ctx = build(order=_order(payment_mode=PaymentMode.COD), sku_names={"SKU-1": "Kurta"})
    assert ctx["customer"] == {"name": "Asha Rao", "first_name": "Asha"}
    assert ctx["order"]["total_paise"] == 110_000 and ctx["order"]["units"] == 3
    assert ctx["order"]["payment_mode_label"] == "cash on delivery"
    assert ctx["items"][0] == {"sku": "SKU-1", "name": "Kurta", "qty": 2}


def test_a_fully_cancelled_order_still_shows_what_was_ordered():
    order = _order()
    for line in order.lines:
        line.cancelled_qty = line.qty
    assert build(order=order)["order"]["total_paise"] == 110_000


def test_shipment_messages_list_the_shipment_lines_and_take_the_awb_from_the_event():
    shipment = Shipment(id="shp_1", order_id="ord_1", node="N", carrier="XB", lines=[ShipmentLine(2, "SKU-2", 1)])
    ctx = build(order=_order(), shipment=shipment, awb="XB 1/2", carrier_names={"XB": "Xpressbees"})
    assert ctx["items"] == [{"sku": "SKU-2", "name": None, "qty": 1}]
    assert ctx["shipment"]["awb"] == "XB 1/2" and ctx["shipment"]["carrier_name"] == "Xpressbees"


def test_return_messages_list_the_returned_lines_and_say_where_the_refund_goes():
    rma = {"id": "rma_1", "lines": [{"sku": "SKU-1", "qty": 1}], "refund_method": "upi", "refund_paise": 50_000}
    ctx = build(order=_order(), rma=rma)
    assert ctx["items"] == [{"sku": "SKU-1", "name": None, "qty": 1}]
    assert ctx["rma"]["refund_method"] == "your UPI account"


def test_finish_adds_brand_and_an_escaped_tracking_link():
    shipment = Shipment(id="shp_1", order_id="ord_1", node="N", carrier="XB", lines=[])
    facts = build(order=_order(), shipment=shipment, awb="XB 1/2")
    ctx = finish(facts, brand="Kirana", tracking_base_url="https://t.example/track/")
    assert ctx["brand"] == "Kirana"
    assert ctx["shipment"]["tracking_url"] == "https://t.example/track/XB%201%2F2"
    assert tracking_url("https://t.example", None) is None

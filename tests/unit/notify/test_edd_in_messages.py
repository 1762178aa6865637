"""The estimated delivery date in messages (issue 24): the shipped e-mail names the day, in words."""

from __future__ import annotations

from datetime import date

from omnialloc.domain import Address, Order, OrderLine, Shipment, ShipmentLine
from omnialloc.notify.catalog import Channel, Kind
from omnialloc.notify.context import build, date_label
from omnialloc.notify.templates import Templates


def _context(delivery_date):
    order = Order(id="ord_1", channel="web", external_id="web-9", lines=[OrderLine(1, "SKU-0001", 1, 99_900)],
                  ship_to=Address(name="Asha Raman", line1="1", city="Palakkad", state="Kerala", pin="678001"))
    shipment = Shipment(id="shp_1", order_id="ord_1", node="COK-FC1", carrier="ECO",
                        lines=[ShipmentLine(1, "SKU-0001", 1)], awb="AWB1", sla_days=2, delivery_date=delivery_date)
    return build(order=order, shipment=shipment, brand="shop", tracking_base_url="https://shop.example/track")


def test_the_shipped_email_names_the_delivery_day():
    ctx = _context(date(2026, 12, 11))
    assert ctx["shipment"]["delivery_date"] == "2026-12-11"
    rendered = Templates().render(Kind.ORDER_SHIPPED, Channel.EMAIL, ctx)
    assert "Expected delivery: Friday 11 December." in rendered.text
    assert "expected delivery Friday 11 December" in rendered.html
    assert "https://shop.example/track/AWB1" in rendered.text


def test_without_an_edd_the_days_are_shown_as_before():
    rendered = Templates().render(Kind.ORDER_SHIPPED, Channel.EMAIL, _context(None))
    assert "within 2 day(s)" in rendered.text


def test_labels_are_the_weekday_the_day_and_the_month():
    assert date_label(date(2026, 8, 15)) == "Saturday 15 August"
    assert date_label("2027-01-04") == "Monday 4 January"
    assert date_label(None) is None


def test_the_tracking_page_links_to_the_carriers_own_page_when_configured():
    from omnialloc.services.fulfilment.tracking import carrier_link

    setting = "XPR=https://track.xpr.example/{awb} ECO=ftp://nope/{awb}"
    assert carrier_link(setting, "XPR", "AB 12/3") == "https://track.xpr.example/AB%2012%2F3"
    assert carrier_link(setting, "ECO", "X1") is None     # not http(s)
    assert carrier_link(setting, "HLX", "X1") is None     # not named
    assert carrier_link("", "XPR", "X1") is None

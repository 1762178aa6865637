"""Views check themselves: a bad one is refused with every field at fault named, so nothing half-printed."""

from __future__ import annotations

from datetime import datetime

import pytest

from omnialloc.documents import place_of_supply
from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.errors import UnknownPin, ValidationFailed
from tests.unit.documents.support import customer, entry, invoice, item, label, manifest, packing_slip


def fields(excinfo) -> set[str]:
    return {e.field for e in excinfo.value.field_errors}


def test_label_names_every_bad_field_at_once():
    with pytest.raises(ValidationFailed) as caught:
        label(awb="DLV 123", carrier="", weight_g=0, ship_to=customer(pin="012345", phone="call me"),
              items=(item(1, qty=0),), timezone="Mars/Olympus", issued_at=datetime(2025, 6, 1))
    assert fields(caught) == {"awb", "carrier", "weight_g", "ship_to.pin", "ship_to.phone", "items.0.qty",
                              "timezone", "issued_at"}
    assert "cannot print the shipping label" in caught.value.detail


def test_cod_needs_an_amount_and_prepaid_collects_nothing():
    with pytest.raises(ValidationFailed) as caught:
        label(payment=PaymentMode.COD, cod_paise=0)
    assert fields(caught) == {"cod_paise"}
    with pytest.raises(ValidationFailed) as caught:
        label(payment=PaymentMode.PREPAID, cod_paise=100)
    assert fields(caught) == {"cod_paise"}
    with pytest.raises(ValidationFailed):
        label(payment="COD", cod_paise=100)


@pytest.mark.parametrize("bad", [1.5, True, -1, "100"])
def test_money_and_weights_are_whole_numbers(bad):
    with pytest.raises(ValidationFailed) as caught:
        label(weight_g=bad)
    assert fields(caught) == {"weight_g"}


def test_invoice_needs_hsn_a_valid_seller_gstin_and_a_known_place_of_supply():
    with pytest.raises(ValidationFailed) as caught:
        invoice(items=(item(1, hsn=""),), seller_gstin="29AAPFU0939F1ZV", place_of_supply="Karnataka")
    assert fields(caught) == {"items.0.hsn", "seller_gstin", "place_of_supply"}


def test_invoice_number_follows_rule_46():
    with pytest.raises(ValidationFailed) as caught:
        invoice(invoice_number="BLR1/2025-2026/000042")
    assert fields(caught) == {"invoice_number"}


def test_discount_cannot_exceed_the_line():
    with pytest.raises(ValidationFailed) as caught:
        invoice(items=(item(1, qty=2, unit_price_paise=100, discount_paise=201),))
    assert fields(caught) == {"items.0.discount_paise"}


def test_gstins_are_kept_in_capitals():
    view = invoice(seller_gstin="29aapfu0939f1zr", buyer_gstin=" 27aapfu0939f1zv")
    assert (view.seller_gstin, view.buyer_gstin) == ("29AAPFU0939F1ZR", "27AAPFU0939F1ZV")
    assert view.supplier_state == "KA"


def test_manifest_refuses_the_same_awb_twice_and_an_empty_handover():
    with pytest.raises(ValidationFailed) as caught:
        manifest(entries=(entry(1), entry(2), entry(1)))
    assert fields(caught) == {"entries.2.awb"}
    with pytest.raises(ValidationFailed) as caught:
        manifest(entries=())
    assert fields(caught) == {"entries"}
    with pytest.raises(ValidationFailed) as caught:
        manifest(entries=(entry(1, payment=PaymentMode.COD, cod_paise=0),))
    assert fields(caught) == {"entries.0.cod_paise"}


def test_packing_slip_needs_items_and_bounds_its_note():
    with pytest.raises(ValidationFailed) as caught:
        packing_slip(items=(), note="x" * 501)
    assert fields(caught) == {"items", "note"}


def test_views_are_values():
    assert label() == label()
    with pytest.raises(AttributeError):
        label().awb = "X"  # type: ignore[misc]


@pytest.mark.parametrize("pin, state", [("560087", "KA"), ("400001", "MH"), ("110001", "DL"), ("160017", "CH"),
                                        ("600001", "TN"), ("500001", "TS")])
def test_place_of_supply_is_the_ship_to_pins_state(pin, state):
    assert place_of_supply(pin) == state


def test_place_of_supply_of_an_unknown_pin_is_a_clear_error():
    with pytest.raises(UnknownPin):
        place_of_supply("999999")

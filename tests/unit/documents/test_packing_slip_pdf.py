"""Packing slips read back: every item with its quantity and a scannable barcode, and no prices."""

from __future__ import annotations

from datetime import datetime, timezone

from omnialloc.documents import render_packing_slip
from tests.unit.documents.support import barcodes, item, packing_slip, page_texts, pdf_text


def test_slip_lists_items_and_quantities_and_says_nothing_about_money():
    view = packing_slip(items=(item(1, qty=2, unit_price_paise=123_456), item(2, qty=5)), box="B2 (30 x 20 x 10 cm)",
                        note="Happy birthday, Ravi!")
    text = pdf_text(render_packing_slip(view))
    for expected in ["PACKING SLIP", "Order No. WEB-100234", "Ship from Bengaluru FC (BLR1)", "AWB DLV1234567890",
                     "Box B2 (30 x 20 x 10 cm)", "Weight 0.850 kg", "Cotton kurta 1", "KUR-001", "Cotton kurta 2",
                     "Total units 7", "Happy birthday, Ravi!", "Picked by", "Packed by", "Checked by", "Ananya Rao"]:
        assert expected in text, expected
    assert "1,234.56" not in text and "₹" not in text and "Rs" not in text


def test_slip_barcodes_decode_to_the_order_and_each_items_barcode():
    view = packing_slip(items=(item(1, barcode="8901234500017"), item(2, barcode=""), item(3, barcode="ABC-77")))
    found = barcodes(render_packing_slip(view), dpi=300)
    # An item without its own barcode gets its SKU's.
    assert found == ["WEB-100234", "8901234500017", "KUR-002", "ABC-77"]


def test_slip_dates_are_on_the_nodes_clock():
    view = packing_slip(order_date=datetime(2025, 5, 31, 20, 0, tzinfo=timezone.utc), timezone="Asia/Kolkata")
    assert "Order date 01 Jun 2025, 01:30 IST" in pdf_text(render_packing_slip(view))


def test_long_slip_continues_over_pages():
    pages = page_texts(render_packing_slip(packing_slip(items=tuple(item(n) for n in range(1, 41)))))
    assert len(pages) >= 2
    assert all(f"Page {i} of {len(pages)}" in page for i, page in enumerate(pages, start=1))
    assert "Total units 40" in " ".join(pages)

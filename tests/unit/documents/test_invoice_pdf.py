"""Tax invoices read back: the arithmetic printed for intra- and inter-state supplies, worked out by hand.

Three lines sold by a Karnataka node, prices inclusive of GST:
  kurta  Rs 1,299 at 5 %:   IGST 1299 x 5/105  = 61.857 -> 61.86;  CGST = SGST = 30.929 -> 30.93
  shoes  Rs 2,499 at 18 %:  IGST 2499 x 18/118 = 381.203 -> 381.20; CGST = SGST = 190.602 -> 190.60
  freight Rs 49 at 18 %:    IGST 49 x 18/118   = 7.475 -> 7.47;     CGST = SGST = 3.737 -> 3.74
The taxable value is the rest of each price, so the freight line is 41.53 inter-state, 41.52 intra-state.
"""

from __future__ import annotations

from datetime import datetime, timezone

from omnialloc.documents import render_invoice
from tests.unit.documents.support import customer, invoice, item, node_address, page_texts, pdf_text

GSTIN_CHANDIGARH = "04AAPFU0939F1Z3"  # check digit by the reference in test_gst.py

LINES = (item(1, name="Cotton kurta", unit_price_paise=129_900, hsn="6109", gst_rate_bp=500),
         item(2, sku="SHO-001", name="Running shoes", unit_price_paise=249_900, hsn="6404", gst_rate_bp=1800),
         item(3, sku="SHIP", name="Shipping charges", unit_price_paise=4_900, hsn="996812", gst_rate_bp=1800,
              barcode=""))


def test_intra_state_invoice_charges_cgst_and_sgst_line_by_line():
    view = invoice(items=LINES, place_of_supply="KA", ship_to=customer(pin="560087"))
    text = pdf_text(render_invoice(view))
    assert "Place of supply Karnataka (29)" in text and "State: Karnataka (29)" in text
    for line in ["1,237.14 30.93 @ 2.5% 30.93 @ 2.5% 1,299.00", "2,117.80 190.60 @ 9% 190.60 @ 9% 2,499.00",
                 "41.52 3.74 @ 9% 3.74 @ 9% 49.00"]:
        assert line in text, line
    assert "Total 3 0.00 3,396.46 225.27 225.27 3,847.00" in text
    assert "CGST ₹225.27 SGST ₹225.27 Invoice total ₹3,847.00" in text
    assert "Amount in words: Rupees Three Thousand Eight Hundred Forty Seven Only" in text
    assert "IGST" not in text
    tax = view.tax
    assert (tax.taxable_paise, tax.cgst_paise, tax.state_tax_paise, tax.igst_paise) == (339_646, 22_527, 22_527, 0)


def test_inter_state_invoice_charges_igst_only():
    view = invoice(items=LINES, place_of_supply="MH", ship_to=customer(city="Mumbai", state="Maharashtra",
                                                                         pin="400001"))
    text = pdf_text(render_invoice(view))
    assert "Place of supply Maharashtra (27)" in text
    for line in ["1,237.14 61.86 @ 5% 1,299.00", "2,117.80 381.20 @ 18% 2,499.00", "41.53 7.47 @ 18% 49.00"]:
        assert line in text, line
    assert "Total 3 0.00 3,396.47 450.53 3,847.00" in text
    assert "IGST ₹450.53 Invoice total ₹3,847.00" in text
    assert "CGST" not in text and "SGST" not in text
    assert "Tax in words: Rupees Four Hundred Fifty and Fifty Three Paise Only" in text


def test_hsn_summary_groups_lines_by_code_and_rate():
    view = invoice(items=LINES + (item(4, unit_price_paise=129_900, hsn="6109", gst_rate_bp=500),),
                   place_of_supply="MH")
    text = pdf_text(render_invoice(view))
    assert "6109 5% 2,474.28 123.72 123.72" in text  # two kurtas: 1,237.14 + 1,237.14 taxable, 61.86 x 2 IGST


def test_union_territory_without_legislature_prints_utgst():
    chandigarh = node_address(city="Chandigarh", state="Chandigarh", pin="160017")
    view = invoice(seller_gstin=GSTIN_CHANDIGARH, seller_address=chandigarh, place_of_supply="CH", items=LINES[:1],
                   ship_to=customer(city="Chandigarh", state="Chandigarh", pin="160017"))
    text = pdf_text(render_invoice(view))
    assert "UTGST" in text and "SGST" not in text.replace("UTGST", "")
    assert "Place of supply Chandigarh (04)" in text


def test_prices_exclusive_of_tax_add_the_tax_on_top():
    view = invoice(items=(item(1, unit_price_paise=100_000, gst_rate_bp=1800, qty=2, discount_paise=10_000),),
                   prices_include_tax=False, place_of_supply="TN")
    text = pdf_text(render_invoice(view))
    assert "Unit price" in text and "Price incl. GST" not in text
    # 2 x 1,000.00 - 100.00 = 1,900.00 taxable; IGST 18 % = 342.00; total 2,242.00
    assert "6109 2 1,000.00 100.00 1,900.00 342.00 @ 18% 2,242.00" in text
    assert "Prices exclude GST" in text


def test_registered_buyer_gstin_is_printed_and_invoice_date_is_the_nodes_day():
    view = invoice(buyer_gstin="27aapfu0939f1zv", issued_at=datetime(2025, 3, 31, 19, 0, tzinfo=timezone.utc),
                   order_date=datetime(2025, 3, 30, 4, 0, tzinfo=timezone.utc))
    text = pdf_text(render_invoice(view))
    assert "GSTIN: 27AAPFU0939F1ZV" in text
    assert "Invoice date 01 Apr 2025" in text and "Order date 30 Mar 2025" in text
    assert "Invoice No. BLR1/2526/00042" in text


def test_long_invoice_continues_over_pages_with_numbered_pages_and_every_line_once():
    items = tuple(item(n, name=f"Hand block printed cotton kurta, indigo, size {n}") for n in range(1, 81))
    pages = page_texts(render_invoice(invoice(items=items)))
    assert len(pages) >= 3
    assert all(f"Page {i} of {len(pages)}" in page for i, page in enumerate(pages, start=1))
    assert all("TAX INVOICE BLR1/2526/00042 (continued)" in page for page in pages[1:])
    joined = " ".join(pages)
    assert all(joined.count(f"SKU KUR-{n:03d}") == 1 for n in range(1, 81))
    assert "Invoice total ₹1,03,920.00" in pages[-1] or "Invoice total ₹1,03,920.00" in pages[-2]
    assert "Authorised Signatory" in pages[-1]


def test_same_invoice_renders_to_the_same_bytes():
    assert render_invoice(invoice(items=LINES)) == render_invoice(invoice(items=LINES))

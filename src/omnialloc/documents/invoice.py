"""The GST tax invoice for one shipment, as CGST Rules rule 46 asks for it.

A credit note (``CreditNoteView``) is laid out the same way, titled CREDIT NOTE, with the invoice it reduces.

On it: the supplier's name, address and GSTIN (the shipping node's registration), a consecutive
invoice number of at most 16 characters and the date, the recipient's name and addresses (and GSTIN
when registered), the place of supply with its state name and code, per line the description, HSN,
quantity, taxable value after discount, the rate and amount of CGST and SGST/UTGST or of IGST, the
totals in figures and in words, whether tax is payable on reverse charge, and the signatory.
The arithmetic is ``domain.gst``; the view computes it, this module only lays it out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from omnialloc.documents.drawing import local_date, local_time
from omnialloc.documents.flow import (
    BODY, CONTENT_WIDTH, MARGIN, RIGHT_X, SMALL, address_block, facts, flow_pages, grid_table, rule_below, title_bar,
)
from omnialloc.documents.pdf import FONT, FONT_BOLD, PdfFile
from omnialloc.documents.place_of_supply import state_label
from omnialloc.documents.views import CreditNoteView, InvoiceView
from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.gst import TaxSplit
from omnialloc.domain.money_words import format_rupees, rupees_in_words


def money(paise: int) -> str:
    """A table cell amount: Indian grouping, no symbol (the column header says ₹)."""
    return format_rupees(paise, symbol="")


def rate_text(rate_bp: int, parts: int = 1) -> str:
    """A rate (or its half, ``parts=2``) as a percentage without trailing zeros: 1800 -> "18%", 25/2 -> "0.125%"."""
    text = f"{Decimal(rate_bp) / (100 * parts):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def _title(view: InvoiceView) -> str:
    return "CREDIT NOTE" if isinstance(view, CreditNoteView) else "TAX INVOICE"


def _first_page_header(c: Canvas, view: InvoiceView) -> float:
    y = title_bar(c, _title(view), right_text=view.copy_label.upper())
    seller_end = address_block(c, "Sold by", view.seller_address, MARGIN, y - 4, name=view.seller_name,
                               extra=(f"GSTIN: {view.seller_gstin}", f"State: {state_label(view.supplier_state)}"))
    if isinstance(view, CreditNoteView):
        pairs = [("Credit note No.", view.invoice_number), ("Date", local_date(view.issued_at, view.timezone)),
                 ("Invoice No.", view.against_invoice),
                 ("Invoice date", local_date(view.against_invoice_date, view.timezone)),
                 ("Order No.", view.order_ref)]
    else:
        pairs = [("Invoice No.", view.invoice_number), ("Invoice date", local_date(view.issued_at, view.timezone)),
                 ("Order No.", view.order_ref)]
    if view.order_date:
        pairs.append(("Order date", local_date(view.order_date, view.timezone)))
    if view.shipment_ref:
        pairs.append(("Shipment", view.shipment_ref))
    if view.awb:
        pairs.append(("AWB", f"{view.awb} ({view.carrier})" if view.carrier else view.awb))
    pairs += [("Place of supply", state_label(view.place_of_supply)), ("Reverse charge", "No"),
              ("Payment", "Cash on delivery" if view.payment is PaymentMode.COD else "Prepaid")]
    y = rule_below(c, seller_end, facts(c, pairs, RIGHT_X, y - 4)) + 8
    buyer = (f"GSTIN: {view.buyer_gstin}",) if view.buyer_gstin else ()
    return rule_below(c, address_block(c, "Bill to", view.bill_to, MARGIN, y - 4, extra=buyer),
                      address_block(c, "Ship to", view.ship_to, RIGHT_X, y - 4))


def _items_table(view: InvoiceView, tax: TaxSplit) -> Table:
    intra = tax.intra_state
    price_head = "Price incl. GST" if view.prices_include_tax else "Unit price"
    head = ["#", "Item", "HSN", "Qty", f"{price_head} (₹)", "Discount (₹)", "Taxable value (₹)"]
    head += ["CGST", tax.state_tax_name] if intra else ["IGST"]
    head.append("Total (₹)")
    rows: list[list[Any]] = [[Paragraph(f"<b>{escape(h)}</b>", SMALL) for h in head]]
    for n, (item, line) in enumerate(zip(view.items, tax.lines), start=1):
        name = Paragraph(f"{escape(item.name)}<br/><font size=6.5>SKU {escape(item.sku)}</font>", SMALL)
        row = [str(n), name, item.hsn, str(item.qty), money(item.unit_price_paise),
               money(item.discount_paise) if item.discount_paise else "-", money(line.taxable_paise)]
        if intra:
            row += [f"{money(line.cgst_paise)}\n@ {rate_text(line.rate_bp, 2)}",
                    f"{money(line.state_tax_paise)}\n@ {rate_text(line.rate_bp, 2)}"]
        else:
            row.append(f"{money(line.igst_paise)}\n@ {rate_text(line.rate_bp)}")
        row.append(money(line.total_paise))
        rows.append(row)
    total = ["", "Total", "", str(sum(i.qty for i in view.items)), "",
             money(sum(i.discount_paise for i in view.items)), money(tax.taxable_paise)]
    total += [money(tax.cgst_paise), money(tax.state_tax_paise)] if intra else [money(tax.igst_paise)]
    total.append(money(tax.total_paise))
    rows.append(total)
    widths: list[float]
    if intra:
        widths = [16, 145, 44, 26, 58, 46, 56, 50, 50, 48]
    else:
        widths = [16, 171, 44, 26, 58, 46, 60, 66, 52]
    widths[1] += CONTENT_WIDTH - sum(widths)
    return grid_table(rows, widths, align_right_from=3, total_row=True)


def _hsn_table(tax: TaxSplit) -> Table:
    intra = tax.intra_state
    head = ["HSN/SAC", "Rate", "Taxable value (₹)"]
    head += ["CGST (₹)", f"{tax.state_tax_name} (₹)"] if intra else ["IGST (₹)"]
    head.append("Total tax (₹)")
    rows: list[list[Any]] = [head]
    for group in tax.by_hsn():
        row = [group.hsn, rate_text(group.rate_bp), money(group.taxable_paise)]
        row += [money(group.cgst_paise), money(group.state_tax_paise)] if intra else [money(group.igst_paise)]
        row.append(money(group.tax_paise))
        rows.append(row)
    widths = [60, 40, 80] + ([70, 70] if intra else [80]) + [80]
    return grid_table(rows, widths, align_right_from=1, font_size=7)


def _totals(view: InvoiceView, tax: TaxSplit) -> Table:
    sums = [["Taxable value", format_rupees(tax.taxable_paise)]]
    if tax.intra_state:
        sums += [["CGST", format_rupees(tax.cgst_paise)], [tax.state_tax_name, format_rupees(tax.state_tax_paise)]]
    else:
        sums.append(["IGST", format_rupees(tax.igst_paise)])
    sums.append(["Invoice total", format_rupees(tax.total_paise)])
    right = Table(sums, colWidths=[90, 90])
    right.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8.5), ("FONT", (0, -1), (-1, -1), FONT_BOLD, 10),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"), ("LINEABOVE", (0, -1), (-1, -1), 0.8, "black"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    words = Paragraph(f"<b>Amount in words:</b> {escape(rupees_in_words(tax.total_paise))}", BODY)
    tax_words = Paragraph(f"<b>Tax in words:</b> {escape(rupees_in_words(tax.tax_paise))}", SMALL)
    outer = Table([[[words, Spacer(0, 3), tax_words], right]], colWidths=[CONTENT_WIDTH - 190, 190])
    outer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return outer


def _notes(view: InvoiceView) -> list[Any]:
    if view.prices_include_tax:
        basis = ("Prices include GST. Per line, the tax is worked out from the price and rounded to the paisa "
                 "(half up), and the taxable value is the rest of the price.")
    else:
        basis = "Prices exclude GST. Per line, the tax on the taxable value is rounded to the paisa (half up)."
    declaration = ("We declare that this invoice shows the actual price of the goods described and that all "
                   "particulars are true and correct. Tax is not payable on reverse charge.")
    if isinstance(view, CreditNoteView):
        declaration = (f"Credit note under section 34 of the CGST Act against tax invoice {view.against_invoice}: "
                       f"{view.reason}. The taxable value and tax above reduce those of that invoice.")
    sign = Table([[f"For {view.seller_name}"], [""], ["Authorised Signatory"]], colWidths=[200],
                 rowHeights=[14, 30, 12], hAlign="RIGHT")
    sign.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8), ("FONT", (0, 0), (0, 0), FONT_BOLD, 8),
                              ("ALIGN", (0, 0), (-1, -1), "RIGHT")]))
    return [Paragraph(escape(basis), SMALL), Spacer(0, 2), Paragraph(escape(declaration), SMALL),
            Spacer(0, 8), sign]


def add_invoice(pdf: PdfFile, view: InvoiceView) -> int:
    """Append the invoice's pages to ``pdf``; returns how many it took."""
    tax = view.tax
    story = [_items_table(view, tax), Spacer(0, 8), KeepTogether([_totals(view, tax)]), Spacer(0, 8),
             KeepTogether([Paragraph("<b>Tax by HSN and rate</b>", BODY), Spacer(0, 3), _hsn_table(tax)]),
             Spacer(0, 10), KeepTogether(_notes(view))]
    what = "Credit note" if isinstance(view, CreditNoteView) else "Invoice"
    return flow_pages(pdf, story, first_header=lambda c: _first_page_header(c, view),
                      continued=(f"{_title(view)} {view.invoice_number}", view.seller_name),
                      footer_text=f"{what} {view.invoice_number} · issued {local_time(view.issued_at, view.timezone)}")


def render_invoice(view: InvoiceView) -> bytes:
    return PdfFile.single(add_invoice, view, title=f"Tax invoice {view.invoice_number}", author=view.seller_name,
                          subject="GST tax invoice")


def render_credit_note(view: CreditNoteView) -> bytes:
    return PdfFile.single(add_invoice, view, title=f"Credit note {view.invoice_number}", author=view.seller_name,
                          subject=f"GST credit note against invoice {view.against_invoice}")

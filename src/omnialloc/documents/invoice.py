"""The GST tax invoice for one shipment, as CGST Rules rule 46 asks for it.

On it: the supplier's name, address and GSTIN (the shipping node's registration), a consecutive
invoice number of at most 16 characters and the date, the recipient's name and addresses (and GSTIN
when registered), the place of supply with its state name and code, per line the description, HSN,
quantity, taxable value after discount, the rate and amount of CGST and SGST/UTGST or of IGST, the
totals in figures and in words, whether tax is payable on reverse charge, and the signatory.
The arithmetic is ``domain.gst``; the view computes it, this module only lays it out.
"""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from omnialloc.documents.drawing import caption, draw_lines, fit, hrule, local_date, local_time, wrap
from omnialloc.documents.flow import BODY, CONTENT_WIDTH, MARGIN, SMALL, flow_pages, grid_table
from omnialloc.documents.pdf import A4_PORTRAIT, FONT, FONT_BOLD, PdfFile
from omnialloc.documents.place_of_supply import state_label
from omnialloc.documents.views import InvoiceView, PostalAddress
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


def _address_block(c: Canvas, title: str, who: PostalAddress, x: float, top: float, width: float,
                   extra: list[str], *, name: str | None = None) -> float:
    caption(c, title, x, top - 7)
    c.setFont(FONT_BOLD, 9)
    c.drawString(x, top - 18, fit(name or who.name, width, font=FONT_BOLD, size=9))
    lines = wrap(", ".join(who.street), width, max_lines=2, size=8) + [fit(who.city_line, width, size=8)]
    if who.phone:
        lines.append(f"Phone: {who.phone}")
    return draw_lines(c, lines + [fit(t, width, size=8) for t in extra], x, top - 21, size=8, leading=9.6)


def _first_page_header(c: Canvas, view: InvoiceView) -> float:
    width, height = A4_PORTRAIT
    top = height - MARGIN
    half = CONTENT_WIDTH / 2 - 6
    right_x = MARGIN + CONTENT_WIDTH / 2 + 6
    c.setFont(FONT_BOLD, 16)
    c.drawString(MARGIN, top - 16, "TAX INVOICE")
    c.setFont(FONT, 8)
    c.drawRightString(width - MARGIN, top - 12, view.copy_label.upper())
    y = top - 24
    hrule(c, MARGIN, width - MARGIN, y)

    seller_end = _address_block(c, "Sold by", view.seller_address, MARGIN, y - 4, half,
                                [f"GSTIN: {view.seller_gstin}", f"State: {state_label(view.supplier_state)}"],
                                name=view.seller_name)
    facts = [("Invoice No.", view.invoice_number), ("Invoice date", local_date(view.issued_at, view.timezone)),
             ("Order No.", view.order_ref)]
    if view.order_date:
        facts.append(("Order date", local_date(view.order_date, view.timezone)))
    if view.shipment_ref:
        facts.append(("Shipment", view.shipment_ref))
    if view.awb:
        facts.append(("AWB", f"{view.awb} ({view.carrier})" if view.carrier else view.awb))
    facts += [("Place of supply", state_label(view.place_of_supply)), ("Reverse charge", "No"),
              ("Payment", "Cash on delivery" if view.payment.value == "COD" else "Prepaid")]
    fy = y - 14
    for name, value in facts:
        c.setFont(FONT_BOLD, 8)
        c.drawString(right_x, fy, name)
        c.setFont(FONT, 8)
        c.drawString(right_x + 72, fy, fit(value, half - 72, size=8))
        fy -= 10
    y = min(seller_end, fy + 4) - 6
    hrule(c, MARGIN, width - MARGIN, y)

    buyer_extra = [f"GSTIN: {view.buyer_gstin}"] if view.buyer_gstin else []
    bill_end = _address_block(c, "Bill to", view.bill_to, MARGIN, y - 4, half, buyer_extra)
    ship_end = _address_block(c, "Ship to", view.ship_to, right_x, y - 4, half, [])
    y = min(bill_end, ship_end) - 6
    hrule(c, MARGIN, width - MARGIN, y)
    return y - 8


def _later_page_header(c: Canvas, view: InvoiceView) -> float:
    width, height = A4_PORTRAIT
    top = height - MARGIN
    c.setFont(FONT_BOLD, 11)
    c.drawString(MARGIN, top - 12, f"TAX INVOICE {view.invoice_number} (continued)")
    c.setFont(FONT, 8)
    c.drawRightString(width - MARGIN, top - 12, fit(view.seller_name, CONTENT_WIDTH / 2, size=8))
    hrule(c, MARGIN, width - MARGIN, top - 18)
    return top - 26


def _items_table(view: InvoiceView, tax: TaxSplit) -> Table:
    intra = tax.intra_state
    price_head = "Price incl. GST" if view.prices_include_tax else "Unit price"
    head = ["#", "Item", "HSN", "Qty", f"{price_head} (₹)", "Discount (₹)", "Taxable value (₹)"]
    head += ["CGST", tax.state_tax_name] if intra else ["IGST"]
    head.append("Total (₹)")
    rows: list[list] = [[Paragraph(f"<b>{escape(h)}</b>", SMALL) for h in head]]
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
    rows: list[list] = [head]
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


def _notes(view: InvoiceView) -> list:
    if view.prices_include_tax:
        basis = ("Prices include GST. Per line, the tax is worked out from the price and rounded to the paisa "
                 "(half up), and the taxable value is the rest of the price.")
    else:
        basis = "Prices exclude GST. Per line, the tax on the taxable value is rounded to the paisa (half up)."
    declaration = ("We declare that this invoice shows the actual price of the goods described and that all "
                   "particulars are true and correct. Tax is not payable on reverse charge.")
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

    def header(c: Canvas, page_index: int) -> float:
        return _first_page_header(c, view) if page_index == 0 else _later_page_header(c, view)

    footer = f"Invoice {view.invoice_number} · issued {local_time(view.issued_at, view.timezone)}"
    return flow_pages(pdf, story, header=header, footer_text=footer)


def render_invoice(view: InvoiceView) -> bytes:
    pdf = PdfFile(title=f"Tax invoice {view.invoice_number}", author=view.seller_name, subject="GST tax invoice",
                  issued_at=view.issued_at, tz=view.timezone)
    add_invoice(pdf, view)
    return pdf.finish()

"""The packing slip: what goes in the box, for the packer to check off and for the buyer to read.

No prices (the box may be a gift; the invoice carries the money). Each item's barcode is printed as
Code 128 so the packer can scan the slip when the product's own label is missing, and the order
reference is a barcode too, for the packing station's scan box.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from omnialloc.documents.drawing import (
    caption, code128_flowable, draw_code128, draw_lines, fit, hrule, kilograms, local_time, wrap,
)
from omnialloc.documents.flow import BODY, CONTENT_WIDTH, MARGIN, SMALL, flow_pages, grid_table
from omnialloc.documents.pdf import A4_PORTRAIT, FONT, FONT_BOLD, PdfFile
from omnialloc.documents.views import PackingSlipView

_BARCODE_COLUMN = 130.0


def _facts(view: PackingSlipView) -> list[tuple[str, str]]:
    tz = view.timezone
    facts = [("Order No.", view.order_ref)]
    if view.order_date:
        facts.append(("Order date", local_time(view.order_date, tz)))
    if view.shipment_ref:
        facts.append(("Shipment", view.shipment_ref))
    facts.append(("Ship from", f"{view.node_name} ({view.node_code})"))
    if view.carrier:
        facts.append(("Carrier", f"{view.carrier} {view.service}".strip()))
    if view.awb:
        facts.append(("AWB", view.awb))
    if view.box:
        facts.append(("Box", view.box))
    if view.weight_g:
        facts.append(("Weight", kilograms(view.weight_g)))
    if view.dispatch_by:
        facts.append(("Dispatch by", local_time(view.dispatch_by, tz)))
    facts.append(("Printed", local_time(view.issued_at, tz)))
    return facts


def _first_page_header(c: Canvas, view: PackingSlipView) -> float:
    width, height = A4_PORTRAIT
    top = height - MARGIN
    half = CONTENT_WIDTH / 2 - 6
    right_x = MARGIN + CONTENT_WIDTH / 2 + 6
    c.setFont(FONT_BOLD, 16)
    c.drawString(MARGIN, top - 16, "PACKING SLIP")
    draw_code128(c, view.order_ref, right_x, top - 30, height=28, max_width=half, dpi=None, max_module=1.2)
    c.setFont(FONT, 7.5)
    c.drawCentredString(right_x + half / 2, top - 39, f"Order {view.order_ref}")
    y = top - 46
    hrule(c, MARGIN, width - MARGIN, y)
    fy = y - 14
    for name, value in _facts(view):
        c.setFont(FONT_BOLD, 8)
        c.drawString(MARGIN, fy, name)
        c.setFont(FONT, 8)
        c.drawString(MARGIN + 62, fy, fit(value, half - 62, size=8))
        fy -= 10
    to = view.ship_to
    caption(c, "Ship to", right_x, y - 11)
    c.setFont(FONT_BOLD, 9)
    c.drawString(right_x, y - 22, fit(to.name, half, font=FONT_BOLD, size=9))
    lines = wrap(", ".join(to.street), half, max_lines=3, size=8) + [fit(to.city_line, half, size=8)]
    if to.phone:
        lines.append(f"Phone: {to.phone}")
    end = draw_lines(c, lines, right_x, y - 25, size=8, leading=9.6)
    y = min(end, fy + 4) - 6
    hrule(c, MARGIN, width - MARGIN, y)
    return y - 8


def _later_page_header(c: Canvas, view: PackingSlipView) -> float:
    width, height = A4_PORTRAIT
    top = height - MARGIN
    c.setFont(FONT_BOLD, 11)
    c.drawString(MARGIN, top - 12, f"PACKING SLIP · order {view.order_ref} (continued)")
    hrule(c, MARGIN, width - MARGIN, top - 18)
    return top - 26


def _items_table(view: PackingSlipView) -> Table:
    rows: list[list] = [["#", "Item", "SKU", "Barcode", "Qty", "Packed"]]
    for n, item in enumerate(view.items, start=1):
        code = item.barcode or item.sku
        scan = [code128_flowable(code, width=_BARCODE_COLUMN - 6, height=16), Paragraph(escape(code), SMALL)] \
            if _encodable(code) else Paragraph(escape(code), SMALL)
        rows.append([str(n), Paragraph(escape(item.name), BODY), Paragraph(escape(item.sku), SMALL), scan,
                     str(item.qty), "☐"])
    rows.append(["", "Total units", "", "", str(view.units), ""])
    widths = [18, 0, 80, _BARCODE_COLUMN, 30, 40]
    widths[1] = CONTENT_WIDTH - sum(widths)
    table = grid_table(rows, widths, align_right_from=4, total_row=True, font_size=8)
    table.setStyle(TableStyle([("ALIGN", (5, 0), (5, -1), "CENTER"), ("FONT", (5, 1), (5, -2), FONT, 13)]))
    return table


def _encodable(code: str) -> bool:
    """Code 128 takes printable ASCII; a SKU with other characters is printed as text only."""
    return code.isascii() and code.isprintable() and " " not in code


def _sign_off() -> Table:
    boxes = Table([["Picked by", "Packed by", "Checked by"], ["", "", ""]],
                  colWidths=[CONTENT_WIDTH / 3] * 3, rowHeights=[14, 34])
    boxes.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT_BOLD, 7.5), ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return boxes


def add_packing_slip(pdf: PdfFile, view: PackingSlipView) -> int:
    """Append the packing slip's pages to ``pdf``; returns how many it took."""
    story: list = [_items_table(view), Spacer(0, 10)]
    if view.note:
        story += [KeepTogether([Paragraph("<b>Note</b>", BODY), Paragraph(escape(view.note), BODY)]), Spacer(0, 10)]
    story.append(KeepTogether([_sign_off()]))

    def header(c: Canvas, page_index: int) -> float:
        return _first_page_header(c, view) if page_index == 0 else _later_page_header(c, view)

    footer = f"Packing slip · order {view.order_ref} · {view.units} units"
    return flow_pages(pdf, story, header=header, footer_text=footer)


def render_packing_slip(view: PackingSlipView) -> bytes:
    pdf = PdfFile(title=f"Packing slip {view.order_ref}", author=view.node_name, subject="Packing slip",
                  issued_at=view.issued_at, tz=view.timezone)
    add_packing_slip(pdf, view)
    return pdf.finish()

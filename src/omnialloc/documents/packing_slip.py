"""The packing slip: what goes in the box, for the packer to check off and for the buyer to read.

No prices (the box may be a gift; the invoice carries the money). Each item's barcode is printed as
Code 128 so the packer can scan the slip when the product's own label is missing, and the order
reference is a barcode too, for the packing station's scan box.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from omnialloc.documents.drawing import code128_flowable, kilograms, local_time
from omnialloc.documents.flow import (
    BODY, CONTENT_WIDTH, MARGIN, RIGHT_X, SMALL, address_block, facts, flow_pages, grid_table, rule_below, title_bar,
)
from omnialloc.documents.pdf import FONT, FONT_BOLD, PdfFile
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
    y = title_bar(c, "PACKING SLIP", barcode=view.order_ref, barcode_caption=f"Order {view.order_ref}")
    return rule_below(c, facts(c, _facts(view), MARGIN, y - 4, label_width=62),
                      address_block(c, "Ship to", view.ship_to, RIGHT_X, y - 4, street_lines=3))


def _items_table(view: PackingSlipView) -> Table:
    rows: list[list[Any]] = [["#", "Item", "SKU", "Barcode", "Qty", "Packed"]]
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
    story: list[Any] = [_items_table(view), Spacer(0, 10)]
    if view.note:
        story += [KeepTogether([Paragraph("<b>Note</b>", BODY), Paragraph(escape(view.note), BODY)]), Spacer(0, 10)]
    story.append(KeepTogether([_sign_off()]))
    return flow_pages(pdf, story, first_header=lambda c: _first_page_header(c, view),
                      continued=(f"PACKING SLIP · order {view.order_ref}", view.node_name),
                      footer_text=f"Packing slip · order {view.order_ref} · {view.units} units")


def render_packing_slip(view: PackingSlipView) -> bytes:
    return PdfFile.single(add_packing_slip, view, title=f"Packing slip {view.order_ref}", author=view.node_name,
                          subject="Packing slip")

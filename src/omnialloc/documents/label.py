"""Shipping labels: 4 x 6 in for thermal printers, or four to an A4 sheet for office printers.

A label is read from top to bottom by different people: the carrier's hub (carrier, service, the AWB
as a Code 128 barcode, the routing code), the delivery agent (ship-to, PIN, phone, and above all
whether to collect cash: "COD: collect Rs X" or "PREPAID"), and, when it comes back, the node
(return address, order reference, contents). Every field has a fixed box; long text is cut to fit.
On the 4 x 6 in label the barcode's modules are whole dots of a 203 dpi printer.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from reportlab.pdfgen.canvas import Canvas

from omnialloc.documents.drawing import (
    THERMAL_DPI, caption, draw_code128, draw_lines, fit, hrule, kilograms, local_time, wrap,
)
from omnialloc.documents.pdf import A4_PORTRAIT, FONT, FONT_BOLD, LABEL_4X6, PdfFile
from omnialloc.documents.views import LabelView
from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.money_words import format_rupees

WIDTH, HEIGHT = LABEL_4X6
MARGIN = 7.0
_A4_PAD = 6.0          # white space around each label on the A4 sheet, inside its quarter
_A4_MAX_MODULE = 1.42  # 0.5 mm: an A4 label's barcode is vector, so any module width prints


class LabelLayout(StrEnum):
    THERMAL_4X6 = "4x6"   # one label per 4 x 6 in page
    A4_4UP = "a4"         # four labels per A4 page, with cut lines


def cod_text(view: LabelView) -> str:
    """The line the delivery agent acts on."""
    if view.payment is PaymentMode.COD:
        return f"COD: collect {format_rupees(view.cod_paise, symbol='Rs ')}"
    return "PREPAID: do not collect cash"


def draw_label(c: Canvas, view: LabelView, *, dpi: int | None = THERMAL_DPI, max_module: float | None = None) -> None:
    """Draw one label in a 4 x 6 in box whose lower left corner is the current origin."""
    left, right, inner = MARGIN, WIDTH - MARGIN, WIDTH - 2 * MARGIN
    c.setLineWidth(1.2)
    c.rect(MARGIN / 2, MARGIN / 2, WIDTH - MARGIN, HEIGHT - MARGIN)
    top = HEIGHT - MARGIN

    # Carrier and service; payment mode in a black box.
    box_w, box_h = 96.0, 30.0
    c.setFont(FONT_BOLD, 15)
    c.drawString(left + 2, top - 17, fit(view.carrier, inner - box_w - 8, font=FONT_BOLD, size=15))
    c.setFont(FONT, 9)
    c.drawString(left + 2, top - 30, fit(view.service, inner - box_w - 8, size=9))
    c.rect(right - box_w, top - box_h - 3, box_w, box_h, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    c.setFont(FONT_BOLD, 15)
    c.drawCentredString(right - box_w / 2, top - 24, view.payment.value)
    c.setFillColorRGB(0, 0, 0)
    y = top - 38
    hrule(c, 0, WIDTH, y)

    # AWB barcode and its text; the routing code big on the right when the carrier gives one.
    draw_code128(c, view.awb, left, y - 62, height=54, max_width=inner, dpi=dpi, max_module=max_module)
    c.setFont(FONT_BOLD, 11)
    if view.routing_code:
        c.drawString(left + 2, y - 76, f"AWB {view.awb}")
        c.setFont(FONT_BOLD, 14)
        c.drawRightString(right - 2, y - 77, view.routing_code)
    else:
        c.drawCentredString(WIDTH / 2, y - 76, f"AWB {view.awb}")
    y -= 82
    hrule(c, 0, WIDTH, y)

    # Ship-to.
    to = view.ship_to
    caption(c, "Deliver to", left + 2, y - 9)
    c.setFont(FONT_BOLD, 11)
    c.drawString(left + 2, y - 22, fit(to.name, inner - 4, font=FONT_BOLD, size=11))
    street = wrap(", ".join(to.street), inner - 4, max_lines=3, size=9)
    below = draw_lines(c, street + [fit(f"{to.city}, {to.state}", inner - 4, size=9)], left + 2, y - 26, size=9)
    c.setFont(FONT_BOLD, 16)
    c.drawString(left + 2, below - 18, f"PIN {to.pin}")
    if to.phone:
        c.setFont(FONT, 9)
        c.drawRightString(right - 2, below - 17, f"Phone: {to.phone}")
    y -= 112
    hrule(c, 0, WIDTH, y)

    # What to collect.
    c.setFont(FONT_BOLD, 13)
    c.drawCentredString(WIDTH / 2, y - 17, fit(cod_text(view), inner, font=FONT_BOLD, size=13))
    y -= 24
    hrule(c, 0, WIDTH, y)

    # References, weight, dates: four lines a column, the right one wider for the dates.
    split = inner * 0.45
    facts_left = [f"Order: {view.order_ref}"]
    if view.shipment_ref:
        facts_left.append(f"Shipment: {view.shipment_ref}")
    if view.invoice_number:
        facts_left.append(f"Invoice: {view.invoice_number}")
    if view.invoice_value_paise:
        facts_left.append(f"Value: {format_rupees(view.invoice_value_paise, symbol='Rs ')}")
    facts_right = [f"Weight: {kilograms(view.weight_g)}"]
    if view.dimensions_mm:
        facts_right.append("Box: " + " x ".join(f"{d / 10:g}" for d in view.dimensions_mm) + " cm")
    facts_right.append(f"Printed: {local_time(view.issued_at, view.timezone)}")
    if view.dispatch_by:
        facts_right.append(f"Dispatch by: {local_time(view.dispatch_by, view.timezone)}")
    draw_lines(c, [fit(t, split - 4, size=7.5) for t in facts_left], left + 2, y - 3, size=7.5, leading=10)
    draw_lines(c, [fit(t, inner - split - 2, size=7.5) for t in facts_right], left + split + 2, y - 3,
               size=7.5, leading=10)
    y -= 46
    hrule(c, 0, WIDTH, y)

    # Contents: as many lines as fit above the return address.
    return_top = MARGIN + 58
    if view.items:
        caption(c, f"Contents ({view.units} units)", left + 2, y - 9)
        c.setFont(FONT_BOLD, 6.5)
        c.drawRightString(right - 2, y - 9, "QTY")
        rows = int((y - 14 - return_top) // 9)
        shown = list(view.items) if len(view.items) <= rows else list(view.items[: rows - 1])
        row_y = y - 20
        c.setFont(FONT, 7.5)
        for item in shown:
            c.drawString(left + 2, row_y, fit(f"{item.name} ({item.sku})", inner - 30, size=7.5))
            c.drawRightString(right - 2, row_y, str(item.qty))
            row_y -= 9
        if len(shown) < len(view.items):
            rest = view.items[len(shown):]
            c.drawString(left + 2, row_y, f"+ {len(rest)} more items")
            c.drawRightString(right - 2, row_y, str(sum(i.qty for i in rest)))
    hrule(c, 0, WIDTH, return_top)

    # Return address and seller.
    back = view.return_to
    caption(c, "If undelivered, return to", left + 2, return_top - 9)
    c.setFont(FONT_BOLD, 8)
    c.drawString(left + 2, return_top - 19, fit(back.name, inner - 4, font=FONT_BOLD, size=8))
    lines = wrap(", ".join(back.street + (back.city_line,)), inner - 4, max_lines=2, size=7.5)
    if back.phone:
        lines.append(f"Phone: {back.phone}")
    seller = " · ".join(x for x in (view.seller_name, view.seller_gstin and f"GSTIN {view.seller_gstin}") if x)
    if seller:
        lines.append(fit(f"Sold by: {seller}", inner - 4, size=7.5))
    draw_lines(c, lines, left + 2, return_top - 21, size=7.5, leading=9)


def add_labels(pdf: PdfFile, views: Sequence[LabelView], layout: LabelLayout) -> None:
    """Append labels to a PDF: a 4 x 6 in page each, or four per A4 page with dashed cut lines."""
    if layout is LabelLayout.THERMAL_4X6:
        for view in views:
            draw_label(pdf.page(LABEL_4X6), view)
        return
    page_w, page_h = A4_PORTRAIT
    cell_w, cell_h = page_w / 2, page_h / 2
    scale = min((cell_w - 2 * _A4_PAD) / WIDTH, (cell_h - 2 * _A4_PAD) / HEIGHT)
    for start in range(0, len(views), 4):
        c = pdf.page(A4_PORTRAIT)
        c.saveState()
        c.setDash(4, 3)
        c.setLineWidth(0.4)
        c.line(cell_w, 0, cell_w, page_h)
        c.line(0, cell_h, page_w, cell_h)
        c.restoreState()
        for i, view in enumerate(views[start:start + 4]):
            col, row = i % 2, i // 2
            c.saveState()
            c.translate(col * cell_w + (cell_w - WIDTH * scale) / 2,
                        page_h - (row + 1) * cell_h + (cell_h - HEIGHT * scale) / 2)
            c.scale(scale, scale)
            draw_label(c, view, dpi=None, max_module=_A4_MAX_MODULE / scale)
            c.restoreState()


def render_labels(views: Sequence[LabelView], layout: LabelLayout = LabelLayout.THERMAL_4X6) -> bytes:
    """One PDF with the labels of many shipments, in the order given."""
    if not views:
        raise ValueError("render_labels needs at least one label")
    first = views[0]
    pdf = PdfFile(title=f"Shipping labels ({len(views)})" if len(views) > 1 else f"Shipping label {first.awb}",
                  author=first.seller_name or first.return_to.name, subject="Shipping label",
                  issued_at=max(v.issued_at for v in views), tz=first.timezone)
    add_labels(pdf, views, LabelLayout(layout))
    return pdf.finish()


def render_label(view: LabelView, layout: LabelLayout = LabelLayout.THERMAL_4X6) -> bytes:
    """One shipment's label as a PDF."""
    return render_labels([view], layout)

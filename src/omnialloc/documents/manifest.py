"""The manifest: the handover sheet a node and a carrier's pickup agent sign for one pickup.

It lists every AWB handed over with its destination, payment mode and COD amount, totals the
shipments, packages, COD to be collected and weight, and ends in two signature boxes (handed over
by, received by) with room for the count the agent actually received. The manifest reference is a
Code 128 barcode for the carrier's scanner.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from omnialloc.documents.drawing import caption, draw_code128, draw_lines, fit, hrule, kilograms, local_time, wrap
from omnialloc.documents.flow import BODY, CONTENT_WIDTH, GREY, MARGIN, flow_pages, grid_table
from omnialloc.documents.pdf import A4_PORTRAIT, FONT, FONT_BOLD, PdfFile
from omnialloc.documents.views import ManifestView
from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.money_words import format_rupees


def _money(paise: int) -> str:
    return format_rupees(paise, symbol="")


def _first_page_header(c: Canvas, view: ManifestView) -> float:
    width, height = A4_PORTRAIT
    top = height - MARGIN
    half = CONTENT_WIDTH / 2 - 6
    right_x = MARGIN + CONTENT_WIDTH / 2 + 6
    c.setFont(FONT_BOLD, 15)
    c.drawString(MARGIN, top - 15, "MANIFEST · HANDOVER SHEET")
    c.setFont(FONT_BOLD, 10)
    c.drawString(MARGIN, top - 30, fit(f"{view.carrier} · {view.totals.shipments} shipments", half, font=FONT_BOLD,
                                       size=10))
    draw_code128(c, view.manifest_ref, right_x, top - 30, height=28, max_width=half, dpi=None, max_module=1.2)
    c.setFont(FONT, 7.5)
    c.drawCentredString(right_x + half / 2, top - 39, f"Manifest {view.manifest_ref}")
    y = top - 46
    hrule(c, MARGIN, width - MARGIN, y)

    node = view.node_address
    caption(c, "Pickup from", MARGIN, y - 11)
    c.setFont(FONT_BOLD, 9)
    c.drawString(MARGIN, y - 22, fit(f"{view.node_name} ({view.node_code})", half, font=FONT_BOLD, size=9))
    lines = wrap(", ".join(node.street), half, max_lines=2, size=8) + [fit(node.city_line, half, size=8)]
    if node.phone:
        lines.append(f"Phone: {node.phone}")
    lines.append(f"Carrier: {view.carrier}")
    if view.pickup_ref:
        lines.append(f"Pickup request: {view.pickup_ref}")
    if view.pickup_at:
        lines.append(f"Pickup slot: {local_time(view.pickup_at, view.timezone)}")
    lines.append(f"Generated: {local_time(view.issued_at, view.timezone)}")
    left_end = draw_lines(c, [fit(t, half, size=8) for t in lines], MARGIN, y - 25, size=8, leading=9.6)

    t = view.totals
    summary = [("Shipments", str(t.shipments)), ("Packages", str(t.packages)), ("Prepaid", str(t.prepaid)),
               ("COD", str(t.cod)), ("COD to collect", format_rupees(t.cod_paise)),
               ("Total weight", kilograms(t.weight_g))]
    caption(c, "Summary", right_x, y - 11)
    sy = y - 23
    for name, value in summary:
        c.setFont(FONT, 9)
        c.drawString(right_x, sy, name)
        c.setFont(FONT_BOLD, 9)
        c.drawRightString(width - MARGIN, sy, value)
        sy -= 11.5
    y = min(left_end, sy + 6) - 6
    hrule(c, MARGIN, width - MARGIN, y)
    return y - 8


def _later_page_header(c: Canvas, view: ManifestView) -> float:
    width, height = A4_PORTRAIT
    top = height - MARGIN
    c.setFont(FONT_BOLD, 11)
    c.drawString(MARGIN, top - 12, f"MANIFEST {view.manifest_ref} (continued)")
    c.setFont(FONT, 8)
    c.drawRightString(width - MARGIN, top - 12, fit(f"{view.node_name} ({view.node_code}) · {view.carrier}",
                                                    CONTENT_WIDTH / 2, size=8))
    hrule(c, MARGIN, width - MARGIN, top - 18)
    return top - 26


def _entries_table(view: ManifestView) -> Table:
    rows: list[list] = [["#", "AWB", "Order", "Destination", "Payment", "COD (₹)", "Weight", "Pkgs", "Rcvd"]]
    for n, e in enumerate(view.entries, start=1):
        rows.append([str(n), e.awb, fit(e.order_ref, 86, size=7.5), fit(f"{e.destination_city} {e.destination_pin}",
                                                                          120, size=7.5),
                     e.payment.value, _money(e.cod_paise) if e.payment is PaymentMode.COD else "-",
                     kilograms(e.weight_g), str(e.packages), "☐"])
    t = view.totals
    rows.append(["", f"{t.shipments} shipments", "", "", f"{t.cod} COD", _money(t.cod_paise), kilograms(t.weight_g),
                 str(t.packages), ""])
    widths = [24, 0, 92, 126, 46, 62, 52, 28, 28]
    widths[1] = CONTENT_WIDTH - sum(widths)
    table = grid_table(rows, widths, align_right_from=5, total_row=True)
    table.setStyle(TableStyle([("ALIGN", (8, 0), (8, -1), "CENTER"), ("FONT", (8, 1), (8, -2), FONT, 10)]))
    return table


def _signatures(view: ManifestView) -> Table:
    half = CONTENT_WIDTH / 2
    rows = [[f"Handed over by ({view.node_name})", f"Received by ({view.carrier} pickup agent)"],
            ["Name:", "Name:"], ["", "Employee ID:"],
            ["Signature:", "Signature:"], ["Date and time:", "Date and time:"],
            ["", f"Shipments received: ______ of {view.totals.shipments}"]]
    table = Table(rows, colWidths=[half, half], rowHeights=[16, 22, 22, 34, 22, 22])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8.5), ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), GREY), ("BOX", (0, 0), (0, -1), 0.8, "black"),
        ("BOX", (1, 0), (1, -1), 0.8, "black"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def add_manifest(pdf: PdfFile, view: ManifestView) -> int:
    """Append the manifest's pages to ``pdf``; returns how many it took."""
    t = view.totals
    # The signatures may land on a page of their own: they repeat what is signed for.
    handed = (f"<b>Handed over:</b> {t.shipments} shipments in {t.packages} packages, {escape(kilograms(t.weight_g))}; "
              f"COD to collect {escape(format_rupees(t.cod_paise))} on {t.cod} shipments.")
    story = [_entries_table(view), Spacer(0, 14),
             KeepTogether([Paragraph(handed, BODY), Spacer(0, 6), _signatures(view)])]

    def header(c: Canvas, page_index: int) -> float:
        return _first_page_header(c, view) if page_index == 0 else _later_page_header(c, view)

    footer = f"Manifest {view.manifest_ref} · {view.node_code} · {view.carrier} · {view.totals.shipments} shipments"
    return flow_pages(pdf, story, header=header, footer_text=footer)


def render_manifest(view: ManifestView) -> bytes:
    pdf = PdfFile(title=f"Manifest {view.manifest_ref}", author=view.node_name, subject="Carrier manifest",
                  issued_at=view.issued_at, tz=view.timezone)
    add_manifest(pdf, view)
    return pdf.finish()

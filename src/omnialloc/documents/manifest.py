"""The manifest: the handover sheet a node and a carrier's pickup agent sign for one pickup.

It lists every AWB handed over with its destination, payment mode and COD amount, totals the
shipments, packages, COD to be collected and weight, and ends in two signature boxes (handed over
by, received by) with room for the count the agent actually received. The manifest reference is a
Code 128 barcode for the carrier's scanner.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from omnialloc.documents.drawing import caption, fit, kilograms, local_time
from omnialloc.documents.flow import (
    BODY, CONTENT_WIDTH, GREY, MARGIN, RIGHT_X, address_block, facts, flow_pages, grid_table, rule_below, title_bar,
)
from omnialloc.documents.pdf import FONT, FONT_BOLD, PdfFile
from omnialloc.documents.views import ManifestView
from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.money_words import format_rupees


def _money(paise: int) -> str:
    return format_rupees(paise, symbol="")


def _first_page_header(c: Canvas, view: ManifestView) -> float:
    t = view.totals
    y = title_bar(c, "HANDOVER MANIFEST", subtitle=f"{view.carrier} · {t.shipments} shipments",
                  barcode=view.manifest_ref, barcode_caption=f"Manifest {view.manifest_ref}")
    pickup = [f"Carrier: {view.carrier}"]
    if view.pickup_ref:
        pickup.append(f"Pickup request: {view.pickup_ref}")
    if view.pickup_at:
        pickup.append(f"Pickup slot: {local_time(view.pickup_at, view.timezone)}")
    pickup.append(f"Generated: {local_time(view.issued_at, view.timezone)}")
    node = address_block(c, "Pickup from", view.node_address, MARGIN, y - 4,
                         name=f"{view.node_name} ({view.node_code})", extra=tuple(pickup))
    caption(c, "Summary", RIGHT_X, y - 11)
    summary = [("Shipments", str(t.shipments)), ("Packages", str(t.packages)), ("Prepaid", str(t.prepaid)),
               ("COD", str(t.cod)), ("COD to collect", format_rupees(t.cod_paise)),
               ("Total weight", kilograms(t.weight_g))]
    return rule_below(c, node, facts(c, summary, RIGHT_X, y - 12, totals=True))


def _entries_table(view: ManifestView) -> Table:
    rows: list[list[Any]] = [["#", "AWB", "Order", "Destination", "Payment", "COD (₹)", "Weight", "Pkgs", "Rcvd"]]
    for n, e in enumerate(view.entries, start=1):
        rows.append([str(n), e.awb, fit(e.order_ref, 86, size=7.5), fit(f"{e.destination_city} {e.destination_pin}",
                                                                          120, size=7.5),
                     e.payment.value, _money(e.cod_paise) if e.payment is PaymentMode.COD else "-",
                     kilograms(e.weight_g), str(e.packages), "☐"])
    t = view.totals
    rows.append(["", f"{t.shipments} shipments", "", "", f"{t.cod} COD", _money(t.cod_paise), kilograms(t.weight_g),
                 str(t.packages), ""])
    widths: list[float] = [24, 0, 92, 126, 46, 62, 52, 28, 28]
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
    return flow_pages(pdf, story, first_header=lambda c: _first_page_header(c, view),
                      continued=(f"MANIFEST {view.manifest_ref}", f"{view.node_name} ({view.node_code}) · {view.carrier}"),
                      footer_text=f"Manifest {view.manifest_ref} · {view.node_code} · {view.carrier} · "
                                  f"{t.shipments} shipments")


def render_manifest(view: ManifestView) -> bytes:
    return PdfFile.single(add_manifest, view, title=f"Manifest {view.manifest_ref}", author=view.node_name,
                          subject="Carrier manifest")

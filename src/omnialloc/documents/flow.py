"""Pages that flow: a document's fixed header drawn on each page, and its tables and text flowed below.

ReportLab's platypus lays out tables and paragraphs; this loop gives each page its own header (the
first page has the full one, later pages a short "continued" one), splits long tables across pages
with their header row repeated, and numbers the pages "Page x of y".
"""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Frame, Table, TableStyle
from reportlab.platypus.doctemplate import ActionFlowable, FrameBreak, LayoutError
from reportlab.pdfgen.canvas import Canvas

from omnialloc.documents.drawing import PageNumbers
from omnialloc.documents.pdf import A4_PORTRAIT, FONT, FONT_BOLD, PdfFile

MARGIN = 28.0           # about 10 mm: inside what office printers can print
FOOTER = 22.0           # room for the page number line
CONTENT_WIDTH = A4_PORTRAIT[0] - 2 * MARGIN

BODY = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=10)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7, leading=8.5)
GREY = colors.Color(0.88, 0.88, 0.88)


def grid_table(rows: list[list], widths: list[float], *, align_right_from: int, total_row: bool = False,
               font_size: float = 7.5) -> Table:
    """A ruled table with a bold shaded header row (repeated on every page) and numbers aligned right."""
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, font_size),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, font_size),
        ("BACKGROUND", (0, 0), (-1, 0), GREY),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (align_right_from, 0), (-1, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if total_row:
        style += [("FONT", (0, -1), (-1, -1), FONT_BOLD, font_size), ("BACKGROUND", (0, -1), (-1, -1), GREY)]
    table.setStyle(TableStyle(style))
    return table


def flow_pages(pdf: PdfFile, story: list[Flowable], *, header: Callable[[Canvas, int], float],
               footer_text: str) -> int:
    """Lay ``story`` out on A4 pages; ``header(canvas, page_index)`` draws a page's header and returns the
    y below it. Returns the number of pages."""
    numbers = PageNumbers(pdf)
    width, height = A4_PORTRAIT
    story = list(story)
    while story:
        c = pdf.page(A4_PORTRAIT)
        top = header(c, numbers.count)
        c.setFont(FONT, 7.5)
        c.drawString(MARGIN, MARGIN - 8, footer_text)
        numbers.stamp(width - MARGIN - 60, MARGIN - 8)
        frame = Frame(MARGIN, MARGIN + FOOTER - 14, CONTENT_WIDTH, top - (MARGIN + FOOTER - 14),
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        placed = False
        while story:
            head = story[0]
            if isinstance(head, ActionFlowable):
                # What a split asks for: FrameBreak (go on on the next page) or nothing (NullActionFlowable).
                story.pop(0)
                if isinstance(head, type(FrameBreak)) and placed:  # FrameBreak is an instance
                    break
                continue
            if frame.add(head, c, trySplit=1):
                story.pop(0)
                placed = True
                continue
            parts = frame.split(head, c)
            if not parts or (len(parts) == 1 and parts[0] is head):
                break
            story[0:1] = parts  # e.g. a table's rows that fit here, then the rest with the header repeated
        if not placed and story:
            # The views bound every text's length, so a block taller than a page is a layout bug.
            raise LayoutError(f"{type(story[0]).__name__} does not fit on an empty page")
    numbers.close()
    return numbers.count

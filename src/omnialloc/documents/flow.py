"""Pages that flow: a document's fixed header drawn on each page, and its tables and text flowed below.

ReportLab's platypus lays out tables and paragraphs; this loop gives each page its own header (the
first page has the full one, later pages a short "continued" one), splits long tables across pages
with their header row repeated, and numbers the pages "Page x of y".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Frame, Table, TableStyle
from reportlab.platypus.doctemplate import ActionFlowable, FrameBreak, LayoutError
from reportlab.pdfgen.canvas import Canvas

from omnialloc.documents.drawing import PageNumbers, caption, draw_code128, draw_lines, fit, hrule, wrap
from omnialloc.documents.pdf import A4_PORTRAIT, FONT, FONT_BOLD, PdfFile
from omnialloc.documents.views import PostalAddress

MARGIN = 28.0           # about 10 mm: inside what office printers can print
FOOTER = 22.0           # room for the page number line
CONTENT_WIDTH = A4_PORTRAIT[0] - 2 * MARGIN
TOP = A4_PORTRAIT[1] - MARGIN
RIGHT_EDGE = A4_PORTRAIT[0] - MARGIN
HALF = CONTENT_WIDTH / 2 - 6                  # width of one of the two header columns
RIGHT_X = MARGIN + CONTENT_WIDTH / 2 + 6      # where the right column starts

BODY = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=10)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7, leading=8.5)
GREY = colors.Color(0.88, 0.88, 0.88)


def grid_table(rows: list[list[Any]], widths: Sequence[float], *, align_right_from: int, total_row: bool = False,
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


def title_bar(c: Canvas, title: str, *, barcode: str = "", barcode_caption: str = "", right_text: str = "",
              subtitle: str = "") -> float:
    """The top of a first page: the title (and a subtitle) on the left; on the right a Code 128 barcode with
    its caption, or a line of small text; a rule below. Returns the rule's y."""
    c.setFont(FONT_BOLD, 16)
    c.drawString(MARGIN, TOP - 16, fit(title, HALF, font=FONT_BOLD, size=16))
    if subtitle:
        c.setFont(FONT_BOLD, 10)
        c.drawString(MARGIN, TOP - 30, fit(subtitle, HALF, font=FONT_BOLD, size=10))
    if right_text:
        c.setFont(FONT, 8)
        c.drawRightString(RIGHT_EDGE, TOP - 12, fit(right_text, HALF, size=8))
    if barcode:
        draw_code128(c, barcode, RIGHT_X, TOP - 30, height=28, max_width=HALF, dpi=None, max_module=1.2)
        c.setFont(FONT, 7.5)
        c.drawCentredString(RIGHT_X + HALF / 2, TOP - 39, fit(barcode_caption, HALF, size=7.5))
    y = TOP - (46 if barcode or subtitle else 24)
    hrule(c, MARGIN, RIGHT_EDGE, y)
    return y


def address_block(c: Canvas, title: str, who: PostalAddress, x: float, top: float, *, name: str = "",
                  street_lines: int = 2, extra: tuple[str, ...] = ()) -> float:
    """A captioned address in one header column: name in bold, street wrapped, city line, phone, then
    ``extra`` lines. Returns the y below it."""
    caption(c, title, x, top - 7)
    c.setFont(FONT_BOLD, 9)
    c.drawString(x, top - 18, fit(name or who.name, HALF, font=FONT_BOLD, size=9))
    lines = wrap(", ".join(who.street), HALF, max_lines=street_lines, size=8) + [fit(who.city_line, HALF, size=8)]
    if who.phone:
        lines.append(f"Phone: {who.phone}")
    return draw_lines(c, lines + [fit(t, HALF, size=8) for t in extra], x, top - 21, size=8, leading=9.6)


def facts(c: Canvas, pairs: list[tuple[str, str]], x: float, top: float, *, label_width: float = 72,
          totals: bool = False) -> float:
    """Label/value lines in one header column: bold labels with values beside them, or (``totals``) plain
    labels with bold values at the right edge. Returns the y below them."""
    size, leading = (9, 11.5) if totals else (8, 10)
    y = top - size - 2
    for label, value in pairs:
        c.setFont(FONT if totals else FONT_BOLD, size)
        c.drawString(x, y, label)
        c.setFont(FONT_BOLD if totals else FONT, size)
        if totals:
            c.drawRightString(x + HALF, y, value)
        else:
            c.drawString(x + label_width, y, fit(value, HALF - label_width, size=size))
        y -= leading
    return y + leading - 3


def rule_below(c: Canvas, *bottoms: float) -> float:
    """A full-width rule under the lowest of the columns; returns where the content below starts."""
    y = min(bottoms) - 6
    hrule(c, MARGIN, RIGHT_EDGE, y)
    return y - 8


def continued_header(c: Canvas, title: str, right_text: str = "") -> float:
    """The header of every page after the first: "<title> (continued)" and a line of context."""
    c.setFont(FONT_BOLD, 11)
    c.drawString(MARGIN, TOP - 12, fit(f"{title} (continued)", HALF * 1.3, font=FONT_BOLD, size=11))
    if right_text:
        c.setFont(FONT, 8)
        c.drawRightString(RIGHT_EDGE, TOP - 12, fit(right_text, HALF * 0.7, size=8))
    hrule(c, MARGIN, RIGHT_EDGE, TOP - 18)
    return TOP - 26


def flow_pages(pdf: PdfFile, story: list[Flowable], *, first_header: Callable[[Canvas], float],
               continued: tuple[str, str], footer_text: str) -> int:
    """Lay ``story`` out on A4 pages. ``first_header(canvas)`` draws the first page's header and returns the
    y below it; later pages get ``continued_header(*continued)``. Returns the number of pages."""
    numbers = PageNumbers(pdf)
    width, height = A4_PORTRAIT
    story = list(story)
    while story:
        c = pdf.page(A4_PORTRAIT)
        top = first_header(c) if numbers.count == 0 else continued_header(c, *continued)
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

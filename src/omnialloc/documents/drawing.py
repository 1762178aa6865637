"""Small drawing helpers shared by the documents: fitting text into boxes, barcodes, dates, weights, page numbers.

Everything on a document has a fixed box; text that would overflow it is wrapped to the lines the box
allows and the last line ends in an ellipsis, so a long address can never run over the barcode.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from omnialloc.documents.pdf import FONT, FONT_BOLD, PdfFile

ELLIPSIS = "…"
QUIET_MODULES = 10          # Code 128 quiet zone on each side (ISO/IEC 15417: at least 10 modules)
THERMAL_DPI = 203           # the common 4x6 in thermal label printer
MAX_MODULE_DOTS = 4         # 0.5 mm at 203 dpi: wide enough for handheld scanners, short enough for long AWBs
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fit(text: str, width: float, *, font: str = FONT, size: float = 9) -> str:
    """``text`` on one line of ``width`` points, cut with an ellipsis if it is longer."""
    text = " ".join(text.split())
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + ELLIPSIS, font, size) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def wrap(text: str, width: float, *, max_lines: int, font: str = FONT, size: float = 9) -> list[str]:
    """``text`` broken into at most ``max_lines`` lines of ``width`` points; the last cut with an ellipsis."""
    lines: list[str] = []
    for word_line in simpleSplit(" ".join(text.split()), font, size, width):
        # simpleSplit leaves a single word wider than the box on its own line: cut it too.
        lines.append(fit(word_line, width, font=font, size=size))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = fit(lines[-1] + " " + ELLIPSIS * 2, width, font=font, size=size)
    return lines


def draw_lines(c: Canvas, lines: list[str], x: float, top: float, *, font: str = FONT, size: float = 9,
               leading: float | None = None) -> float:
    """Draw lines downward from ``top`` (first baseline one font size below it); returns the y below the last."""
    leading = leading or size * 1.2
    y = top - size
    c.setFont(font, size)
    for line in lines:
        c.drawString(x, y, line)
        y -= leading
    return y + leading - size * 0.3


def code128_module(value: str, max_width: float, *, dpi: int | None = THERMAL_DPI,
                   max_module: float | None = None) -> tuple[float, float]:
    """(module width, bar width) in points for ``value`` as Code 128 within ``max_width`` incl. quiet zones.

    On a thermal printer a module is a whole number of printer dots, so every bar prints the same
    width; with ``dpi=None`` (a page for any printer) the module is simply as wide as fits, up to
    ``max_module``.
    """
    modules = Code128(value, barWidth=1, quiet=False).width  # with barWidth 1, width counts modules
    span = modules + 2 * QUIET_MODULES
    if dpi:
        dot = 72.0 / dpi
        dots = min(MAX_MODULE_DOTS, int(max_width / (span * dot)))
        if dots >= 1:
            return dots * dot, modules * dots * dot
    module = max_width / span
    if max_module is not None:
        module = min(module, max_module)
    return module, modules * module


def draw_code128(c: Canvas, value: str, x: float, y: float, *, height: float, max_width: float,
                 dpi: int | None = THERMAL_DPI, center: bool = True, max_module: float | None = None) -> float:
    """Draw ``value`` as a Code 128 barcode in the box from (x, y) of ``max_width`` points, quiet zones kept
    clear; returns the x where the bars start."""
    module, bars = code128_module(value, max_width, dpi=dpi, max_module=max_module)
    left = x + (max_width - bars) / 2 if center else x + QUIET_MODULES * module
    Code128(value, barWidth=module, barHeight=height, quiet=False).drawOn(c, left, y)
    return left


def code128_flowable(value: str, *, width: float, height: float) -> Code128:
    """A Code 128 barcode as a table cell (packing slip items), sized to ``width`` with its quiet zones."""
    module, _ = code128_module(value, width, dpi=None, max_module=1.2)
    return Code128(value, barWidth=module, barHeight=height, quiet=True, lquiet=QUIET_MODULES * module,
                   rquiet=QUIET_MODULES * module)


def local_date(at: datetime, tz: str) -> str:
    """"12 Mar 2025" on the wall clock of ``tz`` (month names fixed, whatever the process locale)."""
    local = at.astimezone(ZoneInfo(tz))
    return f"{local.day:02d} {_MONTHS[local.month - 1]} {local.year}"


def local_time(at: datetime, tz: str) -> str:
    """"12 Mar 2025, 14:05 IST" on the wall clock of ``tz``."""
    local = at.astimezone(ZoneInfo(tz))
    return f"{local_date(at, tz)}, {local:%H:%M} {local.tzname()}"


def kilograms(grams: int) -> str:
    """Grams as carriers print weight: "0.450 kg" (integer arithmetic, no float rounding)."""
    return f"{grams // 1000}.{grams % 1000:03d} kg"


def hrule(c: Canvas, x0: float, x1: float, y: float, *, width: float = 0.8) -> None:
    c.setLineWidth(width)
    c.line(x0, y, x1, y)


def caption(c: Canvas, text: str, x: float, y: float, *, size: float = 6.5) -> None:
    """A small capitalised field name above its value ("SHIP TO")."""
    c.setFont(FONT_BOLD, size)
    c.drawString(x, y, text.upper())


class PageNumbers:
    """"Page 2 of 3" on every page of one document, although the count is known only when it is drawn.

    The total is a form XObject that every page shows and that is filled in once at the end.
    """

    def __init__(self, pdf: PdfFile):
        self._pdf = pdf
        self._name = pdf.form_name()
        self.count = 0

    def stamp(self, x: float, y: float, *, size: float = 7.5) -> None:
        c = self._pdf.canvas
        self.count += 1
        text = f"Page {self.count} of "
        c.setFont(FONT, size)
        c.drawString(x, y, text)
        c.saveState()
        c.translate(x + stringWidth(text, FONT, size), y)
        c.doForm(self._name)
        c.restoreState()
        self._size = size

    def close(self) -> None:
        """Write the total into the form; call after the document's last page is drawn."""
        c = self._pdf.canvas
        c.beginForm(self._name, lowerx=0, lowery=-2, upperx=60, uppery=12)
        c.setFont(FONT, self._size)
        c.drawString(0, 0, str(self.count))
        c.endForm()

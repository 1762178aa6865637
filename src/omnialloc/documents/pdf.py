"""The PDF file every document is drawn into: fonts, page sizes, metadata, and output as bytes.

One ``PdfFile`` holds any number of pages of any sizes, so a label, an invoice and a packing slip for
the same shipment (or labels for 200 shipments) come out as one file to print. Output is
deterministic: the creation date is the view's ``issued_at`` on the node's clock, and the file
identifier and the font subset names derive from the content (ReportLab's invariant mode), so the
same views give the same bytes.

Text is set in DejaVu Sans, embedded as a subset: it has the rupee sign and Latin, Greek and Cyrillic
letters (Müller, José, Ø). The font files come with matplotlib (already a dependency), read through its
public ``get_data_path``. Indian scripts are not covered (they would print as empty boxes): carriers
and the GST portal expect addresses and item names in English.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT = "OmniSans"
FONT_BOLD = "OmniSans-Bold"
LABEL_4X6 = (4 * inch, 6 * inch)
A4_PORTRAIT: tuple[float, float] = A4  # (points; reportlab is untyped)

_fonts_lock = threading.Lock()
_fonts_ready = False


def _register_fonts() -> None:
    """Register the two DejaVu faces with ReportLab once per process (its font registry is global)."""
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        import matplotlib  # here, not at the top: importing it costs a few hundred ms that only printing needs

        folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
        pdfmetrics.registerFont(TTFont(FONT, os.path.join(folder, "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, os.path.join(folder, "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
        _fonts_ready = True


def pdf_date(at: datetime, tz: str) -> str:
    """A PDF date string (ISO 32000 7.9.4) for an instant on the wall clock of ``tz``: D:YYYYMMDDHHmmSS+05'30'."""
    local = at.astimezone(ZoneInfo(tz))
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return f"D:{local:%Y%m%d%H%M%S}{sign}{hh:02d}'{mm:02d}'"


class _Dated(Protocol):
    """What a document's view gives its PDF file: when it was issued, and the node's time zone."""

    @property
    def issued_at(self) -> datetime: ...

    @property
    def timezone(self) -> str: ...


_View = TypeVar("_View", bound=_Dated)


class PdfFile:
    """A PDF being drawn: ``page(size)`` starts a page, ``finish()`` returns the file's bytes."""

    def __init__(self, *, title: str, author: str, subject: str, issued_at: datetime, tz: str):
        _register_fonts()
        self._buffer = io.BytesIO()
        self.canvas = Canvas(self._buffer, pagesize=A4_PORTRAIT, invariant=1, pageCompression=1)
        date = pdf_date(issued_at, tz)
        self.canvas.setDateFormatter(lambda *_: date)
        self.canvas.setTitle(title)
        self.canvas.setAuthor(author)
        self.canvas.setSubject(subject)
        self.canvas.setCreator("omnialloc")
        self._open = False
        self._forms = 0

    def page(self, size: tuple[float, float]) -> Canvas:
        """End the current page (if any) and start one of ``size`` points; returns the canvas to draw on."""
        if self._open:
            self.canvas.showPage()
        self.canvas.setPageSize(size)
        self._open = True
        return self.canvas

    def form_name(self) -> str:
        """A name for a form XObject unique in this file (used for "page x of y", drawn once y is known)."""
        self._forms += 1
        return f"omnialloc{self._forms}"

    @classmethod
    def single(cls, add: Callable[[PdfFile, _View], object], view: _View, *, title: str, author: str,
               subject: str) -> bytes:
        """The PDF of one document: ``add(pdf, view)`` draws it; dated by the view's ``issued_at``."""
        pdf = cls(title=title, author=author, subject=subject, issued_at=view.issued_at, tz=view.timezone)
        add(pdf, view)
        return pdf.finish()

    def finish(self) -> bytes:
        if self._open:
            self.canvas.showPage()
        self.canvas.save()
        return self._buffer.getvalue()

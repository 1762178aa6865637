"""Invoice numbers: one gapless series per shipping node and financial year.

CGST Rules, rule 46(b): a tax invoice carries "a consecutive serial number not exceeding sixteen
characters, in one or multiple series, containing alphabets or numerals or special characters
hyphen or dash and slash ... unique for a financial year". omnialloc runs one series per node
(each node has its own GSTIN registration or at least its own counter) and financial year, and
writes a number as ``PREFIX/YYYY/NNNNN``:

- PREFIX: the node's series prefix, 1 to 5 capital letters or digits (e.g. "BLR1");
- YYYY: the financial year, first and last two digits of its years ("2526" for April 2025 - March 2026);
- NNNNN: the serial, from 1, zero-padded to 5 digits and wider when it has to be.

The whole stays within 16 characters: a 5-character prefix allows 99,999 invoices a year, a
3-character prefix 9,999,999. The financial year runs April to March in the node's own time zone,
so an invoice issued at 00:30 IST on 1 April belongs to the new year although it is still 31 March
in UTC.

Credit notes have a series of their own per node and year, ``PREFIX/YYYY/CNNNN`` (``format_credit_note_number``).

This module only formats and parses. Handing out the serials without gaps or repeats under
concurrency is the store's job; docs/documents.md states its contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from omnialloc.domain.errors import Conflict, FieldError, ValidationFailed

MAX_LENGTH = 16      # rule 46(b)
SERIAL_WIDTH = 5     # minimum digits of the serial
_PREFIX = re.compile(r"^[A-Z0-9]{1,5}$")
_NUMBER = re.compile(r"^([A-Z0-9]{1,5})/([0-9]{2})([0-9]{2})/([0-9]{5,})$")


@dataclass(frozen=True, order=True)
class FinancialYear:
    """India's financial year starting 1 April of ``start_year``."""

    start_year: int

    @classmethod
    def of(cls, at: datetime, tz: str = "Asia/Kolkata") -> FinancialYear:
        """The financial year an instant falls in, as seen on the wall clock of time zone ``tz``."""
        if at.tzinfo is None:
            raise ValueError("FinancialYear.of needs a timezone-aware datetime")
        local = at.astimezone(ZoneInfo(tz))
        return cls(local.year if local.month >= 4 else local.year - 1)

    @property
    def label(self) -> str:
        """As people write it: "2025-26"."""
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def code(self) -> str:
        """As an invoice number carries it: "2526"."""
        return f"{self.start_year % 100:02d}{(self.start_year + 1) % 100:02d}"

    def starts_at(self, tz: str = "Asia/Kolkata") -> datetime:
        """1 April, 00:00 on the node's wall clock, as an aware datetime."""
        return datetime(self.start_year, 4, 1, tzinfo=ZoneInfo(tz))

    def ends_at(self, tz: str = "Asia/Kolkata") -> datetime:
        """The instant the next financial year starts (exclusive end)."""
        return FinancialYear(self.start_year + 1).starts_at(tz)


def series_prefix(prefix: str, *, field: str = "invoice_prefix") -> str:
    """A node's series prefix in capitals, or ValidationFailed saying what a prefix may be."""
    value = str(prefix).strip().upper()
    if not _PREFIX.match(value):
        problem = "1 to 5 letters or digits (e.g. BLR1), so that invoice numbers stay within 16 characters"
        raise ValidationFailed(f"{field}: {prefix!r} cannot prefix invoice numbers: {problem}",
                               field_errors=[FieldError(field, problem)])
    return value


def format_invoice_number(prefix: str, fy: FinancialYear, serial: int) -> str:
    """``PREFIX/YYYY/NNNNN``; Conflict when the series has run past what 16 characters can hold."""
    return _format("invoice", prefix, fy, serial, marker="", width=SERIAL_WIDTH)


def _format(kind: str, prefix: str, fy: FinancialYear, serial: int, *, marker: str, width: int) -> str:
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
        raise ValueError(f"{kind} serial: a whole number >= 1, got {serial!r}")
    number = f"{series_prefix(prefix)}/{fy.code}/{marker}{serial:0{width}d}"
    if len(number) > MAX_LENGTH:
        raise Conflict(f"{kind} series {prefix}/{fy.code} is exhausted at serial {serial}: its numbers would "
                       f"exceed {MAX_LENGTH} characters; give the node a shorter series prefix")
    return number


CREDIT_NOTE_SERIAL_WIDTH = 4


def format_credit_note_number(prefix: str, fy: FinancialYear, serial: int) -> str:
    """A credit note's number, ``PREFIX/YYYY/CNNNN``: the node's prefix and year as its invoices, and a serial of
    its own series marked ``C`` (never equal to an invoice number); Conflict past 16 characters (a 5-character
    prefix: 9,999 credit notes a year)."""
    return _format("credit note", prefix, fy, serial, marker="C", width=CREDIT_NOTE_SERIAL_WIDTH)


@dataclass(frozen=True)
class InvoiceNumber:
    prefix: str
    fy: FinancialYear
    serial: int


def parse_invoice_number(number: str) -> InvoiceNumber:
    """The parts of a number written by ``format_invoice_number``; ValueError for anything else."""
    m = _NUMBER.match(number)
    if (not m or len(number) > MAX_LENGTH or (int(m.group(2)) + 1) % 100 != int(m.group(3))
            or (len(m.group(4)) > SERIAL_WIDTH and m.group(4).startswith("0")) or int(m.group(4)) < 1):
        raise ValueError(f"not an omnialloc invoice number: {number!r}")
    # Two-digit years: this century (an OMS will not issue invoices for 1925-26).
    return InvoiceNumber(m.group(1), FinancialYear(2000 + int(m.group(2))), int(m.group(4)))

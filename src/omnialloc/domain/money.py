"""Money arithmetic in integer paise: parsing, rounding once, formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def rupees_to_paise(rupees: str | int | float | Decimal) -> int:
    """Convert a rupee amount to paise, rounding half up once (the only place floats may enter)."""
    return int((Decimal(str(rupees)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_inr(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    rupees, p = divmod(abs(paise), 100)
    return f"{sign}Rs {rupees:,}.{p:02d}"

"""Rupee amounts as Indian documents write them: in words (lakh, crore) and in figures (1,23,456.78).

A tax invoice states its total in words (CGST Rules, rule 46) and Indian readers group digits in
thousands, then in hundreds: 12,34,56,789 is twelve crore thirty-four lakh fifty-six thousand seven
hundred eighty-nine. Words follow the style of Indian accounting software: title case, no hyphens,
no "and" inside a number, so the one "and" separates rupees from paise:
"Rupees One Lakh Twenty Three Thousand Four Hundred Fifty Six and Seventy Eight Paise Only".
Amounts of a thousand crore and more repeat the scale ("One Thousand Crore", "One Lakh Crore").
"""

from __future__ import annotations

_ONES = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven",
         "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen")
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")
# Indian scales below a crore, largest first; a crore (10^7) counts its crores recursively.
_SCALES = ((100_000, "Lakh"), (1_000, "Thousand"), (100, "Hundred"))
_CRORE = 10_000_000


def _below_hundred(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    tens, ones = divmod(n, 10)
    return [_TENS[tens]] + ([_ONES[ones]] if ones else [])


def _words(n: int) -> list[str]:
    """Words for 1 <= n, largest scale first; never "Zero"."""
    out: list[str] = []
    if n >= _CRORE:
        crores, n = divmod(n, _CRORE)
        out += _words(crores) + ["Crore"]
    for size, name in _SCALES:
        if n >= size:
            count, n = divmod(n, size)
            out += _below_hundred(count) + [name]
    if n:
        out += _below_hundred(n)
    return out


def number_in_words(n: int) -> str:
    """A whole number >= 0 in Indian English words: 150000 -> "One Lakh Fifty Thousand"."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"number_in_words takes a whole number >= 0, got {n!r}")
    return " ".join(_words(n)) if n else "Zero"


def rupees_in_words(paise: int) -> str:
    """An amount in paise as an invoice writes it: "Rupees Ten and Five Paise Only", "Rupees Zero Only"."""
    if isinstance(paise, bool) or not isinstance(paise, int) or paise < 0:
        raise ValueError(f"rupees_in_words takes whole paise >= 0, got {paise!r}")
    rupees, p = divmod(paise, 100)
    text = f"Rupees {number_in_words(rupees)}"
    if p:
        text += f" and {number_in_words(p)} Paise"
    return text + " Only"


def group_indian(n: int) -> str:
    """Digits of a whole number grouped the Indian way: 12345678 -> "1,23,45,678"."""
    digits = str(abs(n))
    head, tail = digits[:-3], digits[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ("-" if n < 0 else "") + ",".join(groups + [tail])


def format_rupees(paise: int, *, symbol: str = "₹") -> str:
    """Paise in figures with Indian grouping: 12345678 -> "₹1,23,456.78" (symbol "" for table cells)."""
    sign = "-" if paise < 0 else ""
    rupees, p = divmod(abs(paise), 100)
    return f"{sign}{symbol}{group_indian(rupees)}.{p:02d}"

"""GSM 03.38 (GSM-7) character set: how long an SMS really is, and making text fit one.

One SMS carries 160 GSM-7 units. Characters of the extension table (``{}[]~^|\\€``
and form feed) take two units; anything outside the alphabet forces the whole
message into UCS-2 (70 characters), so we keep customer messages in GSM-7.
"""

from __future__ import annotations

import unicodedata

SMS_LIMIT = 160

BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = frozenset("^{}\\[~]|€\f")

# Common characters outside GSM-7 and their closest GSM-7 spelling.
_REPLACEMENTS = {
    "₹": "Rs.", "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "…": "...", "\u00a0": " ", "•": "-", "\t": " ", "`": "'",
}


def is_gsm7(text: str) -> bool:
    return all(ch in BASIC or ch in EXTENSION for ch in text)


def gsm7_length(text: str) -> int:
    """Units of the GSM-7 alphabet ``text`` needs; raises ``ValueError`` for a character outside it."""
    units = 0
    for ch in text:
        if ch in BASIC:
            units += 1
        elif ch in EXTENSION:
            units += 2
        else:
            raise ValueError(f"{ch!r} (U+{ord(ch):04X}) is not in the GSM-7 alphabet")
    return units


def to_gsm7(text: str) -> str:
    """Spell ``text`` in GSM-7: known look-alikes, then accents stripped, then ``?``."""
    out = []
    for ch in text:
        if ch in BASIC or ch in EXTENSION:
            out.append(ch)
            continue
        if ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if c in BASIC)
        out.append(plain or "?")
    return "".join(out)


def fit_sms(text: str, limit: int = SMS_LIMIT) -> str:
    """GSM-7 text of at most ``limit`` units: whitespace collapsed, cut at a word with ``...`` if needed."""
    text = " ".join(to_gsm7(text).split())
    if gsm7_length(text) <= limit:
        return text
    budget = limit - 3
    cut, used = [], 0
    for ch in text:
        size = 2 if ch in EXTENSION else 1
        if used + size > budget:
            break
        cut.append(ch)
        used += size
    head = "".join(cut)
    if " " in head[budget // 2:]:
        head = head[: head.rindex(" ")]
    return head.rstrip() + "..."

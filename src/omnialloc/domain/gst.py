"""GST on a tax invoice, in integer paise: which taxes apply, and how much of each per line.

The rules this module encodes (CGST Act 2017, IGST Act 2017 and the CGST Rules):

- **Which tax.** A supply whose supplier and place of supply are in the same state is *intra-state*
  and pays CGST plus SGST, each at half the rate; in a union territory without a legislature
  (Chandigarh, Ladakh, Lakshadweep, Andaman and Nicobar, Dadra and Nagar Haveli and Daman and Diu)
  the second half is UTGST instead of SGST. Any other supply is *inter-state* and pays IGST at the
  full rate. The supplier's state is the first two digits of its GSTIN; for goods that are shipped
  the place of supply is where the movement ends (IGST Act s.10(1)(a)), i.e. the ship-to state.
- **Prices.** Indian e-retail prices are shown to the buyer *inclusive* of GST, so that is the
  default: the line amount is what the buyer pays, and the taxable value is derived from it. Prices
  *exclusive* of GST (B2B price lists) are supported too: the line amount is then the taxable value.
- **Rounding.** Per line and per tax component, half up to the paisa, once. For an inclusive price
  the tax is rounded and the taxable value is the remainder, so taxable value + taxes equals the
  price the buyer paid to the paisa; for an exclusive price the taxable value is exact and the
  taxes are rounded. CGST and SGST/UTGST are each rounded from the same half rate, so they are
  always equal. Invoice totals are plain sums of the rounded lines (never re-rounded), so the
  printed columns add up.
- **Rates** are integer basis points (1800 = 18 %), so 0.25 % and 3 % (gems and gold), 1.5 %, the
  2017 slabs 0/5/12/18/28 % and the 2025 slab of 40 % are all exact; a rate is whatever the item's
  HSN carries, from 0 to 100 %. Compensation cess is not computed here.

Pure: no I/O, no imports of other omnialloc packages but the domain's own errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from omnialloc.domain.errors import FieldError, ValidationFailed

BP_PER_UNIT = 10_000  # basis points in 100 %
STANDARD_RATES_BP = (0, 500, 1200, 1800, 2800)  # the 2017 slabs (the 2025 reform adds 4000)

# GST state code (first two digits of a GSTIN) -> state code as the rest of omnialloc writes it
# (vehicle-registration style, see geo.states). 25 (Daman and Diu) and 28 (Andhra Pradesh before
# 2014) are legacy codes still found on older registrations: they name the same states as 26 and 37.
_GST_CODES = {
    "01": "JK", "02": "HP", "03": "PB", "04": "CH", "05": "UK", "06": "HR", "07": "DL", "08": "RJ",
    "09": "UP", "10": "BR", "11": "SK", "12": "AR", "13": "NL", "14": "MN", "15": "MZ", "16": "TR",
    "17": "ML", "18": "AS", "19": "WB", "20": "JH", "21": "OD", "22": "CG", "23": "MP", "24": "GJ",
    "25": "DH", "26": "DH", "27": "MH", "28": "AP", "29": "KA", "30": "GA", "31": "LD", "32": "KL",
    "33": "TN", "34": "PY", "35": "AN", "36": "TS", "37": "AP", "38": "LA",
}
_LEGACY = frozenset({"25", "28"})
STATE_OF_GST_CODE = MappingProxyType(dict(_GST_CODES))
GST_CODE_OF_STATE = MappingProxyType({s: c for c, s in _GST_CODES.items() if c not in _LEGACY})

# Union territories without a legislature: their intra-UT supplies pay UTGST where a state's pay SGST.
UTGST_STATES = frozenset({"CH", "LA", "LD", "AN", "DH"})

_GSTIN_SHAPE = re.compile(r"^[0-9]{2}[0-9A-Z]{13}$")
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def gstin_check_character(first14: str) -> str:
    """The 15th character of a GSTIN: Luhn mod 36 over the first 14 (weights 1, 2, 1, 2, ... from the left)."""
    total = 0
    for i, ch in enumerate(first14):
        product = _BASE36.index(ch) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return _BASE36[(36 - total % 36) % 36]


def normalize_gstin(gstin: str, *, field: str = "gstin") -> str:
    """The GSTIN in capitals, or ValidationFailed saying what is wrong with it (shape, state, check digit)."""
    value = str(gstin).strip().upper()
    if not _GSTIN_SHAPE.match(value):
        problem = "a GSTIN has 15 characters: 2 digits (state code), then 13 letters or digits"
    elif value[:2] not in _GST_CODES:
        problem = f"a GSTIN starts with a GST state code (01 to 38); {value[:2]} is not one"
    elif gstin_check_character(value[:14]) != value[14]:
        problem = "the last character of this GSTIN does not match its check digit: a typing error?"
    else:
        return value
    raise ValidationFailed(f"{field}: invalid GSTIN {value!r}: {problem}",
                           field_errors=[FieldError(field, problem)])


def state_of_gstin(gstin: str) -> str:
    """The state (two-letter code) where a GSTIN is registered, from its first two digits."""
    return _GST_CODES[normalize_gstin(gstin)[:2]]


def gst_state_code(state: str) -> str:
    """The two-digit GST code of a state ("TN" -> "33"), as invoices print it next to the state's name."""
    try:
        return GST_CODE_OF_STATE[state]
    except KeyError:
        raise ValidationFailed(f"unknown state code {state!r}",
                               field_errors=[FieldError("state", "not an Indian state or UT code")]) from None


def rate_bp(percent: str | int | Decimal) -> int:
    """A GST rate written as a percentage ("18", "0.25", 12) in basis points; exact, or ValidationFailed."""
    try:
        bp = Decimal(str(percent).strip().rstrip("%")) * 100
    except InvalidOperation:
        bp = Decimal("NaN")
    if not bp.is_finite() or bp != bp.to_integral_value() or not 0 <= bp <= BP_PER_UNIT:
        raise ValidationFailed(f"GST rate {percent!r} is not a percentage from 0 to 100 with at most two decimals",
                               field_errors=[FieldError("gst_rate", "a percentage such as 5, 18 or 0.25")])
    return int(bp)


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for numerator >= 0 and denominator > 0 (integers only)."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True, kw_only=True)
class TaxAmounts:
    """Taxable value and the three taxes, in paise. ``state_tax_paise`` is SGST or UTGST (see ``TaxSplit``)."""

    taxable_paise: int
    cgst_paise: int = 0
    state_tax_paise: int = 0
    igst_paise: int = 0

    @property
    def tax_paise(self) -> int:
        return self.cgst_paise + self.state_tax_paise + self.igst_paise

    @property
    def total_paise(self) -> int:
        return self.taxable_paise + self.tax_paise

    @staticmethod
    def added(parts: Iterable[TaxAmounts]) -> dict[str, int]:
        """Column sums of ``parts`` as keyword arguments: plain sums of rounded amounts, never rounded again."""
        sums = dict(taxable_paise=0, cgst_paise=0, state_tax_paise=0, igst_paise=0)
        for part in parts:
            for key in sums:
                sums[key] += getattr(part, key)
        return sums


@dataclass(frozen=True, kw_only=True)
class LineTax(TaxAmounts):
    """The tax on one invoice line."""

    amount_paise: int      # the line amount as given (inclusive or exclusive of tax)
    rate_bp: int


def line_tax(amount_paise: int, rate: int, *, intra_state: bool, tax_inclusive: bool = True) -> LineTax:
    """Split one line amount into taxable value and CGST + SGST (intra-state) or IGST (inter-state).

    ``amount_paise`` is quantity x unit price less any discount on the line; ``rate`` in basis points.
    """
    if isinstance(amount_paise, bool) or not isinstance(amount_paise, int) or amount_paise < 0:
        raise ValidationFailed(f"line amount must be a whole number of paise >= 0, got {amount_paise!r}",
                               field_errors=[FieldError("amount_paise", "a whole number of paise >= 0")])
    if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= BP_PER_UNIT:
        raise ValidationFailed(f"GST rate must be whole basis points from 0 to 10000, got {rate!r}",
                               field_errors=[FieldError("rate_bp", "basis points from 0 to 10000 (1800 = 18 %)")])
    # Each component is tax on the taxable value at its share of the rate: half each for CGST/SGST.
    # For an inclusive amount, taxable = amount / (1 + rate), so a component at share s of the rate
    # is amount * s * rate / (1 + rate); rounding the components and leaving the remainder as the
    # taxable value keeps taxable + taxes == amount exactly.
    parts = 2 if intra_state else 1
    if tax_inclusive:
        component = _half_up(amount_paise * rate, parts * (BP_PER_UNIT + rate))
        taxable = amount_paise - parts * component
    else:
        taxable = amount_paise
        component = _half_up(amount_paise * rate, parts * BP_PER_UNIT)
    if intra_state:
        return LineTax(amount_paise=amount_paise, rate_bp=rate, taxable_paise=taxable, cgst_paise=component,
                       state_tax_paise=component)
    return LineTax(amount_paise=amount_paise, rate_bp=rate, taxable_paise=taxable, igst_paise=component)


@dataclass(frozen=True, kw_only=True)
class RateTotals(TaxAmounts):
    """The lines of one HSN code and rate added up: one row of an invoice's HSN summary."""

    hsn: str
    rate_bp: int


@dataclass(frozen=True, kw_only=True)
class TaxSplit(TaxAmounts):
    """The taxes of a whole invoice: per line, and in total (the inherited amounts)."""

    supplier_state: str
    place_of_supply: str
    tax_inclusive: bool
    lines: tuple[LineTax, ...]
    hsn_codes: tuple[str, ...]

    @property
    def intra_state(self) -> bool:
        return self.supplier_state == self.place_of_supply

    @property
    def state_tax_name(self) -> str:
        """What the state half of an intra-state tax is called where the supply is: SGST or UTGST."""
        return "UTGST" if self.place_of_supply in UTGST_STATES else "SGST"

    def by_hsn(self) -> tuple[RateTotals, ...]:
        """Per (HSN, rate) totals in the order the pairs first appear on the invoice."""
        groups: dict[tuple[str, int], list[LineTax]] = {}
        for hsn, line in zip(self.hsn_codes, self.lines):
            groups.setdefault((hsn, line.rate_bp), []).append(line)
        return tuple(RateTotals(hsn=hsn, rate_bp=rate, **TaxAmounts.added(lines))
                     for (hsn, rate), lines in groups.items())


def is_intra_state(supplier_state: str, place_of_supply: str) -> bool:
    """True when supplier and place of supply are the same state or UT (CGST + SGST/UTGST), else IGST."""
    for field, state in (("supplier_state", supplier_state), ("place_of_supply", place_of_supply)):
        if state not in GST_CODE_OF_STATE:
            raise ValidationFailed(f"{field}: {state!r} is not an Indian state or UT code",
                                   field_errors=[FieldError(field, "a state code such as KA, MH or DL")])
    return supplier_state == place_of_supply


def split_invoice(lines: Iterable[tuple[str, int, int]], *, supplier_state: str, place_of_supply: str,
                  tax_inclusive: bool = True) -> TaxSplit:
    """Taxes for invoice lines given as (HSN, amount in paise, rate in basis points)."""
    intra = is_intra_state(supplier_state, place_of_supply)
    given: Sequence[tuple[str, int, int]] = tuple(lines)
    taxed = tuple(line_tax(amount, rate, intra_state=intra, tax_inclusive=tax_inclusive)
                  for _, amount, rate in given)
    return TaxSplit(supplier_state=supplier_state, place_of_supply=place_of_supply, tax_inclusive=tax_inclusive,
                    lines=taxed, hsn_codes=tuple(hsn for hsn, _, _ in given), **TaxAmounts.added(taxed))

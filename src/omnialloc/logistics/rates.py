"""Courier charges in integer paise: billed weight, 500 g slabs, COD, RTO and reverse.

The scalar, per-parcel version of the arithmetic the solver vectorises in
`solvers.costs`; both follow the same rules so a quote shown to a person
matches what the optimiser priced:

- volumetric grams = ceil(volume mm^3 / divisor); L*B*H cm / 5000 kg is the
  same number as mm^3 / 5000 g, so the carrier's divisor is used unchanged;
- billed grams = max(actual grams, volumetric grams);
- slabs = ceil(billed / slab_g), at least 1 (an empty parcel still pays one);
- forward charge = first slab + (slabs - 1) * additional slab, each slab price
  with the card's fuel surcharge (basis points, half up to the paisa);
- COD fee = max(fixed, value * bp / 10000 rounded half up to the paisa);
- RTO and reverse pickup = forward charge * multiplier %, rounded half up.

Integers only: a float never touches money here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from omnialloc.domain.logistics import RateCard
from omnialloc.domain.network import Sku


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _check_non_negative(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


def volumetric_weight_g(volume_mm3: int, divisor: int = 5000) -> int:
    """Volumetric weight in grams, rounded up to the gram."""
    _check_non_negative(volume_mm3=volume_mm3)
    if not isinstance(divisor, int) or divisor <= 0:
        raise ValueError(f"volumetric divisor must be a positive integer, got {divisor!r}")
    return _ceil_div(volume_mm3, divisor)


def billed_weight_g(actual_g: int, volume_mm3: int, divisor: int = 5000) -> int:
    """What the courier bills on: the heavier of actual and volumetric weight."""
    _check_non_negative(actual_g=actual_g)
    return max(actual_g, volumetric_weight_g(volume_mm3, divisor))


def slab_count(billed_g: int, slab_g: int = 500) -> int:
    """Number of weight slabs charged; never fewer than one."""
    _check_non_negative(billed_g=billed_g)
    if not isinstance(slab_g, int) or slab_g <= 0:
        raise ValueError(f"slab size must be a positive integer, got {slab_g!r}")
    return max(1, _ceil_div(billed_g, slab_g))


def forward_charge_paise(card: RateCard, billed_g: int) -> int:
    """Freight for a parcel of `billed_g` grams on this rate card."""
    slabs = slab_count(billed_g, card.slab_g)
    return card.surcharged(card.first_slab_paise) + (slabs - 1) * card.surcharged(card.additional_slab_paise)


def _percent_of(amount_paise: int, percent: int) -> int:
    return (amount_paise * percent + 50) // 100


def cod_fee_paise(card: RateCard, value_paise: int) -> int:
    """Cash-on-delivery fee: the higher of the fixed fee and the percentage of the value."""
    _check_non_negative(value_paise=value_paise)
    return max(card.cod_fixed_paise, (value_paise * card.cod_percent_bp + 5000) // 10000)


def rto_charge_paise(card: RateCard, billed_g: int) -> int:
    """Return-to-origin charge for an undelivered parcel (often 100% of forward)."""
    return _percent_of(forward_charge_paise(card, billed_g), card.rto_multiplier_pct)


def reverse_charge_paise(card: RateCard, billed_g: int) -> int:
    """Reverse pickup (customer return) charge."""
    return _percent_of(forward_charge_paise(card, billed_g), card.reverse_multiplier_pct)


def parcel_weight_g(items: Iterable[tuple[Sku, int]], divisor: int = 5000) -> tuple[int, int, int]:
    """(actual g, volume mm^3, billed g) of a parcel holding `qty` of each SKU.

    Volumes add up as if the units were packed without air, which is the
    optimistic bound couriers' own calculators use for multi-item parcels.
    """
    actual = volume = 0
    for sku, qty in items:
        _check_non_negative(qty=qty)
        actual += sku.unit_weight_g * qty
        volume += sku.volume_mm3 * qty
    return actual, volume, billed_weight_g(actual, volume, divisor)


@dataclass(frozen=True)
class Charge:
    """A priced parcel, for quotes and explanations."""

    billed_g: int
    slabs: int
    freight_paise: int
    cod_paise: int

    @property
    def total_paise(self) -> int:
        return self.freight_paise + self.cod_paise


def quote(card: RateCard, actual_g: int, volume_mm3: int, *, divisor: int = 5000, cod_value_paise: int | None = None) -> Charge:
    """Price one forward parcel; `cod_value_paise` set means the carrier collects that much cash."""
    billed = billed_weight_g(actual_g, volume_mm3, divisor)
    cod = cod_fee_paise(card, cod_value_paise) if cod_value_paise is not None else 0
    return Charge(billed, slab_count(billed, card.slab_g), forward_charge_paise(card, billed), cod)

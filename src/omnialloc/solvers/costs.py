"""Carrier arithmetic: slabs, volumetric weight, COD fee — vectorised.

Every cost the solver reports is computed by the functions in this module, so
the enumeration, the MIP's answer, the baselines and the explanations price a
shipment identically. All inputs and outputs are integer numpy arrays (or
Python ints, which broadcast); nothing here uses floats.

Rules (India courier practice):
- volumetric grams = ceil(total mm^3 / divisor) (L*B*H cm / 5000 kg is the
  same number as mm^3 / 5000 g);
- billed grams = max(actual grams, volumetric grams);
- slabs = ceil(billed / slab_g), at least 1;
- charge = first slab price + (slabs - 1) * additional slab price;
- COD fee on a COD shipment = max(fixed, value * bp / 10000 rounded half up
  to the paisa), on the value carried by that shipment.
"""

from __future__ import annotations

import math

import numpy as np

# An "impossible" cost. Large enough to dominate any real plan, small enough
# that summing a few dozen of them cannot overflow int64.
INF = np.int64(1) << np.int64(50)


def ceil_div(a, b):
    """Integer ceil(a / b) for non-negative a and positive b."""
    return -((-a) // b)


def volumetric_grams(volume_mm3, divisor):
    return ceil_div(volume_mm3, divisor)


def billed_grams(actual_g, volume_mm3, divisor):
    return np.maximum(actual_g, volumetric_grams(volume_mm3, divisor))


def slab_count(billed_g, slab_g):
    # An empty or weightless parcel still pays the first slab.
    return np.maximum(ceil_div(billed_g, slab_g), 1)


def carrier_charge(slabs, first_slab, additional_slab):
    return first_slab + (slabs - 1) * additional_slab


def cod_percent_fee(value_paise, percent_bp):
    """value * bp / 10000, rounded half up to whole paise."""
    return (value_paise * percent_bp + 5000) // 10000


def cod_fee(value_paise, fixed_paise, percent_bp):
    return np.maximum(fixed_paise, cod_percent_fee(value_paise, percent_bp))


def round_paise(x: float) -> int:
    """Round a derived float amount (e.g. km * paise/km) to paise, half up."""
    return int(math.floor(x + 0.5))

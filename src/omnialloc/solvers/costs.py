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
from typing import TypeAlias, overload

import numpy as np
import numpy.typing as npt

# An "impossible" cost. Large enough to dominate any real plan, small enough
# that summing a few dozen of them cannot overflow int64.
INF = np.int64(1) << np.int64(50)

IntArray: TypeAlias = npt.NDArray[np.int64]
"""Integer arrays (units, grams, mm^3, paise): every array a solver compiles is int64."""
BoolArray: TypeAlias = npt.NDArray[np.bool_]
"""Masks (feasible contents, kept lanes, dominated nodes)."""
FloatArray: TypeAlias = npt.NDArray[np.float64]
"""LP data and answers (coefficients, duals, reduced costs): floats, never a cost a plan reports."""
IntLike: TypeAlias = IntArray | int
"""An argument that broadcasts against the array one: an array or a Python int."""


@overload
def ceil_div(a: int, b: int) -> int: ...
@overload
def ceil_div(a: IntArray, b: IntLike) -> IntArray: ...
@overload
def ceil_div(a: IntLike, b: IntLike) -> IntLike: ...
def ceil_div(a: IntLike, b: IntLike) -> IntLike:
    """Integer ceil(a / b) for non-negative a and positive b."""
    return -((-a) // b)


@overload
def volumetric_grams(volume_mm3: int, divisor: int) -> int: ...
@overload
def volumetric_grams(volume_mm3: IntArray, divisor: IntLike) -> IntArray: ...
@overload
def volumetric_grams(volume_mm3: IntLike, divisor: IntLike) -> IntLike: ...
def volumetric_grams(volume_mm3: IntLike, divisor: IntLike) -> IntLike:
    return ceil_div(volume_mm3, divisor)


def billed_grams(actual_g: IntArray, volume_mm3: IntArray, divisor: IntLike) -> IntArray:
    billed: IntArray = np.maximum(actual_g, volumetric_grams(volume_mm3, divisor))
    return billed


@overload
def slab_count(billed_g: int, slab_g: int) -> np.int64: ...
@overload
def slab_count(billed_g: IntArray, slab_g: IntLike) -> IntArray: ...
def slab_count(billed_g: IntLike, slab_g: IntLike) -> IntArray | np.int64:
    # An empty or weightless parcel still pays the first slab.
    slabs: IntArray | np.int64 = np.maximum(ceil_div(billed_g, slab_g), 1)
    return slabs


@overload
def carrier_charge(slabs: int, first_slab: int, additional_slab: int) -> int: ...
@overload
def carrier_charge(slabs: IntArray, first_slab: IntLike, additional_slab: IntLike) -> IntArray: ...
def carrier_charge(slabs: IntLike, first_slab: IntLike, additional_slab: IntLike) -> IntLike:
    return first_slab + (slabs - 1) * additional_slab


@overload
def cod_percent_fee(value_paise: int, percent_bp: int) -> int: ...
@overload
def cod_percent_fee(value_paise: IntArray, percent_bp: IntLike) -> IntArray: ...
@overload
def cod_percent_fee(value_paise: IntLike, percent_bp: IntLike) -> IntLike: ...
def cod_percent_fee(value_paise: IntLike, percent_bp: IntLike) -> IntLike:
    """value * bp / 10000, rounded half up to whole paise."""
    return (value_paise * percent_bp + 5000) // 10000


@overload
def cod_fee(value_paise: int, fixed_paise: int, percent_bp: int) -> np.int64: ...
@overload
def cod_fee(value_paise: IntArray, fixed_paise: IntLike, percent_bp: IntLike) -> IntArray: ...
def cod_fee(value_paise: IntLike, fixed_paise: IntLike, percent_bp: IntLike) -> IntArray | np.int64:
    fee: IntArray | np.int64 = np.maximum(fixed_paise, cod_percent_fee(value_paise, percent_bp))
    return fee


def round_paise(x: float) -> int:
    """Round a derived float amount (e.g. km * paise/km) to paise, half up."""
    return int(math.floor(x + 0.5))

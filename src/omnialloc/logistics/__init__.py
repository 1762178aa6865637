"""Logistics, pure: courier charges, serviceability by PIN prefix, and lanes for the solver."""

from omnialloc.logistics.lanes import LaneQuote, LaneTable, lanes_for
from omnialloc.logistics.rates import (
    Charge,
    billed_weight_g,
    cod_fee_paise,
    forward_charge_paise,
    parcel_weight_g,
    quote,
    reverse_charge_paise,
    rto_charge_paise,
    slab_count,
    volumetric_weight_g,
)
from omnialloc.logistics.serviceability import ServiceabilityIndex

__all__ = [
    "Charge", "LaneQuote", "LaneTable", "ServiceabilityIndex", "billed_weight_g", "cod_fee_paise",
    "forward_charge_paise", "lanes_for", "parcel_weight_g", "quote", "reverse_charge_paise",
    "rto_charge_paise", "slab_count", "volumetric_weight_g",
]

"""Carriers, their zone rate cards and where they can deliver (serviceability)."""

from __future__ import annotations

from dataclasses import dataclass

from omnialloc.domain.enums import Zone


@dataclass
class Carrier:
    code: str
    name: str
    modes: frozenset[str] = frozenset({"surface"})
    max_weight_g: int = 30_000
    cod_supported: bool = True
    volumetric_divisor: int = 5000      # L*B*H cm / divisor = kg
    reverse_supported: bool = True
    active: bool = True


@dataclass
class RateCard:
    """Forward price of one carrier in one zone, per 500 g slab, in paise."""

    carrier: str
    zone: Zone
    first_slab_paise: int
    additional_slab_paise: int
    cod_fixed_paise: int
    cod_percent_bp: int                 # basis points of the COD value; fee = max(fixed, percent)
    rto_multiplier_pct: int = 100       # RTO charged as a percent of the forward rate
    reverse_multiplier_pct: int = 120   # reverse pickup priced as a percent of forward
    slab_g: int = 500
    fuel_surcharge_bp: int = 0          # on each slab price, rounded half up to the paisa

    def surcharged(self, paise: int) -> int:
        """A slab price with the fuel surcharge: what the carrier bills for that slab."""
        return (paise * (10000 + self.fuel_surcharge_bp) + 5000) // 10000

    def cod_fee(self, value_paise: int) -> int:
        return max(self.cod_fixed_paise, (value_paise * self.cod_percent_bp + 5000) // 10000)


@dataclass
class Serviceability:
    """Whether a carrier serves a PIN (or every PIN with a prefix), and how fast per zone."""

    carrier: str
    pin_prefix: str                     # a full 6-digit PIN or a shorter prefix
    forward: bool = True
    reverse: bool = True
    cod: bool = True
    sla_days_a: int = 1
    sla_days_b: int = 2
    sla_days_c: int = 3
    sla_days_d: int = 5
    sla_days_e: int = 7
    pickup: bool = True                 # the carrier picks up from this PIN (a node's origin)

    def sla_days(self, zone: Zone) -> int:
        days: int = getattr(self, f"sla_days_{str(zone).lower()}")
        return days
